"""containerd 1.6 driving the reference runtime through its runc shim (``ctr run
--runc-binary .../oci-conform-runtime``), each scenario run on runc first as the control.

containerd is our own (``drivers.engines.Containerd``: root, state and socket in temp
folders, CRI off); the image is a busybox-static rootfs that umoci packs into an OCI layout
and ``ctr images import`` unpacks with the native snapshotter (no network). Each test run
uses a namespace of its own, so the shim's folders (``/run/containerd/runc/NS``) and the
cgroups ctr asks for (``/NS/ID``) are ours to remove after.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from oci_conform.drivers.bundle import build_base_rootfs
from oci_conform.drivers.engines import Containerd, ContainerdError, oci_archive_of_layout

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
IMAGE = "localhost/oci-conform-busybox:latest"
RUNTIMES = {"runc": "runc", "reference": str(REPO / ".venv" / "bin" / "oci-conform-runtime")}
CALL_TIMEOUT = 120
RUN_DIRS = (Path("/run/containerd/fifo"), Path("/run/containerd/s"),
            Path("/run/containerd/runc"), Path("/run/containerd"))


class Ctr:
    """ctr against our containerd, in one namespace of its own."""

    def __init__(self, daemon: Containerd) -> None:
        self.daemon = daemon
        self.namespace = f"oc-rt-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["ctr", "--address", str(self.daemon.socket), "--namespace",
                               self.namespace, *args], capture_output=True, text=True,
                              timeout=CALL_TIMEOUT, check=False)
        if check:
            assert done.returncode == 0, (args, done.stdout[-1000:], done.stderr[-1000:])
        return done

    def run(self, runtime: str, *args: str) -> subprocess.CompletedProcess[str]:
        """``ctr run --rm`` of one command on ``runtime``: its output and exit status."""
        name = f"c-{uuid.uuid4().hex[:8]}"
        return self("run", "--snapshotter", "native", "--runc-binary", RUNTIMES[runtime],
                    "--rm", *args[:-1], IMAGE, name, *args[-1].split("\x00"))


def _image(work: Path) -> Path:
    layout, bundle = work / "layout", work / "bundle"
    for argv in (["umoci", "init", "--layout", str(layout)],
                 ["umoci", "new", "--image", f"{layout}:latest"],
                 ["umoci", "unpack", "--rootless", "--image", f"{layout}:latest", str(bundle)]):
        subprocess.run(argv, check=True, capture_output=True, timeout=CALL_TIMEOUT)
    shutil.rmtree(bundle / "rootfs")
    build_base_rootfs(bundle / "rootfs")
    subprocess.run(["umoci", "repack", "--image", f"{layout}:latest", str(bundle)], check=True,
                   capture_output=True, timeout=CALL_TIMEOUT)
    return oci_archive_of_layout(layout, work / "busybox.tar")


@pytest.fixture(scope="module")
def ctr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ctr]:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    for tool in ("containerd", "ctr", "containerd-shim-runc-v2", "runc", "umoci"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    if not Path(RUNTIMES["reference"]).exists():
        pytest.skip("the reference runtime is not installed in .venv")
    work = tmp_path_factory.mktemp("ctd-rt")
    existed = {d for d in RUN_DIRS if d.exists()}
    try:
        daemon = Containerd(work / "containerd").start()
    except ContainerdError as exc:
        pytest.skip(str(exc))
    client = Ctr(daemon)
    try:
        client("images", "import", "--snapshotter", "native", "--base-name",
               IMAGE.rsplit(":", 1)[0], str(_image(work)), check=True)
        yield client
    finally:
        for task in client("tasks", "ls", "-q").stdout.split():
            client("tasks", "kill", "-s", "SIGKILL", task)
            client("tasks", "delete", "--force", task)
        for container in client("containers", "ls", "-q").stdout.split():
            client("containers", "delete", container)
        daemon.stop()
        shutil.rmtree(Path("/run/containerd/runc") / client.namespace, ignore_errors=True)
        for hierarchy in Path("/sys/fs/cgroup").iterdir():
            mine = hierarchy / client.namespace
            if mine.is_dir():
                for child in sorted(mine.glob("**/"), key=lambda p: -len(p.parts)):
                    child.rmdir()
        for folder in RUN_DIRS:       # the shim's folders, when this run made them
            if folder not in existed and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def _observe(ctr: Ctr, runtime: str, *args: str) -> tuple[int, str]:
    """Exit status and output of one ``ctr run`` on ``runtime``; on the reference runtime
    the same run on runc first, whose result must be the same (the control)."""
    if runtime != "runc":
        assert _observe(ctr, "runc", *args) == _observe_one(ctr, runtime, *args)
    return _observe_one(ctr, runtime, *args)


def _observe_one(ctr: Ctr, runtime: str, *args: str) -> tuple[int, str]:
    done = ctr.run(runtime, *args)
    assert not done.stderr.strip().startswith("ctr:"), done.stderr     # ctr's own refusal
    return done.returncode, done.stdout


BOTH = pytest.mark.parametrize("runtime", list(RUNTIMES))


@BOTH
def test_run_output_and_exit_status(ctr: Ctr, runtime: str) -> None:
    assert _observe(ctr, runtime, "sh\x00-c\x00echo hello; id -u; exit 3") == (3, "hello\n0\n")


@BOTH
def test_env_and_workdir(ctr: Ctr, runtime: str) -> None:
    seen = _observe(ctr, runtime, "--env", "FOO=bar baz", "--cwd", "/tmp",
                    "sh\x00-c\x00echo \"$FOO\"; pwd")
    assert seen == (0, "bar baz\n/tmp\n")


@BOTH
def test_read_only_root(ctr: Ctr, runtime: str) -> None:
    seen = _observe(ctr, runtime, "--read-only",
                    "sh\x00-c\x00touch /x 2>/dev/null && echo wrote || echo ro")
    assert seen == (0, "ro\n")


@BOTH
def test_network_none_has_loopback_up(ctr: Ctr, runtime: str) -> None:
    """ctr gives a new network namespace with nothing in it: only lo, and lo is up
    (IFF_UP, bit 0 of its flags)."""
    code, out = _observe(ctr, runtime, "sh\x00-c\x00ls /sys/class/net; cat /sys/class/net/lo/flags")
    assert code == 0 and out.split()[0] == "lo" and int(out.split()[-1], 16) & 1, out


@pytest.mark.parametrize("runtime", list(RUNTIMES))
def test_detached_exec_pause_resume_kill_delete(ctr: Ctr, runtime: str) -> None:
    """The task life an engine drives: run -d (with a memory limit), exec, pause, resume,
    kill, delete."""
    name = f"d-{runtime}-{uuid.uuid4().hex[:6]}"
    ctr("run", "-d", "--snapshotter", "native", "--runc-binary", RUNTIMES[runtime],
        "--memory-limit", str(64 << 20), IMAGE, name, "sleep", "300", check=True)
    try:
        # ctr mounts no cgroup filesystem inside: the limit is read where ctr put the task
        limit = Path("/sys/fs/cgroup/memory", ctr.namespace, name, "memory.limit_in_bytes")
        if not limit.exists():
            limit = Path("/sys/fs/cgroup", ctr.namespace, name, "memory.max")
        assert limit.read_text().strip() == str(64 << 20)
        done = ctr("tasks", "exec", "--exec-id", "e1", name, "sh", "-c", "echo inside; exit 5")
        assert (done.returncode, done.stdout) == (5, "inside\n"), done.stderr
        ctr("tasks", "pause", name, check=True)
        assert f"{name}" in ctr("tasks", "ls").stdout and \
            "PAUSED" in ctr("tasks", "ls").stdout
        ctr("tasks", "resume", name, check=True)
        assert "RUNNING" in ctr("tasks", "ls").stdout
        ctr("tasks", "kill", "-s", "SIGKILL", name, check=True)
        for _ in range(100):
            if "STOPPED" in ctr("tasks", "ls").stdout:
                break
            subprocess.run(["sleep", "0.1"], check=False)
        assert "STOPPED" in ctr("tasks", "ls").stdout
        ctr("tasks", "delete", name, check=True)
    finally:
        ctr("tasks", "delete", "--force", name)
        ctr("containers", "delete", name)
    assert name not in ctr("containers", "ls", "-q").stdout.split()
