"""Container engines (podman, buildah) with a store of their own in a temp folder.

Nothing here touches the host's default engine state: every call names its own
``--root``/``--runroot`` (vfs storage, no mounts to undo), a containers.conf with the
cgroupfs manager, the file events backend and ``default_ulimits`` this host can set
(podman's defaults raise NOFILE/NPROC beyond what a host without CAP_SYS_RESOURCE allows),
and a storage.conf, so podman and buildah share that one store.  The busybox image is
made by ``podman import`` of a tarball of a busybox-static rootfs: no network.
"""
from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from oci_conform.drivers.image_sources.tools import ToolRun, busybox_rootfs, run, which

IMAGE = "localhost/oci-conform-busybox:latest"
TIMEOUT = 120
# podman save formats -> the image reference kind our validator reads
SAVE_FORMATS = {"docker-archive": "docker-archive", "oci-archive": "oci-archive",
                "oci-dir": "oci"}


@dataclass
class EngineStore:
    """One isolated podman/buildah store under ``work`` (remove with :meth:`cleanup`)."""

    work: Path
    runs: list[ToolRun] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        # podman refuses a runroot path longer than 50 characters: a short one in /tmp
        self.runroot = Path(tempfile.mkdtemp(prefix="oc-eng-"))
        conf = self.work / "containers.conf"
        conf.write_text('[containers]\ndefault_ulimits = ["nofile=1024:1024", '
                        '"nproc=1024:1024"]\n[engine]\ncgroup_manager = "cgroupfs"\n'
                        'events_logger = "file"\n')
        storage = self.work / "storage.conf"
        storage.write_text(f'[storage]\ndriver = "vfs"\nrunroot = "{self.runroot}"\n'
                           f'graphroot = "{self.work}/root"\n')
        self.env = {"CONTAINERS_CONF": str(conf), "CONTAINERS_STORAGE_CONF": str(storage),
                    "TMPDIR": str(self._tmp())}

    def _tmp(self) -> Path:
        tmp = self.work / "tmp"
        tmp.mkdir(exist_ok=True)
        return tmp

    def podman(self, *args: str, timeout: int = TIMEOUT) -> ToolRun:
        exe = which("podman") or "podman"
        argv = [exe, "--root", str(self.work / "root"), "--runroot",
                str(self.runroot), "--tmpdir", str(self.work / "tmp"),
                "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                "--storage-driver", "vfs", *args]
        return self._run(argv, timeout)

    def buildah(self, *args: str, timeout: int = TIMEOUT) -> ToolRun:
        exe = which("buildah") or "buildah"
        argv = [exe, "--root", str(self.work / "root"), "--runroot",
                str(self.runroot), "--storage-driver", "vfs", *args]
        return self._run(argv, timeout)

    def _run(self, argv: list[str], timeout: int) -> ToolRun:
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)     # tools.run inherits the environment
        try:
            result = run(argv, timeout=timeout)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self.runs.append(result)
        return result

    def import_busybox(self) -> ToolRun:
        """``podman import`` a busybox-static rootfs tarball as :data:`IMAGE`."""
        rootfs = busybox_rootfs(self.work / "busybox-rootfs")
        tarball = self.work / "busybox-rootfs.tar"
        with tarfile.open(tarball, "w") as tar:
            tar.add(rootfs, arcname=".")
        return self.podman("import", "--change", "CMD=[\"/bin/sh\"]", str(tarball), IMAGE)

    def cleanup(self) -> None:
        shutil.rmtree(self.runroot, ignore_errors=True)
        shutil.rmtree(self.work, ignore_errors=True)


def podman_save(store: EngineStore, fmt: str, out: Path) -> tuple[ToolRun, str]:
    """``podman save --format FMT``: the run and the image reference of what it wrote."""
    result = store.podman("save", "--format", fmt, "-o", str(out), IMAGE)
    return result, f"{SAVE_FORMATS[fmt]}:{out}"


def buildah_push_oci(store: EngineStore, layout: Path) -> tuple[ToolRun, str]:
    """``buildah push`` of :data:`IMAGE` to an OCI layout (tag ``latest``)."""
    result = store.buildah("push", IMAGE, f"oci:{layout}:latest")
    return result, f"oci:{layout}:latest"


# podman load into a throwaway store: the root in the case's work folder (removed by the
# suite), the runroot in a short folder of its own (podman refuses runroots over 50
# characters) removed by the same shell once podman is done.  podman names an image it loads
# from a layout folder after the folder's path, which must then be a valid reference
# (lower-case, no "-_" as in a temp folder "oci-conform-_x1y"): it loads the image through
# a link in that folder whose path is lower-case hex.  $0 is podman, $1 the work folder,
# $2 the image; the exit code is podman's (125 when the folder cannot be made).
_LOAD_SCRIPT = ('l=/tmp/oc-load-$(od -An -N6 -tx1 /dev/urandom | tr -d " \n"); '
                'mkdir -m 0700 "$l" && ln -s "$2" "$l/image" || exit 125; '
                '"$0" --root "$1/root" --runroot "$l/run" --tmpdir "$1/tmp" --storage-driver vfs '
                '--cgroup-manager cgroupfs --events-backend file load -i "$l/image"; '
                'rc=$?; rm -rf "$l"; exit $rc')


