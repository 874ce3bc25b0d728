"""``oci-conform expectations``: write, refresh and check expectations files.

- ``expectations update RESULTS -o FILE [--implementation NAME] [--refresh-only]``: write FILE
  (or refresh it when it exists) from a run's results: one entry per failing case, reasons
  and links already written kept, new entries marked ``TODO: reason``; what went stale (now
  passes, no longer judged, no longer in the catalog) is dropped and listed on stderr.
- ``expectations check FILE...``: every problem of each file on stderr, one line each (bad
  JSON or entry, unknown key, duplicate, clause not in the catalog, reason still the
  placeholder); exit 2 when there is one.

The format and the matching rule are in ``oci_conform.model.expectations``; the refresh rule
in ``oci_conform.model.expectations_update``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oci_conform.model.expectations import Expectation

USAGE_EXIT = 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("expectations", help="write, refresh and check expectations files",
                       description="Expectations files name the known failures of an "
                                   "implementation, case by case (see docs/ci.md).")
    actions = p.add_subparsers(dest="expectations_command", metavar="ACTION")
    up = actions.add_parser("update", help="write or refresh an expectations file from a run",
                            description="Write FILE from the failures in RESULTS (refresh it "
                                        "when it exists: reasons and links kept, stale entries "
                                        "dropped and listed on stderr, new ones marked "
                                        "'TODO: reason').")
    up.add_argument("results", metavar="RESULTS.json")
    up.add_argument("-o", "--output", metavar="FILE", required=True,
                    help="the expectations file to write (read first when it exists)")
    up.add_argument("--implementation", action="append", default=[], metavar="NAME",
                    help="only this column of the results (repeatable; default: all)")
    up.add_argument("--refresh-only", action="store_true",
                    help="refresh the entries FILE has; add none for new failures")
    up.set_defaults(func=run_update)
    ck = actions.add_parser("check", help="validate expectations files",
                            description="Check each FILE; every problem is one line on "
                                        "stderr and the exit code is 2.")
    ck.add_argument("files", nargs="+", metavar="FILE")
    ck.add_argument("--allow-placeholders", action="store_true",
                    help="accept entries whose reason is still 'TODO: reason'")
    ck.set_defaults(func=run_check)
    p.set_defaults(func=lambda _args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return USAGE_EXIT


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return USAGE_EXIT


def _catalog_ids() -> frozenset[str]:
    from oci_conform.catalog.loader import default_catalog
    return frozenset(default_catalog().clauses)


def run_update(args: argparse.Namespace) -> int:
    from oci_conform.expectations_file import check_file, save_expectations
    from oci_conform.model.expectations_update import Change, update_expectations
    from oci_conform.results_file import ResultsFileError, load_results

    try:
        results = load_results(args.results)
    except ResultsFileError as exc:
        return _fail(str(exc))
    names = {i.name for i in results.implementations}
    unknown = [n for n in args.implementation if n not in names]
    if unknown:
        return _fail(f"--implementation {unknown[0]}: not a column of {args.results} "
                     f"(columns: {', '.join(sorted(names)) or 'none'})")
    output = Path(args.output)
    existing: list[Expectation] = []
    if output.exists():
        existing, problems = check_file(output)
        if problems:
            return _fail(f"{problems[0]} (not rewritten)")
    update = update_expectations(results, existing, implementations=args.implementation,
                                 known_clauses=_catalog_ids(), add_new=not args.refresh_only)
    save_expectations(output, update.entries)
    for note in update.notes:
        print(note.line(), file=sys.stderr)
    if not results.complete:
        print(f"note: {args.results} is incomplete (harness errors): entries it did not "
              "observe were kept", file=sys.stderr)
    print(f"wrote {output}: {len(update.entries)} entries ({update.count(Change.NEW)} new with "
          f"a reason to write, {update.count(Change.STALE)} stale dropped, "
          f"{update.count(Change.SPLIT)} clause entries written per case)", file=sys.stderr)
    return 0


def file_problems(path: str, known: frozenset[str], allow_placeholders: bool
                  ) -> tuple[int, list[str]]:
    """How many usable entries ``path`` has and every problem (one line each)."""
    from oci_conform.expectations_file import check_file

    entries, problems = check_file(path)
    for e in entries:
        what = f"{path}: {e.implementation} {e.clause}" + (f" [{e.case}]" if e.case else "")
        if e.clause not in known:
            problems.append(f"{what}: clause not in the catalog")
        if e.placeholder and not allow_placeholders:
            problems.append(f"{what}: the reason is still a placeholder ({e.reason!r})")
    return len(entries), problems


def run_check(args: argparse.Namespace) -> int:
    known = _catalog_ids()
    bad = 0
    for path in args.files:
        count, problems = file_problems(path, known, args.allow_placeholders)
        for line in problems:
            print(f"error: {line}", file=sys.stderr)
        bad += len(problems)
        if not problems:
            print(f"{path}: {count} entries, ok")
    return USAGE_EXIT if bad else 0
