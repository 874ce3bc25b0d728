"""Mount destinations, device paths and masked paths stay inside the rootfs."""
from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture()
def outside(tmp_path):
    """A host folder the rootfs links to with absolute and relative symlinks."""
    folder = tmp_path / "host-side"
    folder.mkdir()
    (folder / "secret").write_text("host secret\n")
    return folder


def test_symlinked_and_dotdot_destinations_stay_inside(rt, outside):
    script = ("cat /proc/self/mountinfo > /results/mounts; ls -la /evil-abs/ > /results/ls; "
              "cat /evil-abs/secret > /results/secret 2>&1; true")
    bundle, cfg = rt.bundle("esc", ["sh", "-c", script])
    rootfs = bundle / "rootfs"
    os.symlink(str(outside), rootfs / "evil-abs")                       # absolute link
    depth = len(rootfs.parts) + 2
    os.symlink("../" * depth + str(outside).lstrip("/"), rootfs / "evil-rel")   # ../ link
    cfg["mounts"] += [
        {"destination": "/evil-abs/newdir", "type": "tmpfs", "source": "tmpfs"},
        {"destination": "/evil-rel/reldir", "type": "tmpfs", "source": "tmpfs"},
        {"destination": "/../../../" + str(outside).lstrip("/") + "/dotdot", "type": "tmpfs",
         "source": "tmpfs"},
    ]
    cfg["linux"]["devices"] = [{"path": "/evil-abs/devnode", "type": "c", "major": 1,
                                "minor": 3, "fileMode": 0o666}]
    cfg["linux"]["maskedPaths"] = ["/evil-abs/secret"]
    rt.write(bundle, cfg)
    res = rt.create("esc", bundle)
    assert res.code == 0, res.err
    assert rt("start", "esc").code == 0
    rt.wait_status("esc", "stopped")
    # nothing was created on the host side of the links
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]
    assert (outside / "secret").read_text() == "host secret\n"
    # what the links pointed at was created inside the rootfs instead
    inside = rootfs / str(outside).lstrip("/")
    assert (inside / "newdir").is_dir() and (inside / "reldir").is_dir()
    assert (inside / "dotdot").is_dir() and (inside / "devnode").exists()
    results = bundle.parent / "results"
    assert "host secret" not in (results / "secret").read_text()