def podman_load_argv(exe: str, image: Path, work: Path) -> list[str]:
    """The argv of one ``podman load`` of ``image`` into a store of its own under ``work``."""
    return ["sh", "-c", _LOAD_SCRIPT, exe, str(work), str(image)]


class ContainerdError(RuntimeError):
    """containerd could not be started here (the message says why)."""


@dataclass
class Containerd:
    """A containerd of our own: root, state and socket in temp folders, CRI off.

    Start with :meth:`start`, always :meth:`stop` (it also removes every folder)."""

    work: Path
    ready_timeout: float = 20.0
    runs: list[ToolRun] = field(default_factory=list)

    def start(self) -> Containerd:
        import subprocess
        import time
        exe = which("containerd")
        if exe is None:
            raise ContainerdError("containerd is not installed")
        self.work.mkdir(parents=True, exist_ok=True)
        # the socket path must stay short (unix sockets hold ~107 bytes)
        self.state = Path(tempfile.mkdtemp(prefix="oc-ctd-"))
        self.socket = self.state / "c.sock"
        config = self.work / "containerd.toml"
        config.write_text(
            f'version = 2\nroot = "{self.work / "root"}"\nstate = "{self.state / "state"}"\n'
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            # each namespace must bring every blob itself: no verdict leans on a blob an
            # earlier import (another case, its control) left in the store
            '[plugins."io.containerd.metadata.v1.bolt"]\n'
            '  content_sharing_policy = "isolated"\n'
            f'[grpc]\n  address = "{self.socket}"\n[ttrpc]\n  address = "{self.socket}.ttrpc"\n')
        log = (self.work / "containerd.log").open("wb")
        self.proc = subprocess.Popen([exe, "--config", str(config)], stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if self.socket.exists() and self.ctr("version", timeout=5).ok:
                return self
            time.sleep(0.2)
        tail = (self.work / "containerd.log").read_bytes()[-400:].decode(errors="replace")
        self.stop()
        raise ContainerdError(f"containerd did not come up within {self.ready_timeout:.0f}s: "
                              f"{tail}")

    def ctr(self, *args: str, timeout: int = TIMEOUT) -> ToolRun:
        exe = which("ctr") or "ctr"
        result = run([exe, "--address", str(self.socket), "--namespace", "oci-conform", *args],
                     timeout=timeout)
        self.runs.append(result)
        return result

    def stop(self) -> None:
        import signal
        import subprocess
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if hasattr(self, "state"):
            shutil.rmtree(self.state, ignore_errors=True)
        shutil.rmtree(self.work / "root", ignore_errors=True)


def oci_archive_of_layout(layout: Path, out: Path) -> Path:
    """Tar an OCI layout folder (the format ``ctr images import`` reads)."""
    with tarfile.open(out, "w") as tar:
        for child in sorted(layout.iterdir()):
            tar.add(child, arcname=child.name)
    return out


def containerd_export(daemon: Containerd, archive: Path, out: Path) -> tuple[list[ToolRun], str]:
    """``ctr images import`` an OCI archive whose ref is ``latest`` (no unpack), then
    ``ctr images export`` it: the runs and the image reference of the exported archive."""
    name = "localhost/oci-conform-busybox:latest"
    runs = [daemon.ctr("images", "import", "--no-unpack", "--base-name",
                       "localhost/oci-conform-busybox", str(archive))]
    if runs[-1].ok:
        runs.append(daemon.ctr("images", "export", str(out), name))
    return runs, f"oci-archive:{out}"


# ctr images import of one image into a fresh namespace (nothing shared with earlier
# imports).  $0 is ctr, $1 the socket, $2 the image: an OCI layout folder is streamed as
# a tar on stdin, a file is read as is.  The exit code is ctr's.
_CTR_IMPORT_SCRIPT = (
    'ns=oc-$(date +%s%N)-$$; '
    'if [ -d "$2" ]; then tar -C "$2" -cf - . | '
    '"$0" --address "$1" --namespace "$ns" images import --no-unpack -; '
    'else "$0" --address "$1" --namespace "$ns" images import --no-unpack "$2"; fi')


def ctr_import_argv(ctr: str, socket: str, image: Path) -> list[str]:
    """The argv of one ``ctr images import`` of ``image`` into a running containerd."""
    return ["sh", "-c", _CTR_IMPORT_SCRIPT, ctr, socket, str(image)]
