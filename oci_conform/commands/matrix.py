"""``oci-conform matrix``: every suite against every implementation, into ``reports/``."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from oci_conform.catalog.loader import default_catalog
from oci_conform.cli_options import option_label
from oci_conform.commands.common import (
    add_output_options,
    add_selection_options,
    emit,
    progress,
)
from oci_conform.commands.keep import add_keep_option, keep_folder, kept_line
from oci_conform.model.verdict import ExitCode
from oci_conform.orchestrate import NothingSelected, RunRequest, SuiteRequest, execute_catching
from oci_conform.report import renderers
from oci_conform.results_file import save_results, write_text_atomic
from oci_conform.suites import Selection, Suite, all_suites
from oci_conform.suites.base import RuntimeOptions

# Which renderer output lands in which file of the reports folder.
REPORT_FILES = {"html": "report.html", "junit": "junit.xml", "tap": "results.tap",
                "sarif": "results.sarif", "markdown": "summary.md"}


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _dest(suite: Suite) -> str:
    return "impl_" + suite.name.replace("-", "_")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("matrix", help="run every suite on every implementation (the main job)",
                       description="Run every suite against the implementations given, or those "
                                   "found on this machine, and write reports/.")
    for suite in all_suites():
        p.add_argument(suite.option, action="append", default=[], dest=_dest(suite),
                       metavar="NAME=VALUE", help=suite.help)
    p.add_argument("--suite", action="append", default=[], metavar="NAME",
                   help="only these suites (repeatable): "
                        + ", ".join(s.name for s in all_suites()))
    p.add_argument("--only-given", action="store_true",
                   help="skip suites given no implementation on the command line")
    p.add_argument("--reports", default="reports", metavar="DIR",
                   help="folder for results.json and the reports (default: reports)")
    p.add_argument("--jobs", type=int, default=_cores(), metavar="N",
                   help="how many columns (and cases of a runtime column) run at once; "
                        "independent columns run in parallel (default: the cores this "
                        f"process may use, here {_cores()})")
    add_keep_option(p)
    add_selection_options(p)
    add_output_options(p)
    p.set_defaults(func=run)


def suite_requests(args: argparse.Namespace) -> tuple[SuiteRequest, ...]:
    """The suites chosen, each with the implementations given (raises ValueError)."""
    suites = all_suites()
    known = {s.name for s in suites}
    unknown = set(args.suite) - known
    if unknown:
        raise ValueError(f"unknown suite {sorted(unknown)[0]!r} "
                         f"(known: {', '.join(sorted(known))})")
    chosen = []
    for suite in suites:
        if args.suite and suite.name not in args.suite:
            continue
        given = tuple(suite.parse_implementation(text) for text in getattr(args, _dest(suite)))
        if given or not args.only_given:
            chosen.append(SuiteRequest(suite, given))
    return tuple(chosen)


def write_reports(folder: Path, results_path: Path, results: object) -> None:
    available = renderers()
    for fmt, name in REPORT_FILES.items():
        if fmt in available:
            write_text_atomic(folder / name, available[fmt](results))  # type: ignore[arg-type]
    progress(f"reports written to {folder}/ ({results_path.name}, "
             + ", ".join(n for f, n in REPORT_FILES.items() if f in available) + ")")


def _earlier_costs(folder: Path, jobs: int) -> dict[str, float]:
    """Seconds per column in the reports folder's last results.json: the order lanes start
    in (longest first). Only a hint: a missing or unreadable file gives none."""
    if jobs < 2 or not (folder / "results.json").is_file():
        return {}
    import json

    from oci_conform.lanes import column_costs
    from oci_conform.results_file import ResultsFileError, read_text
    try:
        return column_costs(json.loads(read_text(folder / "results.json")))
    except (ResultsFileError, ValueError, RecursionError, AttributeError):
        return {}


def reports_problem(value: str, option: str = "--reports") -> str:
    """'' when the reports folder exists or can be made in an existing folder."""
    folder = Path(value)
    if folder.exists() and not folder.is_dir():
        return f"{option} {value}: exists and is not a folder"
    if not folder.exists() and not folder.parent.is_dir():
        return f"{option} {value}: folder {str(folder.parent)!r} does not exist"
    return ""


def run(args: argparse.Namespace) -> int:
    problem = reports_problem(args.reports, option_label("--reports", "reports", args)) or (
        f"--jobs {args.jobs}: must be 1 or more" if args.jobs < 1 else "")
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return ExitCode.USAGE
    try:
        suites = suite_requests(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    kept = keep_folder(args)
    request = RunRequest(suites, Selection(tuple(args.clause), tuple(args.group), args.text),
                         costs=_earlier_costs(Path(args.reports), args.jobs),
                         jobs=args.jobs, command=("oci-conform", *args.argv),
                         runtime=RuntimeOptions(keep=kept is not None, keep_dir=str(kept or "")),
                         debug=getattr(args, "debug", False))
    try:
        results = execute_catching(request, default_catalog(), progress)
    except NothingSelected as exc:
        print(f"error: nothing selected: {exc}", file=sys.stderr)
        return ExitCode.NOTHING_SELECTED
    finally:
        line = kept_line(kept, made_here=not args.keep)
        if line:
            print(line, file=sys.stderr)      # also under -q: where the evidence is
    folder = Path(args.reports)
    folder.mkdir(exist_ok=True)
    results_path = folder / "results.json"
    code = emit(results, args)
    save_results(results_path, results)
    write_reports(folder, results_path, results)
    return code
