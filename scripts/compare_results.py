#!/usr/bin/env python3
"""List every cell (clause x implementation) whose outcome changed between two results files.

    scripts/compare_results.py OLD.json NEW.json [--format text|json]

For the "same outcomes as before except documented fixes" check of a refactoring: each changed
cell with its old and new outcome and both messages, grouped by implementation. A cell present
in only one file shows ``(absent)`` on the other side. Exit 0 when no cell changed, 1 when some
did, 2 when a file cannot be used (one line naming it and the place). With ``--reasons FILE``
each change gets the reason of the first rule that matches it, and the exit code is 1 only
when some change has none (``docs/matrix-changes.toml`` explains this round's changes).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from itertools import groupby
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oci_conform.model.outcome import RANK  # noqa: E402
from oci_conform.model.results import CaseResult, Results  # noqa: E402
from oci_conform.results_file import ResultsFileError, load_results  # noqa: E402
from oci_conform.results_file import parse_results as load_results_text  # noqa: E402

ABSENT = "(absent)"


@dataclass(frozen=True)
class CellChange:
    implementation: str
    clause: str
    old: str
    new: str
    old_message: str
    new_message: str
    reason: str = ""


def cells(results: Results) -> dict[tuple[str, str], CaseResult]:
    """(implementation, clause) -> the worst case of that cell (first of equals)."""
    out: dict[tuple[str, str], CaseResult] = {}
    for r in results.results:
        key = (r.implementation, r.clause)
        seen = out.get(key)
        if seen is None or RANK[r.outcome] < RANK[seen.outcome]:
            out[key] = r
    return out


def _shown(r: CaseResult | None) -> str:
    """The outcome, marked when the cell is beyond the implementation's claimed version."""
    if r is None:
        return ABSENT
    return r.outcome.value + (" (beyond claimed version)" if r.beyond_claim else "")


def _message(r: CaseResult | None) -> str:
    if r is None:
        return ""
    return r.message or (r.findings[0].message if r.findings else "")


def changes(old: Results, new: Results) -> list[CellChange]:
    """Every cell whose outcome differs, sorted by implementation then clause."""
    before, after = cells(old), cells(new)
    found = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        old_out = _shown(a)
        new_out = _shown(b)
        if old_out != new_out:
            found.append(CellChange(key[0], key[1], old_out, new_out, _message(a), _message(b)))
    return found


def as_text(found: list[CellChange]) -> str:
    lines: list[str] = []
    for impl, group in groupby(found, key=lambda c: c.implementation):
        items = list(group)
        lines.append(f"{impl} ({len(items)} changed)")
        for c in items:
            lines.append(f"  {c.clause}: {c.old} -> {c.new}")
            lines.append(f"    old: {c.old_message or '-'}")
            lines.append(f"    new: {c.new_message or '-'}")
            lines.append(f"    why: {c.reason or 'NO REASON GIVEN'}")
    lines.append(f"{len(found)} cells changed")
    return "\n".join(lines) + "\n"


def as_json(found: list[CellChange]) -> str:
    grouped: dict[str, list[dict[str, str]]] = {}
    for c in found:
        grouped.setdefault(c.implementation, []).append(asdict(c))
    return json.dumps({"changed": len(found), "by_implementation": grouped}, indent=1,
                      ensure_ascii=False) + "\n"


def _load(path: str) -> Results:
    """A results file; one written by an older release (whose evidence had another shape) is
    read for its outcomes only: its evidence is dropped, never used for the comparison."""
    try:
        return load_results(path)
    except ResultsFileError as exc:
        if "/evidence" not in str(exc):
            raise
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for r in data.get("results", []):
        r.pop("evidence", None)
    return load_results_text(json.dumps(data), path)


def load_reasons(path: str) -> list[dict[str, str]]:
    """Reason rules: ``[[change]]`` tables with ``implementation`` (fnmatch pattern),
    ``clause`` (fnmatch pattern), ``old``, ``new`` (outcomes as printed, ``*`` for any) and
    ``why``; the first matching rule explains a changed cell."""
    import tomllib
    rules = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("change", [])
    for n, rule in enumerate(rules):
        if not rule.get("why"):
            raise ResultsFileError(f"{path}: change {n}: no why")
    return rules


def explain(found: list[CellChange], rules: list[dict[str, str]]) -> list[CellChange]:
    from dataclasses import replace
    from fnmatch import fnmatchcase
    out = []
    for c in found:
        rule = next((r for r in rules
                     if fnmatchcase(c.implementation, r.get("implementation", "*"))
                     and fnmatchcase(c.clause, r.get("clause", "*"))
                     and fnmatchcase(c.old, r.get("old", "*"))
                     and fnmatchcase(c.new, r.get("new", "*"))), None)
        out.append(replace(c, reason=rule["why"]) if rule else c)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", metavar="OLD.json")
    parser.add_argument("new", metavar="NEW.json")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--reasons", metavar="FILE.toml",
                        help="rules giving the reason of each change; with it, exit 1 only "
                             "when some changed cell has no reason")
    args = parser.parse_args(argv)
    try:
        old, new = _load(args.old), _load(args.new)
        rules = load_reasons(args.reasons) if args.reasons else []
    except ResultsFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    found = explain(changes(old, new), rules)
    text = as_json(found) if args.format == "json" else as_text(found)
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    if args.reasons:
        unexplained = [c for c in found if not c.reason]
        print(f"{len(found)} cells changed, {len(unexplained)} without a reason",
              file=sys.stderr)
        return 1 if unexplained else 0
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
