"""Small pure pieces: version mapping, clause ids, state and features checks."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.checks.runtime_config import engine
from oci_conform.checks.runtime_config.context import platform_of, spec_version_for
from oci_conform.suites.config_generators import SUITE

from .helpers import failed, judge_doc, outcome

PACKAGE = Path(engine.__file__).parent


@pytest.mark.parametrize("declared,expected", [
    ("1.0.2", "1.0.2"), ("1.0.2-dev", "1.0.2"), ("1.3.0+dev", "1.3.0"), ("1.2.5", "1.2.1"),
    ("1.9.0", "main"), ("bogus", "main"), (None, "main"), ("0.9.0", "1.0.0")])
def test_spec_version_for(declared, expected) -> None:
    assert spec_version_for(declared) == expected


def test_platform_of() -> None:
    assert platform_of({"windows": {}}) == "windows"
    assert platform_of({"linux": {}, "vm": {}}) == "linux"
    assert platform_of({}) == "linux"


def test_every_judged_clause_is_in_the_catalog() -> None:
    catalog = default_catalog()
    missing = sorted(engine.judged_clause_ids() - set(catalog.clauses))
    assert not missing
    assert SUITE.clause_ids() <= set(catalog.clauses)


def test_clause_literals_in_checks_are_declared() -> None:
    """Every clause id a semantic check can name is among the ids the validator reports."""
    prefixes = {"C": "rt.config.", "L": "rt.config-linux.", "R": "rt.runtime.",
                "V": "rt.config-vm.", "Z": "rt.config-zos.", "FE": "rt.features.",
                "FL": "rt.features-linux."}
    literal = re.compile(r'\b(C|L|R|V|Z|FE|FL) \+ "([a-z][a-z0-9-]*\.[0-9]+[a-z0-9.-]*)"')
    judged = engine.judged_clause_ids()
    for path in PACKAGE.glob("*.py"):
        for prefix, short in literal.findall(path.read_text()):
            assert prefixes[prefix] + short in judged, (path.name, short)


def test_state_rules() -> None:
    base = {"ociVersion": "1.0.2", "id": "c1", "status": "running", "pid": 42,
            "bundle": "/run/bundle"}
    assert failed(judge_doc(base, "state")) == set()
    assert failed(judge_doc({**base, "status": "paused"}, "state")) == set()
    assert "rt.runtime.state.7" in failed(judge_doc({**base, "pid": 0}, "state"))
    assert "rt.runtime.state.8" in failed(judge_doc({**base, "bundle": "rel"}, "state"))
    no_pid = {k: v for k, v in base.items() if k != "pid"}
    assert "rt.runtime.state.7" in failed(judge_doc(no_pid, "state"))
    stopped = judge_doc({**no_pid, "status": "stopped"}, "state")
    assert failed(stopped) == set()
    missing_id = judge_doc({k: v for k, v in base.items() if k != "id"}, "state")
    assert {"rt.runtime.state.2", "rt.runtime.state.12"} <= failed(missing_id)


def test_features_rules() -> None:
    base = {"ociVersionMin": "1.0.0", "ociVersionMax": "1.2.0", "hooks": ["prestart"],
            "linux": {"namespaces": ["pid"], "capabilities": ["CAP_KILL"], "selinux": None}}
    assert failed(judge_doc(base, "features")) == set()
    assert "rt.features.specification-version.5" in failed(
        judge_doc({**base, "ociVersionMax": "0.9.0"}, "features"))
    assert "rt.features.specification-version.6" in failed(
        judge_doc({**base, "extra": 1}, "features"))
    assert "rt.features.hooks.1" in failed(judge_doc({**base, "hooks": ["onStart"]}, "features"))


def test_version_awareness_of_capabilities() -> None:
    doc = {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
           "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0},
                       "capabilities": {"bounding": ["CAP_FLY"]}}}
    assert "rt.config.linux-process.3-pre-1.1" in failed(judge_doc(doc))
    newer = judge_doc({**doc, "ociVersion": "1.2.0"})
    assert outcome(newer, "rt.config.linux-process.3-pre-1.1") == "n/a"
    assert "rt.config.linux-process.6" in failed(newer)


def test_vm_section_rules_apply_on_linux() -> None:
    doc = {"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "linux": {},
           "vm": {"kernel": {"path": "vmlinuz"}}}
    assert failed(judge_doc(doc)) == {"rt.config-vm.kernel-object.3"}


def test_pre_commit_hook_definition() -> None:
    from .helpers import REPO
    text = (REPO / ".pre-commit-hooks.yaml").read_text()
    assert "- id: oci-config-validate" in text
    assert "entry: oci-conform config validate" in text
    files = re.search(r"^\s*files:\s*(\S+)\s*$", text, re.M)
    assert files is not None
    pattern = re.compile(files.group(1))
    assert pattern.search("deploy/bundle/config.json")
    assert not pattern.search("config.json.bak")
