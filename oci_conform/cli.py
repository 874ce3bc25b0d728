"""The ``oci-conform`` command line: parse, dispatch to a command module, exit with its code.

Each module of ``oci_conform.commands`` that defines ``register(subparsers)`` adds a
subcommand; the function it sets as ``func`` gets the parsed arguments and returns
the exit code.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

from oci_conform import __version__, commands
from oci_conform.catalog.loader import CatalogError
from oci_conform.model.verdict import ExitCode


class UsageError(Exception):
    """A bad command line: one line of text, exit code 2."""


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    infos = sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name)
    if only and any(info.name == only for info in infos):
        infos = [info for info in infos if info.name == only]
    for info in infos:
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        first = args_list[0] if args_list and not args_list[0].startswith("-") else None
        parser = build_parser(only=first)
        args = parser.parse_args(args_list)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return ExitCode.USAGE
        args.argv = args_list
        from oci_conform.commands.common import format_problem
        problem = format_problem(args)
        if problem:
            raise UsageError(problem)
        return int(args.func(args))
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
