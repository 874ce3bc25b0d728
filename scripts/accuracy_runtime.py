#!/usr/bin/env python3
"""Agreement of ``config validate`` with plain JSON Schema on the runtime corpus.

For every document of fixtures/corpus/runtime (index.json) write one row to
fixtures/corpus/runtime/agreement.json: the document, the rule it keeps or breaks, the level
of the clause, our verdict (invalid when a MUST or MUST NOT clause fails) and the verdict of
the upstream runtime-spec JSON Schemas run as plain JSON Schema (Draft 4, offline). Where the
two disagree the row names the spec sentence (document:line) our verdict rests on.

    python scripts/accuracy_runtime.py [--shared ../shared] [--output FILE]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "fixtures" / "corpus" / "runtime"
SCHEMA_ROOTS = {"config": "config-schema.json", "state": "state-schema.json",
                "features": "features-schema.json"}
STRICT = ("MUST", "MUST NOT")


def upstream_validators(folder: Path) -> dict[str, Any]:
    """A Draft 4 validator per kind, every upstream schema file registered by its name."""
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4
    resources = []
    for path in sorted(folder.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((path.name,
                          Resource.from_contents(contents, default_specification=DRAFT4)))
    registry = Registry().with_resources(resources)
    return {kind: Draft4Validator(json.loads((folder / name).read_text()), registry=registry)
            for kind, name in SCHEMA_ROOTS.items()}


def our_verdict(entry: dict[str, Any], raw: bytes, catalog: Any) -> tuple[str, list[str]]:
    from oci_conform.checks.runtime_config.docload import parse_bytes
    from oci_conform.checks.runtime_config.engine import validate_parsed
    results = validate_parsed(parse_bytes(raw), entry["kind"], catalog=catalog)
    failing = sorted(r.clause for r in results if r.outcome.value == "fail")
    strict = [c for c in failing if catalog.clauses[c].level.value in STRICT]
    return ("invalid" if strict else "valid"), failing


def schema_verdict(validator: Any, raw: bytes) -> tuple[str, str, list[str]]:
    """(verdict, first error in words, its place as pointer tokens)."""
    doc = json.loads(raw)
    error = next(iter(validator.iter_errors(doc)), None)
    if error is None:
        return "valid", "", []
    tokens = [str(t) for t in error.absolute_path]
    return "invalid", f"/{'/'.join(tokens)}: {error.message[:160]}", tokens


def supporting_line(entry: dict[str, Any], doc: Any, tokens: list[str], catalog: Any) -> str:
    """The spec sentence our verdict rests on: the rule's own line when we call the document
    invalid; the line defining the field the schema objects to when we call it valid (for a
    null in a features document, the line that lets any property be null)."""
    if not entry["valid"] or not tokens:
        return entry["spec"]
    from oci_conform.checks.runtime_config.pointer import get
    from oci_conform.checks.runtime_config.schema import clause_map
    value = get(doc, *[int(t) if t.isdigit() else t for t in tokens], default=0)
    cid = clause_map(entry["kind"]).clause_for(tokens)
    if entry["kind"] == "features" and value is None:
        cid = "rt.features.property-values"
    clause = catalog.clauses.get(cid)
    return f"{clause.document}:{clause.line}" if clause else entry["spec"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                        help="the shared folder holding specs/runtime-spec (default: ../shared)")
    parser.add_argument("--output", type=Path, default=CORPUS / "agreement.json")
    args = parser.parse_args(argv)
    schema_dir = args.shared / "specs" / "runtime-spec" / "schema"
    if not schema_dir.is_dir():
        print(f"error: upstream schemas not found in {schema_dir} (give --shared)",
              file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    from oci_conform.checks.runtime_config.catalog_cache import runtime_catalog
    catalog = runtime_catalog()
    validators = upstream_validators(schema_dir)
    rows = []
    for entry in json.loads((CORPUS / "index.json").read_text()):
        raw = (CORPUS / entry["file"]).read_bytes()
        ours, failing = our_verdict(entry, raw, catalog)
        plain, why, tokens = schema_verdict(validators[entry["kind"]], raw)
        expected = "valid" if entry["valid"] else "invalid"
        row = {"document": entry["file"], "pointer": entry["pointer"], "rule": entry["rule"],
               "clause": entry["clause"] or entry["property_clause"],
               "level": entry["level"], "expected": expected, "ours": ours,
               "json_schema": plain, "agree": ours == plain}
        if not row["agree"]:
            row["supports"] = supporting_line(entry, json.loads(raw), tokens, catalog)
            row["json_schema_error"] = why
            row["our_failures"] = failing
        rows.append(row)
    tally = Counter((r["ours"] == r["expected"], r["json_schema"] == r["expected"])
                    for r in rows)
    summary = {"documents": len(rows), "agree": sum(r["agree"] for r in rows),
               "ours_right": sum(r["ours"] == r["expected"] for r in rows),
               "json_schema_right": sum(r["json_schema"] == r["expected"] for r in rows),
               "both_right": tally[(True, True)], "only_ours_right": tally[(True, False)],
               "only_json_schema_right": tally[(False, True)], "both_wrong": tally[(False, False)],
               "schemas": str(schema_dir.relative_to(args.shared.parent))
               if schema_dir.is_relative_to(args.shared.parent) else str(schema_dir)}
    args.output.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1) + "\n")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
