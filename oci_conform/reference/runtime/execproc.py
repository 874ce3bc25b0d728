"""``exec``: start one more process in a running container.

The runtime forks a helper that moves itself into the container's cgroups, applies the
process's rlimits, oom score and scheduling, opens the container init's namespaces and
root, joins them (user first, mount last), chroots to the init's root and forks the
process (the fork is what enters the pid namespace).  The helper reports the process's
pid and exits; the process switches user and capabilities, installs the container's
seccomp filter and execs.  Both report a failure as one line on a pipe whose last
writer closes at the exec (close-on-exec): an empty pipe is the proof that it ran.

Without ``--detach`` the runtime is the process's subreaper, passes signals on to it
and exits with its status (128 + signal number when a signal ended it).
"""
from __future__ import annotations

import os

from oci_conform.reference.runtime.errors import RuntimeFailure
from oci_conform.reference.runtime.state import Container

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

    from oci_conform.reference.runtime.argv import Args
    JSON = dict[str, Any]

MAX_PROCESS = 1 << 20
# /proc/<pid>/ns names, joined in this order (user first, mount last)
NS_ORDER = (("user", 0x10000000), ("ipc", 0x08000000), ("uts", 0x04000000),
            ("net", 0x40000000), ("pid", 0x20000000), ("cgroup", 0x02000000),
            ("time", 0x00000080), ("mnt", 0x00020000))
FORWARDED = ("SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGWINCH")
REPORT_TIMEOUT = 60.0
PR_SET_CHILD_SUBREAPER = 36


