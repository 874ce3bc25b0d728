#!/usr/bin/env python3
"""Write docs/accuracy.md from a fresh run: how far our verdicts can be trusted.

Two parts, both generated so anyone can check them again:

1. Agreement tables of the property-by-property corpora (``fixtures/corpus/*/agreement.json``,
   written by ``scripts/accuracy_image.py`` and ``scripts/accuracy_runtime.py``): for each
   document and rule, the level, our verdict, a plain JSON Schema validation's verdict, and where
   they differ the spec text that supports us.
2. Every failing cell of the named implementations in a results file of the default matrix
   (``oci-conform matrix`` writes ``reports/results.json``), each with its judgement from
   ``expectations/judgements.toml``: a real deviation (with the upstream issue or source line)
   or a host artefact (with why). A failing cell without a judgement is listed as such and makes
   ``--check`` exit 1.

``--write-expectations`` regenerates the expectations files of those implementations from the
judgements of kind ``deviation`` (host artefacts are skips, never expectations): one entry per
failing case of the run, so a clause judged by several cases expects only the ones that fail.

    python scripts/accuracy.py --results reports/results.json -o docs/accuracy.md --check
"""
from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JUDGEMENTS = ROOT / "expectations" / "judgements.toml"
CORPORA = sorted((ROOT / "fixtures" / "corpus").glob("*/agreement.json"))
IMPLEMENTATIONS = ("runc", "crun", "docker-registry")
FAILING = ("fail", "xfail", "xpass", "error")
KINDS = {"deviation": "real deviation", "host": "host artefact", "ours": "our bug (fixed or open)"}


