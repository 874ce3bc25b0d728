"""The property-by-property corpus (fixtures/corpus/image): every valid document comes out
valid; every invalid one fails exactly the clause its sidecar names, at that level."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.checks.image.document import validate_document

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "corpus" / "image"
DOCS = sorted(p for p in CORPUS.glob("*/*.json") if not p.name.endswith(".expect.json"))


def _expect(path: Path) -> dict:
    return json.loads(path.with_name(path.stem + ".expect.json").read_text())


def judge(path: Path, media_type: str, version: str = "1.1.1"):
    report, kind = validate_document(path.read_bytes(), path.name, version, media_type)
    return report.outcomes(path.name, (), f"corpus:{kind}", version=version)


def test_the_corpus_covers_every_document_kind():
    kinds = {p.parent.name for p in DOCS}
    assert kinds == {"descriptor", "manifest", "index", "layout", "config", "docker-manifest",
                     "docker-manifest-list", "docker-config", "appc-manifest"}
    assert len(DOCS) >= 150


@pytest.mark.parametrize("path", DOCS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_corpus_document(path):
    expect = _expect(path)
    results = judge(path, expect["media_type"])
    bad = {r.clause: r for r in results if r.outcome.value in ("fail", "error")}
    if expect["valid"]:
        assert not bad, {c: r.message for c, r in bad.items()}
        return
    assert set(bad) == {expect["clause"]}, {c: r.message for c, r in bad.items()}
    assert bad[expect["clause"]].outcome.value == "fail"
    level = default_catalog().clauses[expect["clause"]].level.value
    assert level == expect["level"]


def test_a_docker_manifest_judged_as_docker_and_as_oci():
    """Each rule set gives its own verdict: valid as Docker; as OCI its media types break
    the OCI manifest's mediaType rule (MUST) and its config type rule (SHOULD)."""
    path = CORPUS / "docker-manifest" / "base.json"
    as_docker = judge(path, "docker-manifest")
    assert not [r for r in as_docker if r.outcome.value == "fail"]
    as_oci = {r.clause for r in judge(path, "manifest") if r.outcome.value == "fail"}
    assert as_oci == {"image.manifest.image-manifest-property-descriptions.4",
                      "image.manifest.image-manifest-property-descriptions.13"}


def test_accuracy_script_writes_one_row_per_judgement(tmp_path):
    schemas = ROOT.parent / "shared" / "specs" / "image-spec" / "schema"
    if not schemas.is_dir():
        schemas = Path("/work/shared/specs/image-spec/schema")
    if not (schemas / "image-manifest-schema.json").is_file():
        pytest.skip("upstream image-spec schemas are not here")
    import subprocess
    import sys
    out = tmp_path / "agreement.json"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "accuracy_image.py"),
                           "--schemas", str(schemas), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    table = json.loads(out.read_text())
    assert len(table["rows"]) == len(DOCS) + 1          # + the Docker manifest judged as OCI
    for row in table["rows"]:
        oci = row["judged_as"] in ("descriptor", "manifest", "index", "layout", "config")
        assert (row["json_schema"]["valid"] is not None) == oci, row["document"]
    # the upstream schemas cannot see formats and values our checks judge
    assert "config/env-no-equals.json" in table["summary"]["schema_misses"]
