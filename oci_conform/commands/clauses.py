"""``oci-conform clauses``: list, filter and count the clause catalog."""
from __future__ import annotations

import argparse
import json
import sys

from tabulate import tabulate

from oci_conform.catalog.coverage import CoverageRow, coverage, judged_clause_ids
from oci_conform.catalog.judges import judges_of, matches
from oci_conform.catalog.loader import Catalog, default_catalog
from oci_conform.catalog.model import Clause
from oci_conform.model.verdict import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clauses", help="list and filter the clause catalog",
                       description="List the clauses of the catalog, filtered, as a table or JSON.")
    p.add_argument("--spec", help="image-spec, runtime-spec, distribution-spec, docker, appc")
    p.add_argument("--level", help="MUST, MUST-NOT, SHOULD, SHOULD-NOT or MAY")
    p.add_argument("--document", help="spec document, e.g. config.md or config")
    p.add_argument("--binds", help="image, runtime, registry, client, config, image-tool")
    p.add_argument("--text", help="substring of the id or summary (any case)")
    p.add_argument("--version", dest="spec_version", help="build spec links for this version")
    p.add_argument("--coverage", action="store_true",
                   help="count clauses judged, untestable and untested per spec/document/level")
    p.add_argument("--where", action="append", default=[], nargs="+", metavar="ID",
                   help="for these clause ids or id prefixes: the checks or cases that judge "
                        "them, their fixtures, docs section and how to run just them")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def _coverage_output(rows: list[CoverageRow], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{**r.__dict__, "untested": r.untested} for r in rows], indent=1)
    table = [[r.spec, r.document, r.level, r.total, r.judged, r.untestable, r.untested]
             for r in rows]
    sums = [sum(r.total for r in rows), sum(r.judged for r in rows),
            sum(r.untestable for r in rows), sum(r.untested for r in rows)]
    table.append(["total", "", "", *sums])
    return tabulate(table, headers=["spec", "document", "level", "clauses", "judged",
                                    "untestable", "untested"], tablefmt="github")


def run(args: argparse.Namespace) -> int:
    catalog = default_catalog()
    chosen = catalog.select(spec=args.spec, level=args.level, document=args.document,
                            text=args.text, binds=args.binds)
    if not chosen:
        print("no clause matches", file=sys.stderr)
        return ExitCode.NOTHING_SELECTED
    if args.where:
        return _where(catalog, chosen, [w for group in args.where for w in group], args.format)
    if args.coverage:
        print(_coverage_output(coverage(catalog, judged_clause_ids(), chosen), args.format))
        return ExitCode.CONFORMANT
    if args.format == "json":
        out = []
        for c in chosen:
            spec = catalog.spec_of(c)
            out.append({"id": c.id, "spec": c.spec, "document": c.document, "anchor": c.anchor,
                        "link": spec.link_for(c.document, c.anchor, args.spec_version),
                        "level": c.level.value, "binds": c.binds, "since": c.since,
                        "until": c.until, "platform": c.platform, "summary": c.summary,
                        "untestable": c.untestable, "derived": c.derived})
        print(json.dumps({"catalog_version": catalog.version, "clauses": out}, indent=1,
                         ensure_ascii=False))
    else:
        rows = [[c.id, c.level.value, c.binds, c.platform or "", c.summary] for c in chosen]
        print(tabulate(rows, headers=["id", "level", "binds", "platform", "summary"],
                       tablefmt="simple", maxcolwidths=[None, None, None, None, 80]))
    return ExitCode.CONFORMANT


def _where_entry(clause: Clause) -> dict[str, object]:
    judges = judges_of(clause.id)
    status = "judged" if any(j.declaration.can_judge for j in judges) else (
        f"untestable: {clause.untestable}" if clause.untestable else "untested")
    return {"id": clause.id, "level": clause.level.value, "summary": clause.summary,
            "status": status,
            "judges": [{"name": j.declaration.name, "where": j.declaration.where,
                        "suite": j.declaration.suite, "can_judge": j.declaration.can_judge,
                        "fixtures": list(j.declaration.fixtures), "docs": j.doc,
                        "select": j.select} for j in judges]}


def _where_text(entry: dict[str, object]) -> list[str]:
    lines = [f"{entry['id']} ({entry['level']}): {entry['summary']}", f"  {entry['status']}"]
    for j in entry["judges"]:  # type: ignore[attr-defined]
        lines.append(f"  judged by {j['name']}  [{j['where']}]"
                     + ("" if j["can_judge"] else "  (can only skip here)"))
        lines.append(f"    fixtures: {', '.join(j['fixtures']) or '-'}")
        lines.append(f"    docs:     {j['docs'] or '-'}")
        lines.append(f"    run:      {j['select']}")
    return lines


def _where(catalog: Catalog, chosen: list[Clause], wanted: list[str], fmt: str) -> int:
    """``--where``: who judges each chosen clause matching one of ``wanted``."""
    picked = [c for c in chosen if any(matches(c.id, w) for w in wanted)]
    unknown = [w for w in wanted if not any(matches(c.id, w) for c in chosen)]
    for w in unknown:
        print(f"no clause matches {w!r}", file=sys.stderr)
    if not picked:
        return ExitCode.NOTHING_SELECTED
    entries = [_where_entry(c) for c in picked]
    if fmt == "json":
        print(json.dumps({"catalog_version": catalog.version, "clauses": entries}, indent=1,
                         ensure_ascii=False))
    else:
        print("\n".join(line for e in entries for line in _where_text(e)))
    return ExitCode.CONFORMANT
