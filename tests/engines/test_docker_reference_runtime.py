"""The Docker engine (Debian's docker.io 20.10) driving the reference runtime, with runc as
the control: every scenario runs on both (``docker run --runtime runc`` and ``--runtime
oci-conform``, the latter registered in the daemon's ``runtimes`` configuration) and must
give the result runc gives.

dockerd is our own (``drivers/dockerd.py``): data root, exec root, socket and config in temp
folders, no bridge, no firewall changes, vfs storage, a cgroup parent it owns; the busybox
image comes from ``docker import`` of a busybox-static rootfs tarball (no network).  Every
container uses ``--network none`` unless the scenario is about ``--network host``.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from oci_conform.drivers.bundle import find_busybox
from oci_conform.drivers.dockerd import IMAGE, Dockerd, DockerdError, dockerd_path
from oci_conform.drivers.image_sources.tools import ToolRun

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
V2_HOST = Path("/sys/fs/cgroup/cgroup.controllers").exists()


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "dockerd needs root here"
    if dockerd_path() is None:
        return "docker.io is not installed (dockerd and /usr/bin/docker)"
    if find_busybox() is None:
        return "no static busybox (install busybox-static)"
    return None


def _wrapper(folder: Path) -> Path:
    """The reference runtime from this checkout (the shim passes no PYTHONPATH on)."""
    path = folder / "oci-conform-runtime"
    path.write_text(f'#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m '
                    f'oci_conform.reference.runtime "$@"\n')
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def docker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dockerd]:
    why = _unavailable()
    if why:
        pytest.skip(why)
    work = tmp_path_factory.mktemp("dockerd")
    daemon = Dockerd(work / "daemon", runtimes={"oci-conform": str(_wrapper(work))})
    try:
        daemon.start()
    except DockerdError as exc:
        pytest.fail(str(exc))
    try:
        made = daemon.import_busybox()
        assert made.ok, made.stderr
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(params=["runc", "oci-conform"])
def runtime(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _name() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def _ok(res: ToolRun) -> str:
    assert res.exit == 0, f"{res.argv[3:8]}: exit {res.exit}: {res.stderr[-800:]}"
    return res.stdout


def _run(docker: Dockerd, runtime: str, *args: str, network: str = "none") -> ToolRun:
    return docker.docker("run", "--runtime", runtime, "--network", network, *args)


def test_run_output_and_exit_status(docker, runtime):
    name = _name()
    res = _run(docker, runtime, "--rm", "--name", name, IMAGE, "sh", "-c",
               "echo hello; echo oops >&2; exit 3")
    assert (res.exit, res.stdout, res.stderr) == (3, "hello\n", "oops\n")
    assert docker.docker("container", "inspect", name).exit != 0       # --rm removed it
    missing = _run(docker, runtime, "--rm", IMAGE, "no-such-command")
    assert missing.exit == 127, missing.stderr


def test_env_user_workdir_hostname(docker, runtime):
    out = _ok(_run(docker, runtime, "--rm", "-e", "A=b", "--user", "1000:1001", "-w", "/tmp",
                   "--hostname", "box", IMAGE, "sh", "-c",
                   'echo "$A"; id -u; id -g; pwd; hostname; echo "$PATH"'))
    assert out.split() == ["b", "1000", "1001", "/tmp", "box",
                           "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


def test_exec_pause_stop_kill_rm(docker, runtime):
    name = _name()
    _ok(_run(docker, runtime, "-d", "--name", name, IMAGE, "sleep", "1000"))
    try:
        assert _ok(docker.docker("exec", name, "sh", "-c", "echo in")) == "in\n"
        assert docker.docker("exec", name, "sh", "-c", "exit 5").exit == 5
        assert docker.docker("exec", name, "no-such-command").exit == 126
        out = _ok(docker.docker("exec", "-u", "1000", "-w", "/tmp", "-e", "A=b", name,
                                "sh", "-c", "id -u; pwd; echo $A"))
        assert out.split() == ["1000", "/tmp", "b"]
        assert _ok(docker.docker("exec", "-t", name, "tty")).startswith("/dev/pts/")
        assert "sleep 1000" in _ok(docker.docker("top", name))
        _ok(docker.docker("pause", name))
        assert _state(docker, name)["Status"] == "paused"
        _ok(docker.docker("unpause", name))
        assert _state(docker, name)["Status"] == "running"
        _ok(docker.docker("stop", "-t", "1", name))        # sleep as PID 1 ignores SIGTERM
        state = _state(docker, name)
        assert (state["Status"], state["ExitCode"]) == ("exited", 137)
        _ok(docker.docker("start", name))
        _ok(docker.docker("kill", "-s", "KILL", name))
        _ok(docker.docker("wait", name))
        assert _state(docker, name)["Status"] == "exited"
    finally:
        _ok(docker.docker("rm", "-f", name))
    assert docker.docker("container", "inspect", name).exit != 0


def _state(docker: Dockerd, name: str) -> dict:
    return json.loads(_ok(docker.docker("inspect", "--format", "{{json .State}}", name)))


@pytest.mark.skipif(V2_HOST, reason="a cgroup v2 host: the v1 files this case reads are absent")
def test_limits_read_back_inside(docker, runtime):
    out = _ok(_run(docker, runtime, "--rm", "--memory", "64m", "--pids-limit", "50",
                   "--cpus", "0.5", "--ulimit", "nofile=512:512", IMAGE, "sh", "-c",
                   "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                   "/sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us; "
                   "ulimit -n"))
    assert out.split() == [str(64 << 20), "50", "50000", "512"]


@pytest.mark.skipif(V2_HOST, reason="a cgroup v2 host: the v1 files this case reads are absent")
def test_update_read_back_inside(docker, runtime):
    name = _name()
    _ok(_run(docker, runtime, "-d", "--name", name, "--memory", "64m", "--memory-swap", "128m",
             IMAGE, "sleep", "1000"))
    try:
        _ok(docker.docker("update", "--memory", "96m", "--memory-swap", "192m", name))
        out = _ok(docker.docker("exec", name, "cat",
                                "/sys/fs/cgroup/memory/memory.limit_in_bytes"))
        assert out.strip() == str(96 << 20)
    finally:
        _ok(docker.docker("rm", "-f", name))


def test_network_none_has_loopback_up(docker, runtime):
    out = _ok(_run(docker, runtime, "--rm", IMAGE, "sh", "-c",
                   "ls /sys/class/net; cat /sys/class/net/lo/flags; "
                   "sleep 5 | timeout 20 nc -l -p 4000 127.0.0.1 & for i in $(seq 100); "
                   "do sleep 0.2; echo over-lo | nc -w 2 127.0.0.1 4000 && break; done; wait"))
    lines = out.split()
    assert lines[0] == "lo" and int(lines[1], 16) & 1 and "over-lo" in lines


def test_network_host_sees_host_interfaces(docker, runtime):
    out = _ok(_run(docker, runtime, "--rm", IMAGE, "ls", "/sys/class/net", network="host"))
    assert sorted(out.split()) == sorted(os.listdir("/sys/class/net"))


def test_terminal_read_only_user_and_no_capabilities(docker, runtime):
    out = _ok(_run(docker, runtime, "--rm", "--read-only", "--cap-drop", "all", "--user",
                   "1000", IMAGE, "sh", "-c",
                   "id -u; touch /x 2>&1; grep CapEff /proc/self/status"))
    lines = out.splitlines()
    assert lines[0] == "1000" and "Read-only file system" in lines[1]
    assert lines[2].split() == ["CapEff:", "0000000000000000"]
    out = _ok(_run(docker, runtime, "--rm", "-t", IMAGE, "tty"))
    assert out.strip().startswith("/dev/pts/")


def test_healthcheck(docker, runtime):
    """``--health-cmd`` runs through the runtime's exec: healthy and unhealthy both seen."""
    good, bad = _name(), _name()
    health = ["--health-interval", "1s", "--health-timeout", "10s", "--health-retries", "1"]
    _ok(_run(docker, runtime, "-d", "--name", good, *health, "--health-cmd",
             "test -f /tmp/ready", IMAGE, "sh", "-c", "touch /tmp/ready; exec sleep 1000"))
    _ok(_run(docker, runtime, "-d", "--name", bad, *health, "--health-cmd", "exit 1",
             IMAGE, "sleep", "1000"))
    try:
        seen = _wait_health(docker, {good: "healthy", bad: "unhealthy"}, deadline=60)
        assert seen == {good: "healthy", bad: "unhealthy"}
        log = json.loads(_ok(docker.docker("inspect", "--format", "{{json .State.Health}}",
                                           good)))["Log"]
        assert log and log[-1]["ExitCode"] == 0
    finally:
        _ok(docker.docker("rm", "-f", good, bad))


