"""``oci-conform report``: render, merge and diff results files.

- ``report render RESULTS.json --format F [-o FILE]``: any renderer over a saved results file.
- ``report merge A.json B.json ... [-o ALL.json]``: one results file from many (rule in
  oci_conform/model/merge.py).
- ``report diff OLD.json NEW.json [--format text|json]``: exit 1 when something regressed.

A results file that cannot be read is one line on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import json
import sys

from tabulate import tabulate

from oci_conform.commands.common import chosen_format
from oci_conform.model.diff import Change, Diff, diff
from oci_conform.model.merge import MergeError
from oci_conform.model.results import Results
from oci_conform.model.verdict import ExitCode
from oci_conform.report import format_names, render
from oci_conform.results_file import ResultsFileError, load_results, write_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="render, merge or diff results files",
                       description="Render a saved results.json in any format, merge several "
                                   "into one, or compare two.")
    actions = p.add_subparsers(dest="report_command", metavar="ACTION")
    _register_render(actions)
    _register_merge(actions)
    _register_diff(actions)
    p.set_defaults(func=lambda args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return ExitCode.USAGE


def _register_render(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser("render", help="render a results file in a format",
                           description="Render RESULTS.json (or - for stdin) in a format.")
    p.add_argument("results", metavar="RESULTS.json")
    p.add_argument("--format", choices=format_names(), default=None,
                   help="output format (default: text; github when GITHUB_ACTIONS=true)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    p.set_defaults(func=run_render, default_format="text")


def _register_merge(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser("merge", help="merge results files into one",
                           description="Merge results files into one matrix. The same clause x "
                                       "implementation x case coming twice: a judged outcome "
                                       "beats error, else the run that finished later wins, "
                                       "else the file given later.")
    p.add_argument("inputs", nargs="+", metavar="RESULTS.json")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    p.add_argument("--strict", action="store_true",
                   help="also check every input against the whole results schema with "
                        "jsonschema (slower; the default check is compiled from the same "
                        "schema)")
    p.set_defaults(func=run_merge)


def _register_diff(actions: argparse._SubParsersAction) -> None:
    p = actions.add_parser("diff", help="compare two results files (exit 1 on a regression)",
                           description="List regressions, fixes, other changes, new and removed "
                                       "clauses between OLD and NEW. Exit 1 when something "
                                       "regressed.")
    p.add_argument("old", metavar="OLD.json")
    p.add_argument("new", metavar="NEW.json")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    p.set_defaults(func=run_diff)


def _load(path: str) -> Results | None:
    try:
        return load_results(path)
    except ResultsFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _write(text: str, output: str | None) -> None:
    write_output(text, output)


def run_render(args: argparse.Namespace) -> int:
    results = _load(args.results)
    if results is None:
        return ExitCode.USAGE
    fmt = chosen_format(args)
    from oci_conform.commands.common import use_colour
    _write(render(results, fmt, verbosity=args.verbosity, colour=fmt == "text"
                  and use_colour(None if not args.output else args.output)), args.output)
    if fmt == "github":
        from oci_conform.report.github import write_step_summary
        write_step_summary(results)
    return ExitCode.CONFORMANT


def run_merge(args: argparse.Namespace) -> int:
    """Stream the inputs through the merge rules (one input in memory at a time)."""
    from oci_conform.merge_files import merge_files
    try:
        merge_files(args.inputs, args.output, ["oci-conform", *getattr(args, "argv", [])],
                    strict=args.strict)
    except ResultsFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except MergeError as exc:
        print(f"error: cannot merge: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    return ExitCode.CONFORMANT


def _rows(changes: list[Change]) -> list[list[str]]:
    return [[c.clause, c.implementation, c.old.value if c.old else "-",
             (c.new.value if c.new else "-") + (" † beyond claimed version" if c.beyond_claim
                                                 else "")] for c in changes]


def diff_text(d: Diff, quiet: bool = False) -> str:
    """The diff as tables; ``quiet`` (-q): the regressions and the summary line only."""
    out: list[str] = []
    for title, changes in (("regressions", d.regressions), ("fixes", d.fixes),
                           ("other changes", d.changed), ("new cells", d.added)):
        if changes and (title == "regressions" or not quiet):
            out.append(f"{title} ({len(changes)}):")
            out.append(tabulate(_rows(changes), headers=["clause", "implementation", "old", "new"],
                                tablefmt="simple"))
            out.append("")
    for title, names in (("new clauses", d.new_clauses), ("removed clauses", d.removed_clauses),
                         ("new implementations", d.new_implementations),
                         ("removed implementations", d.removed_implementations)):
        if names and not quiet:
            out.append(f"{title} ({len(names)}): " + ", ".join(names))
    out.append(f"{len(d.regressions)} regressed, {len(d.fixes)} fixed, {len(d.changed)} changed, "
               f"{d.unchanged} unchanged, {len(d.new_clauses)} new and "
               f"{len(d.removed_clauses)} removed clauses")
    return "\n".join(out) + "\n"


def run_diff(args: argparse.Namespace) -> int:
    old = _load(args.old)
    new = _load(args.new) if old is not None else None
    if old is None or new is None:
        return ExitCode.USAGE
    d = diff(old, new)
    text = json.dumps(d.to_dict(), indent=1) + "\n" if args.format == "json" \
        else diff_text(d, quiet=getattr(args, "quiet", False))
    _write(text, args.output)
    return ExitCode.NONCONFORMANT if d.regressed else ExitCode.CONFORMANT
