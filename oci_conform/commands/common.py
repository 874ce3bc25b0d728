"""Options and output shared by every command that produces outcomes."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from oci_conform.model.expectations import (
    ExpectationsError,
    apply_expectations,
    load_expectations,
)
from oci_conform.model.results import Results
from oci_conform.model.verdict import ExitCode, exit_code
from oci_conform.report import renderers
from oci_conform.results_file import save_results, write_text_atomic


def add_output_options(parser: argparse.ArgumentParser, default_format: str = "text") -> None:
    """--format, -o/--output, --fail-on, --results, --expectations.

    The format name is checked by cli.main after parsing (against the installed renderers),
    so building the parser imports no renderer."""
    parser.add_argument("--format", default=None, metavar="FORMAT",
                        help=f"{', '.join(FORMATS)} or another installed renderer "
                             f"(default: {default_format}; github when GITHUB_ACTIONS=true)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the output here (default: stdout)")
    parser.add_argument("--fail-on", choices=("must", "should", "may"), default="must",
                        help="lowest clause level whose failure makes the exit code 1 "
                             "(default: must)")
    parser.add_argument("--results", metavar="FILE", help="also write results.json here")
    parser.add_argument("--expectations", metavar="FILE",
                        help="known failures (JSON): fail -> xfail, unexpected pass -> xpass")
    parser.set_defaults(default_format=default_format)


FORMATS = ("text", "json", "html", "junit", "tap", "sarif", "github", "markdown")


def format_problem(args: argparse.Namespace) -> str:
    """'' when --format is absent or names an installed renderer, else a one-line reason."""
    fmt = getattr(args, "format", None)
    if fmt is None:
        return ""
    known = renderers()
    return "" if fmt in known else f"--format {fmt!r} is not one of: {', '.join(sorted(known))}"


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clause", action="append", default=[], metavar="ID",
                        help="only cases judging this clause id or id prefix (repeatable)")
    parser.add_argument("--group", action="append", default=[], metavar="GROUP",
                        help="only cases of this group (repeatable)")
    parser.add_argument("-k", "--text", default="", metavar="TEXT",
                        help="only cases whose clause id, group or name contain TEXT")


def chosen_format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if os.environ.get("GITHUB_ACTIONS") == "true" and "github" in renderers():
        return "github"
    return str(args.default_format)


def emit(results: Results, args: argparse.Namespace) -> int:
    """Apply expectations, write results.json and the chosen format, return the exit code."""
    if getattr(args, "expectations", None):
        try:
            apply_expectations(results, load_expectations(Path(args.expectations)))
        except ExpectationsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return ExitCode.USAGE
    if getattr(args, "results", None):
        save_results(Path(args.results), results)
    fmt = chosen_format(args)
    text = renderers()[fmt](results)
    if getattr(args, "output", None):
        write_text_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if fmt == "github":  # annotations go to stdout; the table goes to $GITHUB_STEP_SUMMARY
        from oci_conform.report.github import write_step_summary
        write_step_summary(results)
    return exit_code(results, getattr(args, "fail_on", "must"))


def progress(message: str) -> None:
    """Progress lines go to stderr so stdout stays a clean report."""
    print(message, file=sys.stderr, flush=True)
