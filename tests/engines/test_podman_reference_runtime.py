"""podman 4.3 driving the reference runtime (``podman --runtime .../oci-conform-runtime``),
each scenario run on runc first as the control.

podman is fully isolated: its own ``--root``, ``--runroot`` and ``--tmpdir`` in a temp
folder, the vfs storage driver, the cgroupfs manager with a cgroup parent this test owns,
a containers.conf whose ``default_ulimits`` this host can set (it cannot raise NOFILE or
NPROC to podman's defaults), the file events backend, and a busybox image made by
``podman import`` of a busybox-static rootfs tarball (no network).  Containers use
``--network none`` (no bridge, no firewall changes).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from oci_conform.drivers.bundle import build_base_rootfs, find_busybox

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
IMAGE = "localhost/oci-conform-busybox:latest"
CALL_TIMEOUT = 120


class Podman:
    """podman with an isolated store; ``runtime`` is runc or our wrapper script."""

    def __init__(self, work: Path, parent: str) -> None:
        self.work, self.parent = work, parent
        conf = work / "containers.conf"
        conf.write_text('[containers]\ndefault_ulimits = ["nofile=1024:1024", '
                        '"nproc=1024:1024"]\n[engine]\ncgroup_manager = "cgroupfs"\n'
                        'events_logger = "file"\n')
        storage = work / "storage.conf"
        storage.write_text(f'[storage]\ndriver = "vfs"\nrunroot = "{work}/runroot"\n'
                           f'graphroot = "{work}/root"\n')
        self.env = dict(os.environ, CONTAINERS_CONF=str(conf),
                        CONTAINERS_STORAGE_CONF=str(storage))
        self.base = ["podman", "--root", str(work / "root"), "--runroot",
                     str(work / "runroot"), "--tmpdir", str(work / "tmp"),
                     "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                     "--storage-driver", "vfs"]

    def __call__(self, runtime: str, *args: str, stdin: Any = subprocess.DEVNULL,
                 timeout: float = CALL_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.base, "--runtime", runtime, *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout, check=False,
                              stdin=stdin)

    def run_args(self, name: str) -> list[str]:
        return ["--name", name, "--network", "none", "--cgroup-parent", f"/{self.parent}"]


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "podman with the cgroupfs manager and a system store needs root here"
    if shutil.which("podman") is None:
        return "podman is not installed (apt-get install podman)"
    if shutil.which("runc") is None:
        return "runc (the control) is not installed"
    if find_busybox() is None:
        return "no static busybox (install busybox-static)"
    return None


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Any:
    why = _unavailable()
    if why:
        pytest.skip(why)
    work = tmp_path_factory.mktemp("podman")
    parent = f"oci-conform-podman-{os.getpid()}"
    pm = Podman(work, parent)
    rootfs = build_base_rootfs(work / "rootfs")
    with tarfile.open(work / "busybox.tar", "w") as tar:
        tar.add(rootfs, arcname=".")
    res = pm("runc", "import", str(work / "busybox.tar"), IMAGE)
    assert res.returncode == 0, res.stderr
    try:
        yield pm
    finally:
        for runtime in ("runc", str(_wrapper(work))):
            pm(runtime, "rm", "--all", "--force", "--time", "0")
        subprocess.run([*pm.base, "system", "reset", "--force"], env=pm.env,
                       capture_output=True, timeout=CALL_TIMEOUT, check=False)
        _remove_cgroups(parent)
        shutil.rmtree(work, ignore_errors=True)


def _remove_cgroups(parent: str) -> None:
    for hier in Path("/sys/fs/cgroup").iterdir():
        top = hier / parent
        if not top.is_dir():
            continue
        for folder in sorted((p for p in top.rglob("*") if p.is_dir()),
                             key=lambda p: -len(p.parts)):
            try:
                folder.rmdir()
            except OSError:
                pass
        try:
            top.rmdir()
        except OSError:
            pass


def _wrapper(work: Path) -> Path:
    """The reference runtime from this checkout (conmon may not pass PYTHONPATH on)."""
    path = work / "oci-conform-runtime"
    if not path.exists():
        path.write_text(f'#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m '
                        f'oci_conform.reference.runtime "$@"\n')
        path.chmod(0o755)
    return path


@pytest.fixture(params=["runc", "reference"])
def runtime(request: pytest.FixtureRequest, podman: Podman) -> str:
    return "runc" if request.param == "runc" else str(_wrapper(podman.work))


def _name() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def _ok(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_run_output_and_exit_status(podman, runtime):
    name = _name()
    res = podman(runtime, "run", "--rm", *podman.run_args(name), IMAGE, "sh", "-c",
                 "echo hello; hostname; exit 3")
    assert res.returncode == 3, res.stderr
    assert res.stdout.splitlines()[0] == "hello"
    assert podman(runtime, "container", "exists", name).returncode != 0    # --rm
    missing = podman(runtime, "run", "--rm", *podman.run_args(_name()), IMAGE, "no-such-cmd")
    assert missing.returncode == 127, missing.stderr


def test_exec_stop_rm(podman, runtime):
    name = _name()
    _ok(podman(runtime, "run", "-d", *podman.run_args(name), IMAGE, "sleep", "1000"))
    try:
        assert _ok(podman(runtime, "exec", name, "sh", "-c", "echo in; exit 0")) == "in\n"
        assert podman(runtime, "exec", name, "sh", "-c", "exit 5").returncode == 5
        assert podman(runtime, "exec", name, "no-such-command").returncode == 127
        out = _ok(podman(runtime, "exec", "-u", "1000", "-w", "/tmp", "-e", "A=b", name,
                         "sh", "-c", "id -u; pwd; echo $A"))
        assert out.split() == ["1000", "/tmp", "b"]
        assert _ok(podman(runtime, "exec", "-t", name, "tty")).startswith("/dev/pts/")
        top = _ok(podman(runtime, "top", name))
        assert "sleep 1000" in top
        _ok(podman(runtime, "pause", name))
        assert "Paused" in _ok(podman(runtime, "ps", "-a", "--filter", f"name={name}",
                                      "--format", "{{.Status}}"))
        _ok(podman(runtime, "unpause", name))
        _ok(podman(runtime, "stop", "-t", "1", name))
        state = _ok(podman(runtime, "inspect", "--format", "{{.State.Status}}", name))
        assert state.strip() == "exited"
    finally:
        _ok(podman(runtime, "rm", "--force", "--time", "0", name))
    assert podman(runtime, "container", "exists", name).returncode != 0


def test_limits_read_back_inside(podman, runtime):
    if Path("/sys/fs/cgroup/cgroup.controllers").exists():
        pytest.skip("a cgroup v2 host: the v1 files this case reads are not there")
    out = _ok(podman(runtime, "run", "--rm", *podman.run_args(_name()), "--memory", "64m",
                     "--pids-limit", "50", "--cpus", "0.5", IMAGE, "sh", "-c",
                     "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                     "/sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us; "
                     "ulimit -n"))
    assert out.split() == [str(64 << 20), "50", "50000", "1024"]


def test_network_none_has_loopback_up(podman, runtime):
    out = _ok(podman(runtime, "run", "--rm", *podman.run_args(_name()), IMAGE, "sh", "-c",
                     "ls /sys/class/net; cat /sys/class/net/lo/flags; "
                     "sleep 5 | timeout 20 nc -l -p 4000 127.0.0.1 & for i in $(seq 100); "
                     "do sleep 0.2; echo over-lo | nc -w 2 127.0.0.1 4000 && break; done; "
                     "wait"))
    lines = out.split()
    assert lines[0] == "lo" and int(lines[1], 16) & 1 and "over-lo" in lines


def test_user_namespace_with_limits(podman, runtime):
    if Path("/sys/fs/cgroup/cgroup.controllers").exists():
        pytest.skip("a cgroup v2 host: the v1 files this case reads are not there")
    out = _ok(podman(runtime, "run", "--rm", *podman.run_args(_name()), "--uidmap",
                     "0:200000:65536", "--gidmap", "0:200000:65536", "--memory", "64m",
                     IMAGE, "sh", "-c", "id -u; cat /proc/self/uid_map; "
                     "cat /sys/fs/cgroup/memory/memory.limit_in_bytes"))
    assert out.split() == ["0", "0", "200000", "65536", str(64 << 20)]


def test_private_cgroup_namespace(podman, runtime):
    if Path("/sys/fs/cgroup/cgroup.controllers").exists():
        pytest.skip("a cgroup v2 host: the v1 files this case reads are not there")
    out = _ok(podman(runtime, "run", "--rm", *podman.run_args(_name()), "--cgroupns",
                     "private", "--pids-limit", "33", IMAGE, "sh", "-c",
                     "grep pids /proc/self/cgroup; cat /sys/fs/cgroup/pids/pids.max"))
    assert out.split()[0].endswith(":pids:/") and out.split()[1] == "33"


def test_update_and_detached_exec(podman, runtime):
    if Path("/sys/fs/cgroup/cgroup.controllers").exists():
        pytest.skip("a cgroup v2 host: the v1 files this case reads are not there")
    name = _name()
    _ok(podman(runtime, "run", "-d", *podman.run_args(name), "--memory", "64m", IMAGE,
               "sleep", "1000"))
    try:
        _ok(podman(runtime, "update", "--memory", "96m", name))
        out = _ok(podman(runtime, "exec", name, "cat",
                         "/sys/fs/cgroup/memory/memory.limit_in_bytes"))
        assert out.strip() == str(96 << 20)
        _ok(podman(runtime, "exec", "-d", name, "sh", "-c", "echo later > /tmp/mark"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if podman(runtime, "exec", name, "cat", "/tmp/mark").stdout == "later\n":
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the detached exec did not run")
    finally:
        _ok(podman(runtime, "rm", "--force", "--time", "0", name))


def test_terminal_read_only_user_and_no_capabilities(podman, runtime):
    out = _ok(podman(runtime, "run", "--rm", "-t", *podman.run_args(_name()), IMAGE, "tty"))
    assert out.strip().startswith("/dev/pts/")
    out = _ok(podman(runtime, "run", "--rm", *podman.run_args(_name()), "--read-only",
                     "--cap-drop", "all", "--user", "1000", IMAGE, "sh", "-c",
                     "id -u; touch /x 2>&1; grep CapEff /proc/self/status"))
    lines = out.splitlines()
    assert lines[0] == "1000" and "Read-only file system" in lines[1]
    assert lines[2].split() == ["CapEff:", "0000000000000000"]


def test_healthcheck(podman, runtime):
    """``--health-cmd`` checked with ``podman healthcheck run`` (no timer: this host has no
    systemd to schedule one), which execs the command through the runtime."""
    good, bad = _name(), _name()
    health = ["--health-interval", "disable", "--health-retries", "1"]
    _ok(podman(runtime, "run", "-d", *podman.run_args(good), *health, "--health-cmd",
               "test -f /tmp/ready", IMAGE, "sh", "-c", "touch /tmp/ready; exec sleep 1000"))
    _ok(podman(runtime, "run", "-d", *podman.run_args(bad), *health, "--health-cmd",
               "exit 1", IMAGE, "sleep", "1000"))
    try:
        deadline = time.monotonic() + 20
        while podman(runtime, "healthcheck", "run", good).returncode != 0 \
                and time.monotonic() < deadline:      # until the touch has run
            time.sleep(0.2)
        assert podman(runtime, "healthcheck", "run", good).returncode == 0
        failed = podman(runtime, "healthcheck", "run", bad)
        assert failed.returncode == 1 and "unhealthy" in failed.stdout + failed.stderr
        status = _ok(podman(runtime, "inspect", "--format", "{{.State.Health.Status}}",
                            good, bad))
        assert status.split() == ["healthy", "unhealthy"]
    finally:
        _ok(podman(runtime, "rm", "--force", "--time", "0", good, bad))
