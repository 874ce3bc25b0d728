"""One case's private world: folder, bundle, state root, id, cgroup, and its cleanup.

A sandbox drives the runtime through the spec's operations and keeps every call as
evidence.  ``cleanup`` always runs (the runner calls it in ``finally``): it asks the
runtime to delete, notes what the runtime left behind (processes, mounts, cgroups,
state folders) and then removes it by force.
"""
from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oci_conform.drivers.bundle import base_config, config_diff, write_bundle
from oci_conform.drivers.runtime_cli import Invocation, RuntimeCLI, run_bounded
from oci_conform.model.evidence import Evidence
from oci_conform.suites.runtime.target import RuntimeTarget

JSON = dict[str, Any]
CGROUP_ROOT = Path("/sys/fs/cgroup")
FILE_LIMIT = 4000
DONE = ".done"
GONE_AFTER = 3          # refused `state` calls in a row after which a wait ends (gone)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def processes_under(folder: Path, roots: tuple[Path, ...] = ()) -> list[int]:
    """Live processes whose cwd lies inside ``folder`` or whose root is one of ``roots``."""
    found = []
    prefix = str(folder.resolve())
    keys = set()
    for r in roots:
        try:
            st = os.stat(r)
            keys.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            cwd = ""
        hit = cwd == prefix or cwd.startswith(prefix + "/")
        if not hit and keys:
            try:
                st = os.stat(entry / "root")
                hit = (st.st_dev, st.st_ino) in keys
            except OSError:
                pass
        if hit and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(set(found))


def mounts_under(folder: Path) -> list[str]:
    prefix = str(folder.resolve())
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    points = [line.split()[4].replace("\\040", " ") for line in lines if len(line.split()) > 4]
    return [p for p in points if p == prefix or p.startswith(prefix + "/")]


def cgroup_dirs(rel: str) -> list[Path]:
    """Folders of cgroup ``rel`` (relative to each hierarchy) that exist on any hierarchy."""
    rel = rel.strip("/")
    if not rel or not CGROUP_ROOT.is_dir():
        return []
    roots = [CGROUP_ROOT] if (CGROUP_ROOT / "cgroup.controllers").exists() else \
        [p for p in CGROUP_ROOT.iterdir() if p.is_dir() and not p.is_symlink()]
    return [r / rel for r in roots if (r / rel).is_dir()]


def remove_cgroup_tree(path: Path) -> bool:
    """rmdir ``path`` and its children, deepest first, killing what lives there."""
    if not path.is_dir():
        return True
    for child in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        _kill_procs_in(child)
        try:
            child.rmdir()
        except OSError:
            pass
    _kill_procs_in(path)
    try:
        path.rmdir()
    except OSError:
        return False
    return True


