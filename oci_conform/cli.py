"""The ``oci-conform`` command line: parse, check, dispatch to a command module, exit.

Subcommands are listed once in ``COMMANDS`` (name -> module, one-line help). A command's
module is imported only when that command runs (or prints its own help): the top-level
``--help`` imports none of them, so it starts as fast as the interpreter allows. A command
module defines ``register(subparsers)``; the ``func`` it sets gets the parsed, checked
arguments and returns the exit code.

Options every command takes (``-q``, ``-v``, ``--debug``) are added by ``Parser`` itself to
every parser and subparser, so they work anywhere on the command line. Environment
variables (``cli_options.ENVIRONMENT``) give defaults for the common options; the command line
wins. Exit codes: 2 for a bad command line or input (one line on stderr), 3 when the harness
itself broke (one line; ``--debug`` adds the traceback), never a traceback alone.
"""
from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from oci_conform import __version__
from oci_conform.cli_options import (
    EPILOG,
    UsageError,
    add_global_options,
    apply_environment,
    from_environment,
    verbosity_of,
)

__all__ = ["COMMANDS", "Parser", "UsageError", "build_parser", "main", "run"]
DEBUG_FLAG = "--debug"
USAGE_EXIT = 2
HARNESS_EXIT = 3
INTERRUPTED_EXIT = 130

# One entry per subcommand: name -> (module that registers it, one line for the top --help).
COMMANDS: dict[str, tuple[str, str]] = {
    "clauses": ("oci_conform.commands.clauses", "list and filter the clause catalog"),
    "config": ("oci_conform.commands.config",
               "validate runtime-spec documents (config.json, state, features) as files"),
    "expectations": ("oci_conform.commands.expectations",
                     "write, refresh and check expectations files"),
    "image": ("oci_conform.commands.image", "validate images and image documents"),
    "matrix": ("oci_conform.commands.matrix",
               "run every suite on every implementation (the main job)"),
    "registry": ("oci_conform.commands.registry",
                 "test a registry against the distribution-spec"),
    "report": ("oci_conform.commands.report", "render, merge or diff results files"),
    "runtime": ("oci_conform.commands.runtime",
                "runtime behaviour suite (runc, crun, any OCI runtime)"),
}


class _Formatter(argparse.HelpFormatter):
    """Wraps one-paragraph descriptions; keeps text laid out in lines (the epilog) as is.
    Finds the terminal width itself: argparse would import shutil for it (and shutil pulls in
    the compression modules) every time a parser is built."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         width if width is not None else _columns() - 2)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _columns() -> int:
    """The terminal width as shutil.get_terminal_size gives it: $COLUMNS, else the terminal's,
    else 80."""
    import os
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit code 2 (never a traceback), and
    which carries the global options (-q, -v, --debug) on every level."""

    def __init__(self, *args: Any, placeholder: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        if not placeholder:
            add_global_options(self)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def build_parser(only: str | None = None) -> Parser:
    """The parser: every command named with its help line; ``only`` (a command name) is fully
    registered by importing its module, the others stay one-line placeholders."""
    parser = Parser(prog="oci-conform", epilog=EPILOG,
                    description="Check container software against the OCI specifications.")
    parser.add_argument("--version", action="version", version=f"oci-conform {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, (module_name, help_line) in COMMANDS.items():
        if name == only:
            _module(module_name).register(sub)
        else:
            sub.add_parser(name, help=help_line, add_help=False, placeholder=True)
    return parser


def _module(name: str) -> Any:
    import importlib
    return importlib.import_module(name)


def _command_of(args_list: list[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option)."""
    return next((a for a in args_list if not a.startswith("-")), None)


def _dispatch(args_list: list[str], debug: bool) -> int:
    parser = build_parser(only=_command_of(args_list))
    taken = apply_environment(parser, args_list)
    args = parser.parse_args(args_list)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return USAGE_EXIT
    args.argv = args_list
    args.debug = debug
    args.from_environment = from_environment(taken, args_list)
    args.verbosity = verbosity_of(args)
    from oci_conform.commands.common import check_inputs, set_verbosity
    set_verbosity(args.verbosity)
    check_inputs(args)
    return int(args.func(args))


def _crash_line(exc: BaseException) -> str:
    import traceback
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
        return USAGE_EXIT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED_EXIT
    except BrokenPipeError:
        return 0
    except Exception as exc:      # a harness bug (RecursionError too): one line, exit 3
        from oci_conform.catalog.loader import CatalogError
        if isinstance(exc, CatalogError):
            print(f"error: {exc}", file=sys.stderr)
            return HARNESS_EXIT
        if debug:
            import traceback
            traceback.print_exc(file=sys.stderr)
        print(_crash_line(exc), file=sys.stderr)
        return HARNESS_EXIT


# Allocations between two collections of the youngest generation (Python's default: 700).
# Judging makes many short-lived objects that refcounting frees (observations, entries);
# collecting every 700 of them cost 6% of `config validate` over 1,000 files. Cyclic garbage
# is still collected, up to this many objects later (a few MiB at most).
YOUNG_COLLECTION_THRESHOLD = 10_000


def run() -> int:
    """The installed ``oci-conform`` command: ``main`` with the collector tuned for it.

    Young objects are collected every ``YOUNG_COLLECTION_THRESHOLD`` allocations instead of
    700. At exit the interpreter collects garbage over every object still alive (modules,
    catalog, compiled schema), for memory the process is about to give back whole: 9 ms
    (best run) to 22 ms (median) of a one-file ``config validate`` in 20 alternating
    rounds. ``gc.freeze`` moves those objects out of the collector's sight first. Nothing
    else changes: streams are flushed, atexit handlers (temp folders, worker pools) run, and
    modules are torn down as before. Not in ``main``, which tests call many times in one
    process."""
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    code = main()
    gc.freeze()
    return code
