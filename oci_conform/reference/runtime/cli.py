"""``oci-conform-runtime``: the command line (runc/crun conventions).

Every call is a new Python process, so start-up is most of what ``start``, ``kill`` and
``delete`` cost: this module and what it imports at the top use only built-in modules
(``json``, ``pathlib`` and the like are imported by the commands that need them).
"""
from __future__ import annotations

import os
import sys
import time

from oci_conform.reference.runtime import argv as cmdline
from oci_conform.reference.runtime import ops
from oci_conform.reference.runtime.errors import RuntimeFailure
from oci_conform.reference.runtime.state import Container, list_all
from oci_conform.reference.runtime.version import OCI_VERSION_MAX, RUNTIME_VERSION


class Log:
    def __init__(self, path: str | None, fmt: str) -> None:
        self.path, self.fmt = path, fmt

    def write(self, level: str, msg: str) -> None:
        if not self.path:
            return
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if self.fmt == "json":
            import json
            line = json.dumps({"level": level, "msg": msg, "time": stamp})
        else:
            line = f"{stamp} {level}: {msg}"
        try:
            with open(self.path, "a") as fh:
                fh.write(line + "\n")
        except OSError:
            pass

    def warn(self, msg: str) -> None:
        sys.stderr.write(msg + "\n")
        self.write("warning", msg)


def main(argv: list[str] | None = None) -> int:
    try:
        args = cmdline.parse(sys.argv[1:] if argv is None else argv)
    except cmdline.UsageError as exc:
        sys.stderr.write(f"oci-conform-runtime: {exc}\n")
        return 2
    log = Log(args.log, args.log_format)
    if args.help:
        print(cmdline.USAGE)
        return 0
    if args.version:
        print(f"oci-conform-runtime version {RUNTIME_VERSION}\nspec: {OCI_VERSION_MAX}")
        return 0
    if not args.command:
        sys.stderr.write("oci-conform-runtime: a command is required (see --help)\n")
        return 2
    try:
        return dispatch(args, log)
    except RuntimeFailure as exc:
        msg = str(exc)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:    # a bug of ours: one line on stderr; --debug shows where
        if args.debug:
            raise
        msg = f"internal error: {type(exc).__name__}: {exc} (--debug shows the traceback)"
    msg = msg.replace("\n", " ")
    sys.stderr.write(f"oci-conform-runtime: {msg}\n")
    log.write("error", msg)
    return 1


def _global_checks(args: cmdline.Args) -> None:
    """Global options this runtime cannot honour: refused, never ignored."""
    if args.systemd_cgroup:
        raise RuntimeFailure("--systemd-cgroup: systemd cgroup management is not supported "
                             "(this runtime manages cgroupfs folders; use the cgroupfs "
                             "manager)")
    if args.rootless_g not in (None, "false", "auto"):
        raise RuntimeFailure(f"--rootless {args.rootless_g}: rootless mode is not supported")
    if args.no_pivot:
        raise RuntimeFailure("--no-pivot: not supported (this runtime always uses pivot_root "
                             "in a new mount namespace)")
    if not args.preserve_fds.isdigit():
        raise RuntimeFailure(f"--preserve-fds {args.preserve_fds!r}: not a number")


def dispatch(args: cmdline.Args, log: Log) -> int:
    root = args.root
    cmd = args.command
    _global_checks(args)
    if args.debug:
        log.write("debug", f"command {cmd} {args.id or ''}".rstrip())
    if cmd in ("features", "spec", "list", "state"):
        return _report(root, args)
    if cmd == "create":
        from oci_conform.reference.runtime.create import create
        create(root, args.id, args.bundle, args.pid_file, args.console_socket,
               log.warn, int(args.preserve_fds), args.no_new_keyring)
        return 0
    if cmd == "exec":
        from oci_conform.reference.runtime import execproc
        return execproc.run(root, args)
    if cmd == "run":
        return ops.run(root, args.id, args.bundle, args.pid_file, args.console_socket,
                       log.warn, int(args.preserve_fds), args.no_new_keyring)
    if cmd == "start":
        ops.start(root, args.id, log.warn)
        return 0
    if cmd in ("update", "ps", "events"):
        from oci_conform.reference.runtime import update
        if cmd == "update":
            update.update(root, args)
        else:
            print(update.ps(root, args) if cmd == "ps" else update.events(root, args))
        return 0
    if cmd in ("pause", "resume"):
        ops.pause(root, args.id, cmd == "pause")
        return 0
    if cmd == "kill":
        ops.kill(root, args.id, args.signal, args.all)
        return 0
    if cmd == "delete":
        ops.delete(root, args.id, args.force, log.warn)
        return 0
    raise RuntimeFailure(f"unknown command {cmd}")


def _report(root: str, args: cmdline.Args) -> int:
    """The commands that print or write JSON: features, spec, list, state."""
    import json
    cmd = args.command
    if cmd == "features":
        from oci_conform.reference.runtime.features import document
        print(json.dumps(document(), indent=2))
    elif cmd == "spec":
        from oci_conform.reference.runtime import specgen
        path = os.path.join(args.bundle, "config.json")
        text = json.dumps(specgen.default_config(args.rootless), indent=2) + "\n"
        try:
            with open(path, "x") as fh:
                fh.write(text)
        except FileExistsError:
            raise RuntimeFailure(f"{path} already exists") from None
        except OSError as exc:
            raise RuntimeFailure(f"cannot write {path}: {exc.strerror}") from None
    elif cmd == "list":
        docs = [c.public() for c in list_all(root)]
        if args.quiet:
            for d in docs:
                print(d["id"])
        elif args.format == "json":
            print(json.dumps(docs))
        else:
            print(f"{'ID':<30} {'PID':<8} {'STATUS':<10} BUNDLE")
            for d in docs:
                print(f"{d['id']:<30} {d.get('pid', 0):<8} {d['status']:<10} {d['bundle']}")
    else:
        print(json.dumps(Container.load(root, args.id).public(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
