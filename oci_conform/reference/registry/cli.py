"""``oci-conform-registry``: serve the reference registry, or collect its garbage."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from oci_conform.reference.registry.api import PROFILES
from oci_conform.reference.registry.gc import collect
from oci_conform.reference.registry.limits import Limits
from oci_conform.reference.registry.recording import DEFAULT_LIMIT
from oci_conform.reference.registry.server import RegistryConfig, bound_address, build_server
from oci_conform.reference.registry.storage import Storage


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        print(f"error: {self.prog}: {message}", file=sys.stderr)
        sys.exit(2)


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not (port.isascii() and port.isdigit()) or not host or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"--listen wants HOST:PORT, got {text!r}")
    return host, int(port)


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= 100_000:
        raise argparse.ArgumentTypeError(f"wants a whole number from 1 to 100000, got {text!r}")
    return int(text)


def _mebibytes(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= 1 << 20:
        raise argparse.ArgumentTypeError(f"wants a whole number of MiB from 1 to 1048576, "
                                         f"got {text!r}")
    return int(text) << 20


def build_parser() -> _Parser:
    parser = _Parser(prog="oci-conform-registry",
                     description="The oci-conform reference registry (OCI distribution-spec).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    serve = sub.add_parser("serve", help="serve the registry API")
    serve.add_argument("--listen", type=_listen, default=("127.0.0.1", 5000), metavar="HOST:PORT")
    serve.add_argument("--storage", type=Path, required=True, metavar="DIR")
    serve.add_argument("--profile", choices=PROFILES, default="dev")
    serve.add_argument("--read-only", action="store_true", help="refuse every write (405)")
    serve.add_argument("--htpasswd", type=Path, metavar="FILE",
                       help="users ({SHA}, $apr1$ or bcrypt hashes); enables authentication")
    serve.add_argument("--token-realm", action="store_true",
                       help="with --htpasswd: bearer tokens from this server's /token endpoint")
    serve.add_argument("--anonymous-pull", action="store_true",
                       help="with --htpasswd: allow pulls without credentials")
    serve.add_argument("--max-connections", type=_positive, default=Limits.max_connections,
                       metavar="N", help="connections served at once; more get 429 "
                       f"(default {Limits.max_connections})")
    serve.add_argument("--record", type=Path, metavar="FILE",
                       help="recording mode: write every exchange (headers redacted, sizes, "
                       "timing) to FILE as JSON lines")
    serve.add_argument("--record-limit", type=_mebibytes, default=DEFAULT_LIMIT, metavar="MIB",
                       help="stop writing the recording past this many MiB (later exchanges "
                       f"are counted; default {DEFAULT_LIMIT >> 20})")
    serve.add_argument("-v", "--verbose", action="store_true", help="log every request")
    gc = sub.add_parser("gc", help="remove blobs no repository references")
    gc.add_argument("--storage", type=Path, required=True, metavar="DIR")
    gc.add_argument("--dry-run", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        if args.htpasswd and not args.htpasswd.is_file():
            print(f"error: --htpasswd {args.htpasswd}: no such file", file=sys.stderr)
            return 2
        host, port = args.listen
        config = RegistryConfig(args.storage, host, port, args.profile, args.read_only,
                                args.htpasswd, args.token_realm, args.anonymous_pull,
                                args.verbose, limits=Limits(max_connections=args.max_connections),
                                record=args.record, record_limit=args.record_limit)
        try:
            server = build_server(config)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            what = f"--record {args.record}" if exc.filename else f"cannot listen on {host}:{port}"
            print(f"error: {what}: {exc.strerror}", file=sys.stderr)
            return 2
        # SIGTERM and SIGINT ask serve_forever to return (at its next poll) from a thread of
        # their own: an exception raised wherever the signal lands could be swallowed by
        # code running in the main thread at that moment and leave the server up
        def stop(_signum: int, _frame: object) -> None:
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        bound = bound_address(server)
        print(f"oci-conform-registry serving http://{bound[0]}:{bound[1]} "
              f"(profile {args.profile}, storage {args.storage})", file=sys.stderr, flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        return 0
    if args.command == "gc":
        if not args.storage.is_dir():
            print(f"error: --storage {args.storage}: no such folder", file=sys.stderr)
            return 2
        report = collect(Storage(args.storage), dry_run=args.dry_run)
        verb = "would remove" if args.dry_run else "removed"
        print(f"kept {report.kept} referenced blobs; {verb} {len(report.removed)} blobs "
              f"and {len(report.stale_uploads)} stale uploads")
        for digest in report.removed:
            print(f"  {digest}")
        return 0
    build_parser().print_help(sys.stderr)
    return 2
