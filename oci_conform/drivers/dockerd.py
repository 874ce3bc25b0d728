"""A Docker engine (Debian's ``docker.io``) of our own, started in a temp folder.

``Dockerd.start`` runs ``dockerd`` with its data root, exec root, socket, pid file, trust key,
config file and ``TMPDIR`` all under folders it made, no bridge and no firewall or
forwarding changes, the vfs storage driver (nothing to unmount), a cgroup parent it owns, and
the containerd dockerd starts for itself (its socket under the exec root).  Every client call
is Debian's ``/usr/bin/docker -H unix://SOCK`` (``/usr/local/bin/docker`` may be an
unrelated client) with ``DOCKER_CONFIG`` in the temp folder, so ``docker login`` writes
nothing in ``$HOME``. ``Dockerd.stop`` removes every container, stops the daemon (SIGTERM,
then SIGKILL), ends any shim left, unmounts what is left under its folders and removes them
and its cgroups.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from oci_conform.drivers.image_sources.tools import ToolRun

DOCKER_CLI = "/usr/bin/docker"
TIMEOUT = 120
IMAGE = "oci-conform-busybox:latest"
# fixed paths dockerd 20.10 (plugin sockets) and its containerd 1.6 (shim sockets) create
HOST_DIRS = (Path("/run/docker/plugins"), Path("/run/docker"), Path("/run/containerd/s"),
             Path("/run/containerd"))


class DockerdError(RuntimeError):
    """dockerd could not be started here (the message says why)."""


def dockerd_path() -> str | None:
    """``dockerd`` from Debian's docker.io, with the client it must be paired with."""
    exe = shutil.which("dockerd")
    return exe if exe and os.access(DOCKER_CLI, os.X_OK) else None


def dockerd_version() -> str:
    exe = dockerd_path()
    if not exe:
        return ""
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20,
                             check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.strip().splitlines()[0] if out.strip() else ""