def _wait_health(docker: Dockerd, want: dict[str, str], deadline: float) -> dict[str, str]:
    end = time.monotonic() + deadline
    seen: dict[str, str] = {}
    while time.monotonic() < end:
        for name in want:
            got = docker.docker("inspect", "--format", "{{.State.Health.Status}}", name)
            seen[name] = got.stdout.strip()
        if seen == want:
            break
        time.sleep(0.5)
    return seen


def test_user_namespace_with_limits(docker, runtime):
    """dockerd has no per-container uid maps, only ``userns-remap`` for the whole daemon,
    which reads the remap user's ranges from /etc/subuid and /etc/subgid.  A second daemon
    remaps to ``nobody:nogroup`` with a range only it sees (files bind-mounted in its own mount
    namespace: the host's user files are not edited)."""
    # the remapped root must be able to walk to its data root: not under pytest's 0700 folder
    work = Path(tempfile.mkdtemp(prefix="oc-dkr-"))
    work.chmod(0o711)
    remapped = Dockerd(work / "daemon", runtimes=docker.runtimes,
                       extra_config={"userns-remap": "nobody:nogroup"},
                       overlay_files={"/etc/subuid": "nobody:300000:65536\n",
                                      "/etc/subgid": "nobody:300000:65536\n"})
    try:
        remapped.start()
        assert remapped.import_busybox().ok
        out = _ok(remapped.docker("run", "--rm", "--runtime", runtime, "--network", "none",
                                  "--memory", "64m", IMAGE, "sh", "-c",
                                  "id -u; cat /proc/self/uid_map /proc/self/gid_map; "
                                  "cat /sys/fs/cgroup/memory/memory.limit_in_bytes"))
        assert out.split() == ["0", "0", "300000", "65536", "0", "300000", "65536",
                               str(64 << 20)]
    finally:
        remapped.stop()
        shutil.rmtree(work, ignore_errors=True)
    assert not list(Path(tempfile.gettempdir()).glob(f"{remapped.short.name}*"))