# -- the process document -----------------------------------------------------------------
def read_process_file(path: str) -> JSON:
    """The ``--process`` file: a regular file of at most 1 MiB holding a JSON object."""
    from oci_conform.reference.runtime import jsontext
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK) if path != "-" else 0
    except OSError as exc:
        raise RuntimeFailure(f"--process {path}: {exc.strerror}") from None
    try:
        import stat
        if path != "-" and not stat.S_ISREG(os.fstat(fd).st_mode):
            raise RuntimeFailure(f"--process {path}: not a regular file")
        chunks, size = [], 0
        while size <= MAX_PROCESS:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        if fd:
            os.close(fd)
    if size > MAX_PROCESS:
        raise RuntimeFailure(f"--process {path}: larger than {MAX_PROCESS} bytes")
    try:
        doc = jsontext.loads(b"".join(chunks).decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise RuntimeFailure(f"--process {path}: not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise RuntimeFailure(f"--process {path}: the top level is not an object")
    return doc


def _user(text: str) -> tuple[int, int | None]:
    uid, _, gid = text.partition(":")
    if not uid.isdigit() or (gid and not gid.isdigit()):
        raise RuntimeFailure(f"--user {text!r}: give UID or UID:GID (numbers)")
    return int(uid), (int(gid) if gid else None)


def _copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (``copy.deepcopy`` costs its import here)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def build_process(base: JSON, args: Args) -> JSON:
    """The process to start: the ``--process`` file as it is, else the container's own
    process with the command line's command and changes (runc's rules)."""
    if args.process:
        return read_process_file(args.process)
    if not args.rest:
        raise RuntimeFailure("exec: give a command after the container id, or --process FILE")
    proc = _copy(base) if base else {"cwd": "/", "env": [], "user": {}}
    proc["args"] = list(args.rest)
    proc["terminal"] = bool(args.tty)
    proc.pop("consoleSize", None)
    if args.cwd:
        proc["cwd"] = args.cwd
    if args.env:
        proc["env"] = list(proc.get("env") or []) + args.env
    user = dict(proc.get("user") or {})
    if args.user:
        uid, gid = _user(args.user)
        user["uid"] = uid
        if gid is not None:
            user["gid"] = gid
    if args.additional_gids:
        if not all(g.isdigit() for g in args.additional_gids):
            raise RuntimeFailure("--additional-gids: give group ids (numbers)")
        user["additionalGids"] = [int(g) for g in args.additional_gids]
    proc["user"] = user
    if args.cap:
        caps = {k: list(v) for k, v in (proc.get("capabilities") or {}).items()}
        for name in args.cap:
            for key in ("bounding", "effective", "permitted"):
                caps.setdefault(key, []).append(name)
            if caps.get("inheritable"):       # ambient needs inheritable (as runc)
                caps.setdefault("ambient", []).append(name)
        proc["capabilities"] = caps
    if args.no_new_privs:
        proc["noNewPrivileges"] = True
    if args.apparmor:
        proc["apparmorProfile"] = args.apparmor
    if args.process_label:
        proc["selinuxLabel"] = args.process_label
    return proc


def check_process(proc: JSON) -> None:
    """The same rules as ``process`` in config.json (one line naming the field)."""
    from oci_conform.reference.runtime import config
    try:
        config.check_process(proc)
    except RuntimeFailure as exc:
        raise RuntimeFailure(str(exc).replace("config.json /process", "exec process", 1)) \
            from None


# -- exec ---------------------------------------------------------------------------------
def run(root: str, args: Args) -> int:
    """The ``exec`` command: its exit status (the process's without --detach)."""
    ctr = Container.load(root, args.id)
    status = ctr.status()
    if status not in ("created", "running", "paused"):
        raise RuntimeFailure(f"container {args.id!r} is {status}: cannot exec")
    if status == "paused" and not args.ignore_paused:
        raise RuntimeFailure(f"container {args.id!r} is paused: cannot exec (resume it)")
    if args.exec_cgroup:
        raise RuntimeFailure("exec --cgroup: sub-cgroups are not supported")
    proc = build_process(ctr.private.get("process") or {}, args)
    check_process(proc)
    if proc.get("terminal") and not args.console_socket:
        raise RuntimeFailure("exec: a terminal needs --console-socket")
    if args.console_socket and not proc.get("terminal"):
        raise RuntimeFailure("exec: --console-socket given but the process has no terminal")
    if not args.preserve_fds.isdigit():
        raise RuntimeFailure(f"--preserve-fds {args.preserve_fds!r}: not a number")
    prog, flags = _seccomp(ctr.private.get("seccomp"))
    from oci_conform.reference.runtime import process
    from oci_conform.reference.runtime import syscalls as sc
    if proc.get("terminal"):
        from oci_conform.reference.runtime import console
        console.preload()
    if proc.get("rlimits"):
        import resource  # noqa: F401 - the helper may not reach the stdlib any more
    if not args.detach:
        sc.prctl(PR_SET_CHILD_SUBREAPER, 1)
    pid = _launch(ctr, proc, args, prog, flags, process, sc)
    if args.pid_file:
        from oci_conform.reference.runtime.create import write_pid_file
        write_pid_file(args.pid_file, pid)
    if args.detach:
        return 0
    return _wait(pid)


def _seccomp(sec: JSON | None) -> tuple[bytes | None, int]:
    if not sec:
        return None, 0
    from oci_conform.reference.runtime import seccomp
    if seccomp.uses_notify(sec):
        raise RuntimeFailure("exec: the container's seccomp filter notifies an agent "
                             "(SCMP_ACT_NOTIFY), which exec does not support")
    return seccomp.compile_filter(sec), seccomp.filter_flags(sec)


def _open_targets(ctr: Container) -> tuple[list[tuple[int, int]], int]:
    """fds of the init's namespaces that differ from ours (in join order), and its root."""
    pid = ctr.doc["pid"]
    fds: list[tuple[int, int]] = []
    try:
        for name, flag in NS_ORDER:
            path = f"/proc/{pid}/ns/{name}"
            try:
                if os.readlink(path) == os.readlink(f"/proc/self/ns/{name}"):
                    continue
            except FileNotFoundError:
                if name == "time":          # a kernel without time namespaces
                    continue
                raise
            fds.append((os.open(path, os.O_RDONLY | os.O_CLOEXEC), flag))
        rootfd = os.open(f"/proc/{pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        for fd, _ in fds:
            os.close(fd)
        raise RuntimeFailure(f"exec: cannot open the container's namespaces: "
                             f"{exc.strerror}") from None
    if not ctr.alive():             # the pid was reused under us
        for fd, _ in fds:
            os.close(fd)
        os.close(rootfd)
        raise RuntimeFailure(f"container {ctr.id!r} stopped: cannot exec")
    return fds, rootfd


def _launch(ctr: Container, proc: JSON, args: Args, prog: bytes | None, flags: int,
            process: Any, sc: Any) -> int:
    """Fork the helper; return the process's pid once it has exec'd."""
    fds, rootfd = _open_targets(ctr)
    console = None
    if args.console_socket:
        from oci_conform.reference.runtime import unixsock
        try:
            console = unixsock.connect(os.path.abspath(args.console_socket))
        except OSError as exc:
            raise RuntimeFailure(f"--console-socket {args.console_socket}: "
                                 f"{exc.strerror}") from None
    r, w = os.pipe2(os.O_CLOEXEC)
    helper = os.fork()
    if helper == 0:
        os.close(r)
        _helper(w, ctr, proc, fds, rootfd, console, prog, flags, int(args.preserve_fds),
                process, sc)
        os._exit(1)
    os.close(w)
    for fd, _ in fds:
        os.close(fd)
    os.close(rootfd)
    if console is not None:
        console.close()
    try:
        report = _read_report(r)
    finally:
        os.close(r)
        try:
            os.waitpid(helper, 0)
        except ChildProcessError:
            pass
    pid, error = None, None
    for line in report.splitlines():
        if line.startswith("pid "):
            pid = int(line[4:])
        elif line.startswith("error "):
            error = line[6:]
    if error or pid is None:
        why = error or "the helper exited without starting the process"
        raise RuntimeFailure(why if why.startswith("exec:") else f"exec: {why}")
    return pid


def _read_report(fd: int) -> str:
    import select
    import time
    deadline = time.monotonic() + REPORT_TIMEOUT
    data = b""
    while len(data) < 65536:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise RuntimeFailure(f"exec: no word from the process in {REPORT_TIMEOUT:.0f}s")
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace")


def _say(w: int, text: str) -> None:
    try:
        os.write(w, (text.replace("\n", " ") + "\n").encode())
    except OSError:
        pass


def _helper(w: int, ctr: Container, proc: JSON, fds: list[tuple[int, int]], rootfd: int,
            console: Any, prog: bytes | None, flags: int, preserve: int, process: Any,
            sc: Any) -> None:
    """Join the container (cgroups, limits, namespaces, root), fork the process."""
    try:
        from oci_conform.reference.runtime import cgroups
        cgroups.join(ctr.private.get("cgroup") or "")
        process.early(proc)
        for fd, flag in fds:
            try:
                sc.setns(fd, flag)
            except OSError as exc:
                raise OSError(exc.errno, f"join namespace {flag:#x}: {exc.strerror}") from None
            os.close(fd)
        os.fchdir(rootfd)
        os.chroot(".")
        os.close(rootfd)
        os.chdir("/")
        pid = os.fork()
        if pid == 0:
            _child(w, proc, console, prog, flags, preserve, process)
            os._exit(127)
        _say(w, f"pid {pid}")
    except BaseException as exc:  # noqa: BLE001 - reported to the runtime, then exit
        _say(w, f"error {exc}")
    finally:
        os._exit(0)


def _child(w: int, proc: JSON, console: Any, prog: bytes | None, flags: int, preserve: int,
           process: Any) -> None:
    """The process itself, in every namespace of the container: become it and exec."""
    import _signal
    try:
        if console is not None:
            from oci_conform.reference.runtime import console as console_mod
            os.setsid()
            console_mod.attach(console, proc)
        for sig in (_signal.SIGPIPE, _signal.SIGXFSZ, _signal.SIGINT, _signal.SIGTERM):
            _signal.signal(sig, _signal.SIG_DFL)
        process.become(proc, prog, True, flags)
        process.keep_fds(preserve, {w})
        process.execute(proc)
    except BaseException as exc:  # noqa: BLE001
        msg = str(exc) or type(exc).__name__
        if isinstance(exc, OSError) and exc.strerror:
            msg = exc.strerror if exc.filename is None else f"{exc.filename}: {exc.strerror}"
        _say(w, f"error {msg}")
    os._exit(127)


def _wait(pid: int) -> int:
    """Wait for the process (we are its subreaper); pass signals on; its exit status."""
    import _signal

    def forward(num: int, _frame: object) -> None:
        try:
            os.kill(pid, num)
        except OSError:
            pass
    for name in FORWARDED:
        _signal.signal(getattr(_signal, name), forward)
    while True:
        try:
            got, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 255
        except InterruptedError:
            continue
        if got == pid:
            code = os.waitstatus_to_exitcode(status)
            return 128 - code if code < 0 else code