def _kill_procs_in(cg: Path) -> None:
    try:
        pids = [int(p) for p in (cg / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return
    kill_and_wait(pids, 2.0)


def kill_and_wait(pids: list[int], patience: float = 5.0) -> list[int]:
    """SIGKILL ``pids`` and block until each is gone (or ``patience`` runs out).

    Returns the pids still alive at the deadline (see :func:`wait_gone`).
    """
    return wait_gone(pids, patience, signal.SIGKILL)


def wait_gone(pids: list[int] | set[int], patience: float, sig: int = 0) -> list[int]:
    """Block until each of ``pids`` is gone (sending ``sig`` first when non-zero).

    Each process is held by a pidfd, so a signal cannot reach a reused pid and its exit
    is waited for by ``poll`` (no sleep loop); a zombie counts as gone (it no longer runs).
    Returns the pids still alive at the deadline.
    """
    fds: dict[int, int] = {}
    unheld: list[int] = []              # no pidfd here (old kernel): polled through /proc
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue                    # already gone
        except OSError:
            unheld.append(pid)
            if sig:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
            continue
        if sig:
            try:
                signal.pidfd_send_signal(fd, sig)
            except OSError:
                pass
        fds[fd] = pid
    deadline = time.monotonic() + patience
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    waiting = dict(fds)
    try:
        while waiting:
            # a pidfd is readable once the process exits; a zombie that is not our
            # child is not reaped here, so its exit is the signal, not its removal
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for fd, _ in poller.poll(left * 1000):
                poller.unregister(fd)
                waiting.pop(fd, None)
    finally:
        for fd in fds:
            os.close(fd)
    while any(pid_alive(p) for p in unheld) and time.monotonic() < deadline:
        time.sleep(0.01)
    return sorted(p for p in [*waiting.values(), *unheld] if pid_alive(p))


@dataclass
class Leftovers:
    """What the runtime left after its own delete: each kind maps to the items found."""

    processes: list[int] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    cgroups: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.processes or self.mounts or self.cgroups or self.state)


@dataclass
class Sandbox:
    """A case's folder, container id, state root, cgroup path and runtime CLI."""

    target: RuntimeTarget
    case: str
    dir: Path = field(init=False)
    cid: str = field(init=False)
    cli: RuntimeCLI = field(init=False)
    cgroups_path: str = field(init=False)
    states: list[JSON] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    pids: set[int] = field(default_factory=set)
    extra_ids: list[str] = field(default_factory=list)
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    leftovers: Leftovers = field(default_factory=Leftovers)
    cleanup_problems: list[str] = field(default_factory=list)
    leftovers_host: list[str] = field(default_factory=list)
    written: dict[Path, str] = field(default_factory=dict)   # bundle -> config diff
    last_pid: dict[str, int] = field(default_factory=dict)   # container id -> its state pid
    started: set[str] = field(default_factory=set)           # ids a ``start`` succeeded for

    def __post_init__(self) -> None:
        token = uuid.uuid4().hex[:6]
        self.cid = f"oc-{slug(self.case)[:30]}-{token}"
        self.dir = self.target.workdir / "cases" / f"{slug(self.case)}-{token}"
        (self.dir / "results").mkdir(parents=True)
        for folder in (self.dir.parent, self.dir):
            folder.chmod(0o711)
        (self.dir / "results").chmod(0o777)
        self.cli = self.target.cli(self.dir / "state", self.dir / "logs")
        self.cgroups_path = f"/{self.target.cgroup_parent}/{self.cid}"

    # -- bundle ---------------------------------------------------------------------------
    @property
    def bundle(self) -> Path:
        return self.dir / "bundle"

    @property
    def rootfs(self) -> Path:
        return self.bundle / "rootfs"

    @property
    def results(self) -> Path:
        return self.dir / "results"

    def config(self, args: list[str] | None = None) -> JSON:
        return base_config(self.target.oci_version, args or ["sh", "-c", "true"], self.results,
                           self.cgroups_path)

    def write(self, config: JSON, bundle: Path | None = None) -> Path:
        """Write a bundle (this case's by default); its config is kept as a diff from base."""
        where = bundle or self.bundle
        self.written[where] = config_diff(self.config(), config)
        return write_bundle(where, config, self.target.base_rootfs)

    def ids(self) -> list[str]:
        return [self.cid, *self.extra_ids]

    # -- operations -----------------------------------------------------------------------
    def create(self, cid: str | None = None, bundle: Path | None = None) -> Invocation:
        inv = self.cli.create(cid or self.cid, bundle or self.bundle)
        inv.config = self.written.get(bundle or self.bundle, "")
        return inv

    def start(self, cid: str | None = None) -> Invocation:
        inv = self.cli.start(cid or self.cid)
        if inv.ok:
            self.started.add(cid or self.cid)
        return inv

    def kill(self, sig: str = "KILL", cid: str | None = None) -> Invocation:
        return self.cli.kill(cid or self.cid, sig)

    def delete(self, cid: str | None = None, force: bool = False) -> Invocation:
        return self.cli.delete(cid or self.cid, force)

    def state(self, cid: str | None = None) -> tuple[Invocation, JSON | None]:
        """``state`` and its parsed document (None when not a JSON object)."""
        inv = self.cli.state(cid or self.cid)
        doc = parse_json(inv.stdout) if inv.ok else None
        if doc is not None:
            self.states.append(doc)
            pid = doc.get("pid")
            if isinstance(pid, int) and pid > 0:
                self.pids.add(pid)
                self.last_pid[cid or self.cid] = pid
        return inv, doc

    def wait_status(self, status: str, timeout: float = 10.0,
                    cid: str | None = None) -> JSON | None:
        """Ask ``state`` until it reports ``status`` (the last document, or None).

        For "stopped", when an earlier ``state`` named the container's process and that
        process was running, its exit is awaited first with a blocking wait (a pidfd), so
        one ``state`` call usually answers; ``state`` is asked again, with growing pauses,
        only while it still disagrees, and not after it refused GONE_AFTER times in a row
        (the container is gone: None).
        """
        deadline = time.monotonic() + timeout
        doc: JSON | None = None
        delay = 0.02
        pid = self.last_pid.get(cid or self.cid)
        if status == "stopped" and pid and self._was_running(cid or self.cid):
            wait_gone([pid], timeout)
        refusals = 0
        while time.monotonic() < deadline:
            inv, doc = self.state(cid)
            if doc is not None and doc.get("status") == status:
                return doc
            # a runtime that destroyed the container (some do when start fails) refuses
            # ``state`` from then on: three refusals in a row end the wait
            refusals = refusals + 1 if inv.failed else 0
            if refusals >= GONE_AFTER:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.3)
        return doc

    def _was_running(self, cid: str) -> bool:
        """True when the last ``state`` of ``cid`` said running or paused, or said created
        and a ``start`` then succeeded (a created container's process waits for start)."""
        for doc in reversed(self.states):
            if doc.get("id") == cid:
                status = doc.get("status")
                return status in ("running", "paused") or (
                    status == "created" and cid in self.started)
        return False

    def wait_exit(self, pid: int, timeout: float = 10.0) -> bool:
        """Block until a container process exits (a pidfd wait; no runtime calls)."""
        return not wait_gone([pid], timeout)

    def read(self, name: str, limit: int = FILE_LIMIT) -> str | None:
        try:
            return (self.results / name).read_bytes()[:limit].decode("utf-8", "replace")
        except OSError:
            return None

    def probe_files(self) -> dict[str, str]:
        out = {}
        for p in sorted(self.results.iterdir()) if self.results.is_dir() else []:
            if p.is_file():
                out[p.name] = p.read_bytes()[:FILE_LIMIT].decode("utf-8", "replace")
        return out

    def helper(self, argv: list[str]) -> subprocess.Popen[bytes]:
        """Start a helper process (namespace holder, socket server) that cleanup will end."""
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        self.helpers.append(proc)
        return proc

    # -- evidence -------------------------------------------------------------------------
    def evidence(self) -> Evidence:
        """The case's runtime calls (typed) and what else it saw (facts)."""
        facts: JSON = {"container_id": self.cid}
        if self.states:
            facts["state"] = self.states[-1]
        files = self.probe_files()
        if files:
            facts["probe"] = files
        if self.notes:
            facts["notes"] = self.notes
        evidence = Evidence.of(runs=[c.run() for c in self.cli.calls], facts=facts)
        evidence.config = self.config_used()
        return evidence

    def config_used(self) -> str:
        """Each bundle's config as a diff from the base config (labelled when several)."""
        same = "(the base config, unchanged)"
        if len(self.written) == 1:
            return next(iter(self.written.values())) or same
        return "\n".join(f"{path.name}:\n{diff or same}" for path, diff in self.written.items())

    # -- cleanup --------------------------------------------------------------------------
    def cleanup(self) -> None:
        """Runtime delete, note leftovers, then force everything away."""
        damage = repair_dev_null()
        if damage:
            self.leftovers_host.append(f"host /dev/null was changed ({damage}); the harness "
                                       "restored it")
        ncalls = len(self.cli.calls)
        for cid in self.ids():
            if not _holds_anything(self.dir / "state"):
                break                     # nothing left for the runtime to delete
            self.cli.kill(cid, "KILL")
            self.cli.delete(cid, force=True)
        del self.cli.calls[ncalls:]       # cleanup calls are not evidence of the case
        self.leftovers = self._find_leftovers()
        self._force_clean()

    def _find_leftovers(self) -> Leftovers:
        helpers = {h.pid for h in self.helpers}

        def alive() -> set[int]:
            procs = set(processes_under(self.dir, (self.rootfs,)))
            return (procs | {p for p in self.pids if pid_alive(p)}) - helpers

        procs = alive()
        if procs:                       # a killed process may still be exiting: await it
            wait_gone(procs, 3.0)
            procs = alive()
        state_left = []
        root = self.dir / "state"
        if root.is_dir():
            state_left = [str(p) for p in root.iterdir() if p.name in self.ids()]
        cgroups = [str(p) for cid in self.ids() for p in
                   cgroup_dirs(f"{self.target.cgroup_parent}/{cid}")]
        return Leftovers(sorted(procs), mounts_under(self.dir), cgroups, state_left)

    def _force_clean(self) -> None:
        for proc in self.helpers:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            if kill_and_wait([proc.pid], 5.0):
                self.cleanup_problems.append(f"helper {proc.pid} did not exit")
            else:
                proc.wait()             # gone: reap it (returns at once)
        still = kill_and_wait(self.leftovers.processes, 5.0)
        for point in sorted(mounts_under(self.dir), key=len, reverse=True):
            run_bounded(["umount", "-l", point], timeout=10)
        for cid in self.ids():
            for path in cgroup_dirs(f"{self.target.cgroup_parent}/{cid}"):
                if not remove_cgroup_tree(path):
                    self.cleanup_problems.append(f"cannot remove cgroup {path}")
        if still:
            self.cleanup_problems.append(f"processes still alive: {still}")
        if mounts_under(self.dir):
            self.cleanup_problems.append(f"mounts remain under {self.dir}")
        elif self.target.keep_dir is None:   # with --keep the runner removes it once judged
            shutil.rmtree(self.dir, ignore_errors=True)


