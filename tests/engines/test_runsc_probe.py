"""The runsc probe finds flags that run a container here, and the runtime suite judges it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oci_conform.drivers.bundle import find_busybox
from oci_conform.suites.runtime import runsc

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("runsc") is None, reason="runsc not installed"),
              pytest.mark.skipif(find_busybox() is None, reason="busybox-static not installed")]


def test_probe_finds_a_working_flag_set(tmp_path: Path) -> None:
    flags = runsc.probe_flags(shutil.which("runsc") or "runsc", tmp_path)
    assert flags is not None, "runsc ran no container with any probed flag set"
    assert flags in runsc.FLAG_SETS
    impls = runsc.implementations(tmp_path)
    assert len(impls) == 1 and impls[0].available
    assert impls[0].command.split()[1:] == list(flags)


def test_a_bogus_binary_is_not_offered_as_working(tmp_path: Path) -> None:
    fake = tmp_path / "fake-runsc"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    assert runsc.probe_flags(str(fake), tmp_path) is None
