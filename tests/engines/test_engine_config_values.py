"""Values engines put in config.json that the reference runtime must take as runc does
(found by the Docker scenarios; checked here without an engine)."""
from __future__ import annotations

from pathlib import Path

from oci_conform.reference.runtime import cgroups_v1, cgroups_v2


def test_a_zero_block_io_weight_is_not_written(tmp_path: Path) -> None:
    """Docker sends ``blockIO.weight: 0`` for "not set": 0 is below the kernel's range, and
    runc and crun leave the weight alone; a real weight is still written."""
    cgroups_v1.blkio(str(tmp_path), {"weight": 0, "leafWeight": 0})
    cgroups_v2._io(str(tmp_path), {"weight": 0})
    assert not list(tmp_path.iterdir())
    cgroups_v1.blkio(str(tmp_path), {"weight": 500})
    cgroups_v2._io(str(tmp_path), {"weight": 300})
    assert (tmp_path / "blkio.weight").read_text() == "500"
    assert (tmp_path / "io.weight").read_text() == "default 300"
