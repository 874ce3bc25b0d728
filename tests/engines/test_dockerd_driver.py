"""The dockerd driver leaves nothing behind: no process, mount, cgroup, folder or host file,
whether the daemon ran containers or failed to start."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from oci_conform.drivers.dockerd import HOST_DIRS, Dockerd, DockerdError, dockerd_path

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(dockerd_path() is None or os.geteuid() != 0,
                                 reason="docker.io (dockerd, /usr/bin/docker) and root needed")]


def _naming(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _traces(daemon: Dockerd) -> list[str]:
    short = str(daemon.short)
    left = [f"process {pid}" for pid in _naming(short)]
    mounts = Path("/proc/self/mountinfo").read_text()
    left += [f"mount under {p}" for p in (short, str(daemon.work)) if p in mounts]
    left += [str(p) for p in Path("/sys/fs/cgroup").glob(f"*/{daemon.cgroup_parent}")]
    left += [str(p) for p in Path(short).parent.glob(f"{Path(short).name}*")]
    if (daemon.work / "data").exists():
        left.append("data root")
    return left


def _stack_dump_lands_in_its_folder(daemon: Dockerd) -> None:
    """dockerd sends its containerd SIGUSR1 before killing it (a health check that failed on
    a loaded host): containerd then writes containerd.PID.stacks.log to its TMPDIR, which
    must be the daemon's own folder, not the system's temp folder."""
    import signal
    import time
    ours = [pid for pid in _naming(str(daemon.short))
            if (Path("/proc") / str(pid) / "comm").read_text().strip() == "containerd"]
    assert len(ours) == 1, ours
    os.kill(ours[0], signal.SIGUSR1)
    dump = daemon.short / "tmp" / f"containerd.{ours[0]}.stacks.log"
    deadline = time.monotonic() + 60
    while not dump.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert dump.exists(), sorted(p.name for p in (daemon.short / "tmp").iterdir())
    assert not Path(tempfile.gettempdir(), dump.name).exists()


def test_stop_removes_containers_daemon_and_folders(tmp_path):
    key = Path("/etc/docker/key.json")
    had_key = key.exists()
    daemon = Dockerd(tmp_path / "d")
    try:
        daemon.start()
        assert daemon.version()
        assert daemon.import_busybox().ok
        for name in ("c1", "c2"):
            run = daemon.docker("run", "-d", "--name", name, "--network", "none",
                                "oci-conform-busybox", "sleep", "1000")
            assert run.ok, run.stderr
        assert len(daemon.docker("ps", "-q").stdout.split()) == 2
        assert _naming(str(daemon.short)), "no shim names the exec root"
        assert (daemon.work / "key.json").exists()       # the trust key stays in our folder
        _stack_dump_lands_in_its_folder(daemon)
    finally:
        daemon.stop()
    assert not _traces(daemon), _traces(daemon)
    assert key.exists() == had_key
    assert not any(d.exists() for d in daemon.host_dirs)


def test_a_daemon_that_cannot_start_says_why_and_leaves_nothing(tmp_path):
    daemon = Dockerd(tmp_path / "d", extra_config={"no-such-option": True})
    with pytest.raises(DockerdError) as err:
        daemon.start()
    assert "exited" in str(err.value) and "no-such-option" in str(err.value)
    assert not _traces(daemon), _traces(daemon)
    assert all(isinstance(d, Path) for d in HOST_DIRS)