def load_judgements(path: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    """(implementation, clause, case) -> judgement; case "" matches every case of the clause.
    ``intermittent = true`` marks a deviation not seen on every run (its expectations entry
    says so, and a pass of it stays a pass)."""
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = {}
    for n, cell in enumerate(data.get("cell", [])):
        missing = [k for k in ("implementation", "clause", "kind", "why") if not cell.get(k)]
        if missing or cell["kind"] not in KINDS:
            raise SystemExit(f"{path}: cell {n}: missing {missing} or unknown kind "
                             f"{cell.get('kind')!r} (known: {', '.join(KINDS)})")
        out[(cell["implementation"], cell["clause"], cell.get("case", ""))] = cell
    return out


def judgement_for(judgements: dict[tuple[str, str, str], dict[str, str]], impl: str,
                  clause: str, case: str) -> dict[str, str] | None:
    return judgements.get((impl, clause, case)) or judgements.get((impl, clause, ""))


def failing_cells(results: dict[str, Any], impls: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every result of ``impls`` whose outcome is a failure of some kind, in a stable order."""
    rows = [r for r in results["results"]
            if r["implementation"] in impls and r["outcome"] in FAILING]
    return sorted(rows, key=lambda r: (impls.index(r["implementation"]), r["clause"],
                                       r.get("case", "")))


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")[:220]


def _norm(row: dict[str, Any], links: dict[str, str]) -> dict[str, str]:
    """One corpus row in one shape (the image and runtime tables differ)."""
    if "expected_valid" in row:                       # image corpus
        ours = row["ours"].get("valid_at_must")
        schema = row["json_schema"].get("valid")
        support = ""
        if schema is not None and schema != ours:
            rule = row["rule"]
            if not ours:
                support = f"{rule} ({row['level']}) {links.get(rule, '')}"
            elif row["level"]:
                support = (f"{rule} is a {row['level']} (not a MUST): the upstream schema makes "
                           "it a hard rule, the text does not")
            else:
                support = ("no rule of the spec text forbids this document (null for an absent "
                           "optional value, as Go producers write it); the upstream schema is "
                           "stricter than the text")
        return {"document": row["document"], "rule": row["rule"], "level": row["level"],
                # intended verdict at MUST level: a document breaking only a SHOULD or MAY
                # rule is valid at that level (the corpus test checks the rule still fails)
                "expected": "valid" if row["expected_valid"] or row["level"] not in (
                    "MUST", "MUST NOT", "") else "invalid",
                "ours": "valid" if ours else "invalid",
                "schema": "no upstream schema" if schema is None else
                ("valid" if schema else "invalid"), "support": support}
    return {"document": row["document"], "rule": f"{row.get('clause', '')} {row['rule']}",
            "level": row.get("level", ""), "expected": row["expected"], "ours": row["ours"],
            "schema": row["json_schema"], "support": row.get("supports", "")}


def agreement_section(paths: list[Path], links: dict[str, str]) -> list[str]:
    out = ["## Corpus agreement", "",
           "Each corpus holds, for every property of every document kind, documents that keep "
           "and documents that break one rule of the spec. `ours` is our verdict at MUST level, "
           "`JSON Schema` the verdict of a plain JSON Schema validation with the upstream "
           "schemas (a document that breaks only a SHOULD or MAY rule is intended valid at MUST "
           "level; the corpus tests check that its rule still fails at that level, and the JSON "
           "files list every document with the rule it breaks). The two verdicts use the upstream "
           "schemas; where they differ, the last column says what in the spec supports us.", ""]
    if not paths:
        return out + ["No corpus agreement table was found (run scripts/accuracy_image.py and "
                      "scripts/accuracy_runtime.py first).", ""]
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = [_norm(r, links) for r in (data.get("rows", []) if isinstance(data, dict)
                                           else data)]
        right = sum(1 for r in rows if r["ours"] == r["expected"])
        judged = [r for r in rows if r["schema"] in ("valid", "invalid")]
        schema_right = sum(1 for r in judged if r["schema"] == r["expected"])
        differ = [r for r in judged if r["schema"] != r["ours"]]
        out += [f"### {path.parent.name} ({path.relative_to(ROOT)})", "",
                f"{len(rows)} documents: our verdict is the intended one for {right}; "
                f"{len(judged)} have an upstream schema, whose plain validation gives the intended "
                f"verdict for {schema_right}; the two differ on {len(differ)}, listed here (the "
                f"whole table is the JSON file).", "",
                "| document | rule | level | intended | ours | JSON Schema | what supports us |",
                "|---|---|---|---|---|---|---|"]
        for r in differ:
            out.append("| " + " | ".join(_cell(r[k]) for k in (
                "document", "rule", "level", "expected", "ours", "schema", "support")) + " |")
        wrong = [r for r in rows if r["ours"] != r["expected"]]
        if wrong:
            out += ["", f"Documents where our verdict is not the intended one ({len(wrong)}):", ""]
            out += [f"- {r['document']}: {r['rule']} intended {r['expected']}, ours {r['ours']}"
                    for r in wrong]
        out.append("")
    return out


def cells_section(results: dict[str, Any], judgements: dict, impls: tuple[str, ...]
                  ) -> tuple[list[str], int]:
    versions = {i["name"]: i.get("version", "") for i in results["implementations"]}
    rows = failing_cells(results, impls)
    unjudged = 0
    out = ["## Failing cells of the default matrix", "",
           f"From `{results.get('command', ['oci-conform', 'matrix'])}` started "
           f"{results.get('started', '?')}; implementations: "
           + ", ".join(f"{i} {versions.get(i, '?')}" for i in impls) + ".", "",
           "| implementation | clause | case | outcome | judgement | why | link |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        j = judgement_for(judgements, r["implementation"], r["clause"], r.get("case", ""))
        if j is None:
            unjudged += 1
        kind = KINDS[j["kind"]] if j else "**not judged yet**"
        beyond = " (beyond claimed version)" if r.get("beyond_claim") else ""
        out.append("| " + " | ".join(_cell(x) for x in (
            r["implementation"], r["clause"], r.get("case", ""), r["outcome"] + beyond, kind,
            j["why"] if j else r.get("message", ""), j.get("link", "") if j else "")) + " |")
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r["implementation"]] += 1
    out += ["", "Failing cells per implementation: "
            + ", ".join(f"{i} {counts[i]}" for i in impls) + f"; not judged yet: {unjudged}.", ""]
    return out, unjudged


def write_expectations(judgements: dict, results: dict[str, Any],
                       impls: tuple[str, ...]) -> None:
    """One expectations file per implementation, one entry per failing case of the run that a
    judgement of kind ``deviation`` covers (in judgement file order; a judgement's ``version``
    is kept as written, e.g. ``1.1.5*`` for Debian's 1.1.5+ds1). The judgements are handed to
    the refresh rule of ``expectations update`` (model/expectations_update.py) as clause-level
    entries, so both write per-case entries the same way; a judgement no failing case of the
    run matches is reported on stderr and not written."""
    sys.path.insert(0, str(ROOT))
    from oci_conform.expectations_file import save_expectations
    from oci_conform.model.expectations import Expectation
    from oci_conform.model.expectations_update import update_expectations
    from oci_conform.model.results import Results
    run = Results.from_dict(results)
    by_impl: dict[str, list[Expectation]] = defaultdict(list)
    for (impl, clause, case), j in judgements.items():
        if impl in impls and j["kind"] == "deviation":
            by_impl[impl].append(Expectation(impl, clause, j["why"], j.get("link", ""),
                                             j.get("version", ""), case,
                                             bool(j.get("intermittent", False))))
    for impl, judged in by_impl.items():
        update = update_expectations(run, judged, implementations=(impl,), add_new=False)
        for note in update.notes:
            print(f"{note.line()} [judgement]", file=sys.stderr)
        base = judged[0].version.rstrip("*") or "any"
        path = ROOT / "expectations" / f"{impl}-{base}.json"
        save_expectations(path, update.entries)
        print(f"wrote {path.relative_to(ROOT)} ({len(update.entries)} entries)", file=sys.stderr)


def clause_links(results: dict[str, Any]) -> dict[str, str]:
    """Clause id -> spec link, from the catalog (every clause, not only those in the run)."""
    sys.path.insert(0, str(ROOT))
    from oci_conform.catalog.loader import default_catalog
    catalog = default_catalog()
    links = {}
    for cid, clause in catalog.clauses.items():
        spec = catalog.specs.get(clause.spec)
        if spec is not None:
            links[cid] = clause.info(spec).link
    return links


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", type=Path, default=ROOT / "reports" / "results.json")
    p.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "accuracy.md")
    p.add_argument("--judgements", type=Path, default=JUDGEMENTS)
    p.add_argument("--implementation", action="append", default=[])
    p.add_argument("--check", action="store_true", help="exit 1 when a failing cell is unjudged")
    p.add_argument("--write-expectations", action="store_true")
    args = p.parse_args(argv)
    impls = tuple(args.implementation) or IMPLEMENTATIONS
    try:
        results = json.loads(args.results.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"error: {args.results}: {exc}", file=sys.stderr)
        return 2
    judgements = load_judgements(args.judgements)
    cells, unjudged = cells_section(results, judgements, impls)
    text = ["# How far the verdicts can be trusted", "",
            "Generated by `scripts/accuracy.py` from a fresh run; do not edit by hand.", "",
            *agreement_section(CORPORA, clause_links(results)), *cells]
    args.output.write_text("\n".join(text) + "\n", encoding="utf-8")
    if args.write_expectations:
        write_expectations(judgements, results, impls)
    print(f"wrote {args.output} ({unjudged} failing cells not judged)", file=sys.stderr)
    return 1 if args.check and unjudged else 0


if __name__ == "__main__":
    sys.exit(main())
