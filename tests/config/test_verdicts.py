"""Verdicts people can trust (issue #15): each test here failed before its change.

1. A present field whose value breaks its type, format, pattern or value list fails a MUST
   (the field's own MUST clause, or the document's MUST on field values), never only the
   MAY "may be set" clause: before, such documents came out valid.
2. A parse or shape error lands on the clause it breaks, and says what is wrong.
3. A field the declared ociVersion does not define is judged by the release that defines
   it, plus a finding that the declared version is older than the content.
"""
from __future__ import annotations

import copy
import json

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.checks.runtime_config.docload import parse_bytes, parse_text
from oci_conform.checks.runtime_config.engine import validate_parsed

from .helpers import GOOD, failed, judge_doc, outcome, outcome_message

FULL = json.loads((GOOD / "full.json").read_text())
STRICT = ("MUST", "MUST NOT")


def _with(path: tuple, value) -> dict:
    doc = copy.deepcopy(FULL)
    node = doc
    for step in path[:-1]:
        node = node.setdefault(step, {}) if isinstance(node, dict) else node[step]
    node[path[-1]] = value
    return doc


def _must_failures(results) -> set[str]:
    levels = default_catalog().clauses
    return {c for c in failed(results) if levels[c].level.value in STRICT}


@pytest.mark.parametrize("path,value,names", [
    (("linux", "rootfsPropagation"), "sideways", "rootfsPropagation"),
    (("linux", "resources", "rdma"), {"mlx5_1": {"hcaHandles": "three"}}, "rdma"),
    (("linux", "namespaces"), [{"type": "galaxy"}], "namespaces"),
    (("process", "terminal"), "yes", "process"),
    (("process", "oomScoreAdj"), 1.5, "oomScoreAdj"),
    (("linux", "resources", "memory", "swappiness"), 150, "memory.7"),
    (("process", "env"), ["NOEQUALS"], "process.10"),
    (("hostname",), 7, "hostname"),
])
def test_a_wrong_value_fails_a_must(path, value, names) -> None:
    results = judge_doc(_with(path, value))
    musts = _must_failures(results)
    assert musts, sorted(failed(results))
    texts = " ".join(outcome_message(results, c) + " ".join(
        f.location for r in results if r.clause == c for f in r.findings) for c in musts)
    assert names in texts, texts


def test_a_wrong_value_makes_config_validate_exit_1(tmp_path, capsys) -> None:
    from oci_conform.cli import main
    path = tmp_path / "config.json"
    path.write_text(json.dumps(_with(("linux", "rootfsPropagation"), "sideways")))
    assert main(["config", "validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "/linux/rootfsPropagation" in out


def test_the_may_clause_itself_is_not_failed_by_a_wrong_value() -> None:
    results = judge_doc(_with(("linux", "resources", "rdma"), {"mlx5_1": {"hcaHandles": "x"}}))
    assert outcome(results, "rt.config-linux.rdma.2") == "pass"
    assert "rt.config-linux.rdma.2" in outcome_message(results, "rt.config.property-values")


@pytest.mark.parametrize("text,clause,words", [
    (b'{"ociVersion": "1.0.0",', "rt.glossary.json.1", "not valid JSON"),
    (b'{"ociVersion": "1.0.0"\xff}', "rt.glossary.json.1", "UTF-8"),
    (b"[1, 2]", "rt.config.property-values", "object"),
    (b'"config"', "rt.config.property-values", "object"),
])
def test_parse_and_shape_errors_land_on_their_clause(text, clause, words) -> None:
    results = validate_parsed(parse_bytes(text), "config")
    assert failed(results) == {clause}
    assert words in outcome_message(results, clause)


def test_features_parse_error_lands_on_the_features_json_rule() -> None:
    results = validate_parsed(parse_text("{"), "features")
    assert failed(results) == {"rt.features.json"}


OLD_WITH_NEW = {**FULL, "ociVersion": "1.0.0"}


def test_newer_field_in_an_older_document_is_judged_and_flagged() -> None:
    doc = copy.deepcopy(OLD_WITH_NEW)
    doc["linux"]["netDevices"] = {"eth0": {"name": 42}}
    results = judge_doc(doc)
    fails = failed(results)
    assert "rt.config.specification-version.content" in fails
    assert "/linux/netDevices" in outcome_message(results,
                                                  "rt.config.specification-version.content")
    assert "rt.config.property-values" in fails          # name must be a string


def test_newer_rdma_block_of_the_wrong_shape_in_a_1_0_0_document() -> None:
    doc = copy.deepcopy(OLD_WITH_NEW)
    doc["linux"]["resources"]["rdma"] = {"mlx5_1": {}}
    results = judge_doc(doc)
    assert "rt.config-linux.rdma.4" in failed(results)


def test_runc_template_version_with_valid_content_is_valid() -> None:
    doc = {"ociVersion": "1.0.2-dev", "root": {"path": "rootfs"},
           "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0}},
           "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}}
    results = judge_doc(doc)
    assert failed(results) == set()
    assert outcome(results, "rt.config.specification-version.content") == "pass"


def test_version_content_is_an_error_not_a_pass_when_nothing_could_be_compared() -> None:
    """Without a catalog no field is compared with ociVersion: that is never a pass."""
    from oci_conform.checks.runtime_config.docload import parse_bytes
    from oci_conform.checks.runtime_config.engine import validate_parsed
    from oci_conform.model.outcome import Outcome
    parsed = parse_bytes(b'{"ociVersion": "1.0.2", "root": {"path": "rootfs"}}')
    got = [r for r in validate_parsed(parsed, "config", catalog=None)
           if r.clause == "rt.config.specification-version.content"]
    assert [r.outcome for r in got] == [Outcome.ERROR]