def _holds_anything(folder: Path) -> bool:
    """True when ``folder`` exists and is not empty."""
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is not None
    except OSError:
        return False


def repair_dev_null() -> str:
    """Restore the host's /dev/null (char 1:3, root, 0666) if a runtime changed it.

    Returns what was wrong ("" when nothing was).  A runtime that chowns or replaces the
    host's null device breaks every later run on the machine, so the harness puts it back
    and reports it.
    """
    path = "/dev/null"
    try:
        st = os.lstat(path)
    except OSError:
        st = None
    want_dev = os.makedev(1, 3)
    if st and stat.S_ISCHR(st.st_mode) and st.st_rdev == want_dev and st.st_uid == 0 \
            and st.st_gid == 0 and stat.S_IMODE(st.st_mode) == 0o666:
        return ""
    what = ("missing" if st is None else
            f"mode {stat.filemode(st.st_mode)}, owner {st.st_uid}:{st.st_gid}")
    try:
        if st is None or not stat.S_ISCHR(st.st_mode) or st.st_rdev != want_dev:
            if st is not None:
                os.unlink(path)
            os.mknod(path, 0o666 | stat.S_IFCHR, want_dev)
        os.chown(path, 0, 0)
        os.chmod(path, 0o666)
    except OSError as exc:
        what += f"; repair failed: {exc}"
    return what


def parse_json(text: str) -> JSON | None:
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None
