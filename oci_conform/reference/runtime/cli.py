"""``oci-conform-runtime``: the command line (runc/crun conventions)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

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
        line = (json.dumps({"level": level, "msg": msg, "time": stamp})
                if self.fmt == "json" else f"{stamp} {level}: {msg}")
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
        msg = str(exc).replace("\n", " ")
        sys.stderr.write(f"oci-conform-runtime: {msg}\n")
        log.write("error", msg)
        return 1
    except KeyboardInterrupt:
        return 130


def dispatch(args: cmdline.Args, log: Log) -> int:
    root = Path(args.root)
    cmd = args.command
    if cmd == "features":
        from oci_conform.reference.runtime.features import document
        print(json.dumps(document(), indent=2))
        return 0
    if cmd == "spec":
        path = Path(args.bundle) / "config.json"
        if path.exists():
            raise RuntimeFailure(f"{path} already exists")
        from oci_conform.reference.runtime import specgen
        path.write_text(json.dumps(specgen.default_config(args.rootless), indent=2) + "\n")
        return 0
    if cmd == "list":
        return _list(root, args)
    if cmd == "create":
        from oci_conform.reference.runtime.create import create
        create(root, args.id, Path(args.bundle), args.pid_file, args.console_socket,
                   log.warn)
        return 0
    if cmd == "run":
        return ops.run(root, args.id, Path(args.bundle), args.pid_file, args.console_socket,
                       log.warn)
    if cmd == "start":
        ops.start(root, args.id, log.warn)
        return 0
    if cmd == "state":
        print(json.dumps(Container.load(root, args.id).public(), indent=2))
        return 0
    if cmd == "kill":
        ops.kill(root, args.id, args.signal)
        return 0
    if cmd == "delete":
        ops.delete(root, args.id, args.force, log.warn)
        return 0
    raise RuntimeFailure(f"unknown command {cmd}")


def _list(root: Path, args: cmdline.Args) -> int:
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
