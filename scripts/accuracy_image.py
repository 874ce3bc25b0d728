"""Compare our image-document verdicts with plain JSON-Schema validation, document by document.

Runs every document of the property corpus (fixtures/corpus/image) through our checks and,
for the OCI kinds, through the upstream image-spec JSON Schemas (draft-04, as published in
the spec repository), and writes one row per document to fixtures/corpus/image/agreement.json:
the document, the rule it exercises and its level, our verdict (failed clauses and whether a
MUST-level clause failed), the schema's verdict (valid or its first errors) and whether the two
agree at MUST level. Schemas only say valid/invalid and carry no SHOULD rules, so a SHOULD-level
case "agrees" when the schema finds the document valid.

Usage: python scripts/accuracy_image.py [--schemas DIR] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from jsonschema import Draft4Validator  # noqa: E402
from referencing import Registry, Resource  # noqa: E402
from referencing.jsonschema import DRAFT4  # noqa: E402

from oci_conform.catalog.loader import default_catalog  # noqa: E402
from oci_conform.checks.image.document import validate_document  # noqa: E402

CORPUS = REPO / "fixtures" / "corpus" / "image"
SCHEMA_OF = {"descriptor": "content-descriptor.json", "manifest": "image-manifest-schema.json",
             "index": "image-index-schema.json", "layout": "image-layout-schema.json",
             "config": "config-schema.json"}
MUST = ("MUST", "MUST NOT")


def _registry(folder: Path) -> Registry:
    """Every schema file, found by its file name whatever base URI a reference uses."""
    def retrieve(uri: str) -> Resource:
        name = uri.rstrip("/").rsplit("/", 1)[-1].split("#")[0]
        path = folder / name
        if not path.is_file():
            raise LookupError(uri)
        return Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT4)
    return Registry(retrieve=retrieve)  # type: ignore[call-arg]


def schema_verdict(folder: Path, kind: str, doc: Any) -> dict[str, Any]:
    name = SCHEMA_OF.get(kind)
    if name is None:
        return {"schema": None, "valid": None, "errors": ["no upstream JSON Schema"]}
    schema = json.loads((folder / name).read_text())
    validator = Draft4Validator(schema, registry=_registry(folder))
    try:
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    except Exception as exc:   # noqa: BLE001 - a schema that cannot run is reported, not fatal
        return {"schema": name, "valid": None, "errors": [f"schema failed to run: {exc}"]}
    return {"schema": name, "valid": not errors,
            "errors": [f"{'/'.join(map(str, e.absolute_path)) or '/'}: {e.message}"[:160]
                       for e in errors[:3]]}


def our_verdict(data: bytes, name: str, media_type: str) -> dict[str, Any]:
    catalog = default_catalog()
    report, _ = validate_document(data, name, "1.1.1", media_type)
    results = report.outcomes(name, (), "corpus", version="1.1.1")
    failed = sorted(r.clause for r in results if r.outcome.value in ("fail", "error"))
    levels = {c: catalog.clauses[c].level.value for c in failed if c in catalog.clauses}
    return {"failed": [f"{c} ({levels.get(c, '?')})" for c in failed],
            "valid_at_must": not any(lv in MUST for lv in levels.values())}


def rows(folder: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(CORPUS.glob("*/*.json")):
        if path.name.endswith(".expect.json"):
            continue
        expect = json.loads(path.with_name(path.stem + ".expect.json").read_text())
        kind = path.parent.name
        doc = json.loads(path.read_text())
        judged = [(kind, expect["media_type"])]
        if kind == "docker-manifest" and expect["valid"]:
            judged.append(("manifest", "manifest"))     # the same bytes under the OCI rules
        for as_kind, media_type in judged:
            ours = our_verdict(path.read_bytes(), path.name, media_type)
            schema = schema_verdict(folder, as_kind, doc)
            other = as_kind != kind
            row = {"document": f"{kind}/{path.name}", "judged_as": as_kind,
                   "rule": ("the OCI manifest rules, on a Docker manifest" if other
                            else expect.get("clause", "(valid)")),
                   "level": "" if other else expect.get("level", ""),
                   "expected_valid": None if other else expect["valid"], "ours": ours,
                   "json_schema": schema}
            if schema["valid"] is not None:
                row["agree_at_must"] = ours["valid_at_must"] == schema["valid"]
            out.append(row)
    return out


def summary(table: list[dict[str, Any]]) -> dict[str, Any]:
    judged = [r for r in table if "agree_at_must" in r]
    disagree = [r for r in judged if not r["agree_at_must"]]
    return {"documents": len(table), "with_schema": len(judged),
            "agree_at_must": len(judged) - len(disagree),
            "schema_misses": [r["document"] for r in disagree if r["json_schema"]["valid"]],
            "schema_only": [r["document"] for r in disagree if not r["json_schema"]["valid"]]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--schemas", type=Path,
                   default=REPO.parent / "shared" / "specs" / "image-spec" / "schema",
                   help="folder of the upstream image-spec JSON Schemas")
    p.add_argument("--out", type=Path, default=CORPUS / "agreement.json")
    args = p.parse_args(argv)
    if not (args.schemas / "image-manifest-schema.json").is_file():
        print(f"error: no upstream schemas in {args.schemas} (give --schemas DIR)",
              file=sys.stderr)
        return 2
    table = rows(args.schemas)
    result = {"summary": summary(table), "rows": table}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    s = result["summary"]
    print(f"{s['documents']} rows, {s['with_schema']} with a schema, {s['agree_at_must']} agree "
          f"at MUST level; schema misses {len(s['schema_misses'])}, schema-only "
          f"{len(s['schema_only'])} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
