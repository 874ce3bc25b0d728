"""The ``oci-conform`` command line: parse, check, dispatch to a command module, exit.

Each module of ``oci_conform.commands`` that defines ``register(subparsers)`` adds a
subcommand; the function it sets as ``func`` gets the parsed (and checked) arguments and
returns the exit code. Exit codes: 2 for a bad command line or input (one line on stderr),
3 when the harness itself broke (one line; ``--debug`` adds the traceback), never a
traceback alone.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from oci_conform import __version__, commands
from oci_conform.catalog.loader import CatalogError
from oci_conform.commands.common import UsageError, check_inputs
from oci_conform.model.verdict import ExitCode

__all__ = ["Parser", "UsageError", "build_parser", "main"]
DEBUG_FLAG = "--debug"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit code 2 (never a traceback)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def build_parser(only: str | None = None) -> Parser:
    """The parser with every command; with ``only`` naming a command module, just that one
    (so a command's start-up does not pay for importing all the others)."""
    parser = Parser(prog="oci-conform",
                    description="Check container software against the OCI specifications.")
    parser.add_argument("--version", action="version", version=f"oci-conform {__version__}")
    parser.add_argument(DEBUG_FLAG, action="store_true",
                        help="on a harness error, also print the traceback (anywhere on the "
                             "command line)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    infos = sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name)
    if only and any(info.name == only for info in infos):
        infos = [info for info in infos if info.name == only]
    for info in infos:
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def _dispatch(args_list: list[str], debug: bool) -> int:
    first = args_list[0] if args_list and not args_list[0].startswith("-") else None
    parser = build_parser(only=first)
    args = parser.parse_args(args_list)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    args.argv = args_list
    args.debug = debug
    check_inputs(args)
    return int(args.func(args))


def _crash_line(exc: BaseException) -> str:
    detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
    detail = " ".join(detail.split())[:300]
    return f"error: internal error (harness): {detail}; run again with --debug for the traceback"


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in given
    args_list = [a for a in given if a != DEBUG_FLAG]
    try:
        return _dispatch(args_list, debug)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.HARNESS_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return ExitCode.CONFORMANT
    except Exception as exc:      # a harness bug (RecursionError too): one line, exit 3
        if debug:
            traceback.print_exc(file=sys.stderr)
        print(_crash_line(exc), file=sys.stderr)
        return ExitCode.HARNESS_ERROR