@dataclass
class Dockerd:
    """One isolated Docker daemon.  Start with :meth:`start`, always :meth:`stop`.

    ``runtimes`` maps extra runtime names to binaries (``--add-runtime`` in daemon.json);
    ``insecure_registries`` are ``host:port`` the daemon may reach over plain http."""

    work: Path
    runtimes: dict[str, str] = field(default_factory=dict)
    insecure_registries: list[str] = field(default_factory=list)
    extra_config: dict = field(default_factory=dict)      # more daemon.json keys
    # host files dockerd should see with other contents ({"/etc/subuid": "root:..."}): it
    # then runs in a mount namespace of its own with those bind-mounted over, nothing edited
    overlay_files: dict[str, str] = field(default_factory=dict)
    ready_timeout: float = 40.0
    runs: list[ToolRun] = field(default_factory=list)

    def start(self) -> Dockerd:
        exe = dockerd_path()
        if exe is None:
            raise DockerdError("dockerd or /usr/bin/docker is not installed "
                               "(apt-get install docker.io)")
        if os.geteuid() != 0:
            raise DockerdError("dockerd needs root here")
        self.work.mkdir(parents=True, exist_ok=True)
        # dockerd and its containerd make these whatever their flags say: removed at stop
        # (only when empty and only if they were not there before)
        self.host_dirs = [d for d in HOST_DIRS if not d.exists()]
        # unix socket paths hold ~107 bytes: the socket and exec root live in a short folder
        self.short = Path(tempfile.mkdtemp(prefix="oc-dk-"))
        self.socket = self.short / "d.sock"
        self.cgroup_parent = f"oci-conform-dockerd-{self.short.name}"
        self.config_dir = self.work / "client"
        self.config_dir.mkdir(exist_ok=True)
        config = self.work / "daemon.json"
        config.write_text(json.dumps(self._daemon_json(), indent=1))
        argv = [exe, "--config-file", str(config), "--iptables=false", "--ip-forward=false",
                "--ip-masq=false", "--ip6tables=false", "--bridge=none",
                "--storage-driver", "vfs", "--data-root", str(self.work / "data"),
                "--exec-root", str(self.short / "x"), "-H", f"unix://{self.socket}",
                "--pidfile", str(self.short / "d.pid"), "--cgroup-parent",
                f"/{self.cgroup_parent}"]
        argv = self._in_own_namespace(argv) if self.overlay_files else argv
        # its temp folder (containerd writes a stack dump there when dockerd kills it) is ours
        (self.short / "tmp").mkdir()
        env = dict(os.environ, TMPDIR=str(self.short / "tmp"))
        log = (self.work / "dockerd.log").open("wb")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                     start_new_session=True, env=env)
        log.close()
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self.socket.exists() and self.docker("version", timeout=10).ok:
                return self
            time.sleep(0.3)
        tail, code = self.log_tail(), self.proc.poll()
        self.stop()
        if code is not None:
            raise DockerdError(f"dockerd exited with {code}: {tail}")
        raise DockerdError(f"dockerd did not come up within {self.ready_timeout:.0f}s: {tail}")

    def _in_own_namespace(self, argv: list[str]) -> list[str]:
        """``argv`` run by ``unshare -m`` after bind-mounting each overlay file (private
        propagation: the host never sees these mounts; they go with the namespace)."""
        script, files = [], []
        for index, (target, text) in enumerate(sorted(self.overlay_files.items())):
            source = self.work / f"overlay-{index}"
            source.write_text(text)
            files += [str(source), target]
            script.append(f'mount --bind "${{{2 * index + 1}}}" "${{{2 * index + 2}}}" '
                          '|| exit 125')
        script.append(f'shift {len(files)}; exec "$@"')
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                "; ".join(script), "sh", *files, *argv]

    def _daemon_json(self) -> dict:
        doc: dict = {"deprecated-key-path": str(self.work / "key.json"),
                     "log-driver": "json-file", "features": {"buildkit": False}}
        if self.runtimes:
            doc["runtimes"] = {name: {"path": path} for name, path in self.runtimes.items()}
        if self.insecure_registries:
            doc["insecure-registries"] = list(self.insecure_registries)
        return {**doc, **self.extra_config}

    def log_tail(self, size: int = 600) -> str:
        try:
            with (self.work / "dockerd.log").open("rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - size))
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def docker(self, *args: str, timeout: float = TIMEOUT, stdin: str | None = None
               ) -> ToolRun:
        """One client call with a deadline; the run is recorded."""
        argv = [DOCKER_CLI, "-H", f"unix://{self.socket}", *args]
        env = dict(os.environ, DOCKER_CONFIG=str(self.config_dir))
        env.pop("DOCKER_HOST", None)
        started = time.monotonic()
        try:
            p = subprocess.run(argv, capture_output=True, timeout=timeout, env=env,
                               input=(stdin or "").encode(), check=False)
            result = ToolRun(argv, p.returncode, p.stdout.decode(errors="replace"),
                             p.stderr.decode(errors="replace"), time.monotonic() - started)
        except subprocess.TimeoutExpired:
            result = ToolRun(argv, -9, "", f"timed out after {timeout}s")
        except OSError as exc:
            result = ToolRun(argv, -1, "", str(exc))
        self.runs.append(result)
        return result

    def client_argv(self) -> list[str]:
        """The client command line (for scripts that call docker themselves)."""
        return [DOCKER_CLI, "-H", f"unix://{self.socket}"]

    def version(self) -> str:
        got = self.docker("version", "--format", "{{.Server.Version}}", timeout=20)
        return got.stdout.strip() if got.ok else ""

    def import_busybox(self, tag: str = IMAGE) -> ToolRun:
        """``docker import`` of a busybox-static rootfs tarball (no network)."""
        import tarfile

        from oci_conform.drivers.bundle import build_base_rootfs
        rootfs = build_base_rootfs(self.work / "busybox-rootfs")
        tarball = self.work / "busybox-rootfs.tar"
        with tarfile.open(tarball, "w") as tar:
            tar.add(rootfs, arcname=".")
        shutil.rmtree(rootfs, ignore_errors=True)
        return self.docker("import", "--change", 'CMD ["/bin/sh"]', str(tarball), tag)

    def stop(self) -> None:
        """Remove every container, stop the daemon and remove everything it made."""
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            listed = self.docker("ps", "-aq", timeout=30)
            ids = listed.stdout.split() if listed.ok else []
            if ids:
                self.docker("rm", "-f", *ids, timeout=60)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if hasattr(self, "short"):
            _end_processes_naming(str(self.short))
            _unmount_under([self.short, self.work])
            shutil.rmtree(self.short, ignore_errors=True)
            # a remapping daemon (userns-remap) makes SHORT.UID.GID beside its exec root
            for remapped in self.short.parent.glob(f"{self.short.name}.*"):
                shutil.rmtree(remapped, ignore_errors=True)
            _remove_cgroups(self.cgroup_parent)
        _unmount_under([self.work])
        shutil.rmtree(self.work / "data", ignore_errors=True)
        for folder in getattr(self, "host_dirs", []):
            try:
                folder.rmdir()
            except OSError:
                pass


def _end_processes_naming(marker: str) -> None:
    """SIGKILL processes (shims, containerd) whose command line names our own folder."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()[:8192].decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass


def _unmount_under(folders: list[Path]) -> None:
    """Lazily unmount every mount point below our folders, deepest first."""
    prefixes = tuple(str(f.resolve()) + "/" for f in folders)
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return
    points = [line.split()[4].replace("\\040", " ") for line in lines if len(line.split()) > 4]
    for point in sorted({p for p in points if p.startswith(prefixes)}, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, timeout=20, check=False)


def _remove_cgroups(parent: str) -> None:
    """Remove the cgroup parent (and anything left below it) on every hierarchy."""
    root = Path("/sys/fs/cgroup")
    tops = [root / parent] + [h / parent for h in root.iterdir() if h.is_dir()]
    for top in tops:
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


# docker load of one image, then every image removed again, so no later load finds a layer
# already registered (Docker skips reading a layer whose chain it already has).  $0 is the
# client, $1 the daemon address, $2 the image; the exit code is the load's.
_LOAD_SCRIPT = ('"$0" -H "$1" load -i "$2"; rc=$?; '
                'ids=$("$0" -H "$1" images -aq); '
                '[ -z "$ids" ] || "$0" -H "$1" rmi -f $ids >/dev/null 2>&1; exit $rc')


def docker_load_argv(client: str, address: str, image: Path) -> list[str]:
    """The argv of one ``docker load`` of ``image`` into the daemon at ``address``."""
    return ["sh", "-c", _LOAD_SCRIPT, client, address, str(image)]
