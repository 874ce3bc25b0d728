"""Options and output shared by every command that produces outcomes.

Every input a command takes is checked before anything runs (``check_inputs``, called by
``cli.main`` right after parsing): the format, the output and results paths (their folder
must exist), ``--fail-on`` and the expectations file. The checked values travel as one
``OutputPlan`` on the parsed arguments; ``emit`` only applies it. Heavy modules (the model,
renderers, file helpers) are imported when a command uses them, not when this one loads.
"""
from __future__ import annotations

import argparse
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from oci_conform.cli_options import NORMAL, QUIET, UsageError, option_label

if TYPE_CHECKING:
    from oci_conform.model.expectations import Expectation
    from oci_conform.model.results import Results

__all__ = ["FORMATS", "OutputPlan", "UsageError", "add_output_options", "check_inputs",
           "chosen_format", "emit", "output_plan", "progress", "set_verbosity", "use_colour"]

FORMATS = ("text", "json", "html", "junit", "tap", "tap13", "sarif", "github", "markdown")
TIERS = ("must", "should", "may")
MAX_EXPECTATIONS_BYTES = 16 * 1024 * 1024
_VERBOSITY = [NORMAL]          # set once by cli.main from -q / -v


def set_verbosity(level: int) -> None:
    """Record the run's verbosity (QUIET, NORMAL, VERBOSE) for progress lines and reports."""
    _VERBOSITY[0] = level


def verbosity() -> int:
    return _VERBOSITY[0]


def use_colour(output: Path | None, environ: os._Environ[str] | dict[str, str] | None = None,
               stream: object = None) -> bool:
    """Colour only on a terminal, never when NO_COLOR is set and not empty (no-color.org),
    never into a file, never on TERM=dumb."""
    env = os.environ if environ is None else environ
    if output is not None or env.get("NO_COLOR", "") or env.get("TERM", "") == "dumb":
        return False
    target = sys.stdout if stream is None else stream
    isatty = getattr(target, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):
        return False


@dataclass(frozen=True)
class OutputPlan:
    """Where and how a command's outcomes go, every part already checked."""

    format: str
    output: Path | None = None
    results: Path | None = None
    fail_on: str = "must"
    expectations: tuple[Expectation, ...] = ()
    verbosity: int = NORMAL


def add_output_options(parser: argparse.ArgumentParser, default_format: str = "text") -> None:
    """--format, -o/--output, --fail-on, --results, --expectations.

    The format name is checked by cli.main after parsing (against the installed renderers),
    so building the parser imports no renderer."""
    parser.add_argument("--format", default=None, metavar="FORMAT",
                        help=f"{', '.join(FORMATS)} or another installed renderer "
                             f"(default: {default_format}; github when GITHUB_ACTIONS=true)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the output here (default: stdout; its folder must exist)")
    parser.add_argument("--fail-on", choices=TIERS, default="must",
                        help="lowest clause level whose failure makes the exit code 1 "
                             "(default: must)")
    parser.add_argument("--results", metavar="FILE", help="also write results.json here")
    parser.add_argument("--expectations", metavar="FILE",
                        help="known failures (JSON): fail -> xfail, unexpected pass -> xpass")
    parser.set_defaults(default_format=default_format)


def format_problem(args: argparse.Namespace) -> str:
    """'' when --format is absent or names an installed renderer, else a one-line reason."""
    fmt = getattr(args, "format", None)
    if fmt is None:
        return ""
    from oci_conform.report import format_names
    known = format_names()
    label = option_label("--format", "format", args)
    return "" if fmt in known else f"{label} {fmt!r} is not one of: {', '.join(sorted(known))}"


def output_path_problem(option: str, value: str | None) -> str:
    """'' when ``value`` can be written: a file in an existing folder (replaced atomically),
    or an existing character device or FIFO (``/dev/null``, ``/dev/stdout``: written in
    place); else why not."""
    if not value:
        return ""
    path = Path(value)
    try:
        mode: int | None = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        return f"{option} {value}: {exc.strerror or exc}"
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        return ""
    folder = path.parent
    if not folder.is_dir():
        return f"{option} {value}: folder {str(folder)!r} does not exist"
    if mode is not None and not stat.S_ISREG(mode):
        from oci_conform.drivers.files import kind_of
        return f"{option} {value}: is {kind_of(mode)}; give a file path (or no {option})"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"{option} {value}: folder {str(folder)!r} is not writable"
    return ""


def read_expectations(value: str, label: str = "--expectations") -> tuple[Expectation, ...]:
    """The expectations of a file (bounded read, special files refused); UsageError else."""
    from oci_conform.drivers.files import UnsafePath, read_regular
    from oci_conform.model.expectations import ExpectationsError, parse_expectations
    try:
        text = read_regular(value, MAX_EXPECTATIONS_BYTES).decode("utf-8")
        return tuple(parse_expectations(text, value))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{label} {value}: not UTF-8 (byte {exc.start})") from None
    except (UnsafePath, ExpectationsError) as exc:
        raise UsageError(f"{label} {exc}") from None


def output_plan(args: argparse.Namespace) -> OutputPlan:
    """The checked output options of a command (raises UsageError with one line)."""
    problem = format_problem(args) or output_path_problem(
        option_label("-o/--output", "output", args), args.output) or output_path_problem(
        option_label("--results", "results", args), getattr(args, "results", None))
    if problem:
        raise UsageError(problem)
    expectations = read_expectations(
        args.expectations, option_label("--expectations", "expectations", args)) if getattr(
        args, "expectations", None) else ()
    results = getattr(args, "results", None)
    return OutputPlan(format=chosen_format(args),
                      output=Path(args.output) if args.output else None,
                      results=Path(results) if results else None,
                      fail_on=getattr(args, "fail_on", "must"), expectations=expectations,
                      verbosity=getattr(args, "verbosity", NORMAL))


def check_inputs(args: argparse.Namespace) -> None:
    """Check what every command shares, before it runs (raises UsageError)."""
    problem = format_problem(args) or output_path_problem(
        option_label("-o/--output", "output", args), getattr(args, "output", None))
    if problem:
        raise UsageError(problem)
    if hasattr(args, "fail_on") and hasattr(args, "expectations"):
        args.output_plan = output_plan(args)
    jobs = getattr(args, "jobs", None)
    if jobs is not None and jobs < 1:
        raise UsageError(f"{option_label('--jobs', 'jobs', args)} {jobs}: must be 1 or more")


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
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return "github"
    return str(args.default_format)


def emit(results: Results, args: argparse.Namespace) -> int:
    """Apply expectations, write results.json and the chosen format, return the exit code."""
    from oci_conform.model.expectations import apply_expectations
    from oci_conform.model.verdict import exit_code
    from oci_conform.report import render
    from oci_conform.results_file import save_results, write_output

    plan: OutputPlan = getattr(args, "output_plan", None) or output_plan(args)
    if plan.expectations:
        apply_expectations(results, list(plan.expectations))
    if plan.results:
        save_results(plan.results, results)
    text = render(results, plan.format, verbosity=plan.verbosity, fail_on=plan.fail_on,
                  colour=plan.format == "text" and use_colour(plan.output))
    write_output(text, plan.output)
    if plan.format == "github":  # annotations go to stdout; the table goes to $GITHUB_STEP_SUMMARY
        from oci_conform.report.github import write_step_summary
        write_step_summary(results)
    return exit_code(results, plan.fail_on)


def progress(message: str) -> None:
    """Progress lines go to stderr so stdout stays a clean report; -q silences them."""
    if _VERBOSITY[0] > QUIET:
        # one write per line: lines from matrix lanes running at once never interleave
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
