"""The property-by-property corpus (fixtures/corpus/runtime): every invalid document fails
exactly the clause its index entry names, at that clause's level; every valid one is valid."""
from __future__ import annotations

import json

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.checks.runtime_config.docload import parse_bytes
from oci_conform.checks.runtime_config.engine import validate_parsed

from .helpers import REPO, failed

CORPUS = REPO / "fixtures" / "corpus" / "runtime"
INDEX = json.loads((CORPUS / "index.json").read_text())


def test_the_corpus_covers_every_kind_and_rule() -> None:
    kinds = {(e["kind"], e["rule"]) for e in INDEX}
    assert {k for k, _ in kinds} == {"config", "state", "features"}
    assert {r for _, r in kinds} >= {"type", "enum", "format", "range"}
    assert sum(not e["valid"] for e in INDEX) == sum(e["valid"] for e in INDEX) >= 350


@pytest.mark.parametrize("entry", INDEX, ids=[e["file"] for e in INDEX])
def test_corpus_document(entry) -> None:
    path = CORPUS / entry["file"]
    results = validate_parsed(parse_bytes(path.read_bytes()), entry["kind"], file=str(path))
    got = failed(results) - set(entry["also"])
    if entry["valid"]:
        assert got == set()
        return
    assert got == {entry["clause"]}
    clause = default_catalog().clauses[entry["clause"]]
    assert clause.level.value == entry["level"] == "MUST" or clause.level.value == entry["level"]
    bad = next(r for r in results if r.clause == entry["clause"])
    assert any(f.location.startswith(entry["pointer"]) or entry["pointer"].startswith(
        f.location) for f in bad.findings), [f.location for f in bad.findings]


def test_accuracy_script_writes_the_agreement_table(shared_dir, tmp_path) -> None:
    import subprocess
    import sys
    out = tmp_path / "agreement.json"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "accuracy_runtime.py"),
                           "--shared", str(shared_dir), "--output", str(out)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    table = json.loads(out.read_text())
    assert table["summary"]["documents"] == len(INDEX)
    assert table["summary"]["ours_right"] == len(INDEX)
    for row in table["rows"]:
        assert row["agree"] or ":" in row["supports"], row
