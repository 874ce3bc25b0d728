"""Small pure pieces: version mapping, clause ids, state and features checks."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.checks.runtime_config import engine, table
from oci_conform.checks.runtime_config.context import platform_of, spec_version_for
from oci_conform.suites.config_generators import SUITE

from .helpers import failed, judge_doc, outcome, outcome_message

PACKAGE = Path(engine.__file__).parent
# Clauses added after the rewrite, on purpose (verdict rules of issue #15).
ADDED = {"rt.config.property-values", "rt.runtime.state.property-values",
         "rt.features.property-values", "rt.features.json",
         "rt.config.specification-version.content"}


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


def test_rewrite_kept_the_judged_ids() -> None:
    """Writing ids whole (no prefix + suffix) judged the same ids as before, per kind."""
    before = set((Path(__file__).parent / "data" / "judged_ids_before_rewrite.txt")
                 .read_text().split())
    assert set(engine.judged_clause_ids()) - ADDED == before


def test_no_clause_id_is_assembled() -> None:
    """No prefix constants, no concatenation or f-string building a clause id."""
    assembled = re.compile(r'"rt\.[a-z-]+\."\s*$|"rt\.[a-z-]+\.?"\s*\+|\+\s*f?"[a-z-]+\.[0-9]'
                           r'|f"rt\.')
    for path in PACKAGE.glob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            assert not assembled.search(line), f"{path.name}:{n}: {line.strip()}"


def test_each_declared_id_is_written_whole_in_its_module() -> None:
    import importlib
    for check in table.checks():
        module = importlib.import_module(check.run.__module__)
        text = Path(module.__file__).read_text()
        if check.stage == "schema":
            text += (PACKAGE / "clausemap.py").read_text()
        for cid in check.clauses:
            assert f'"{cid}"' in text, (check.where, cid)


def test_declarations_name_catalog_clauses_and_their_code() -> None:
    from oci_conform.checks.runtime_config import declarations
    from oci_conform.suites import config_generators, features_documents
    catalog = default_catalog()
    decls = declarations() + config_generators.declarations() + \
        features_documents.declarations()
    for d in decls:
        assert set(d.clauses) <= set(catalog.clauses), d.name
        module, _, func = d.where.partition(":")
        import importlib
        obj = importlib.import_module(module)
        for part in func.split("."):
            obj = getattr(obj, part)
        assert callable(obj) and d.select.startswith("oci-conform ")
    assert {c for d in declarations() for c in d.clauses} == engine.judged_clause_ids()


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
    # A 1.0.2 state is held to the 1.0.x layout clause, a 1.1.0+ one to the schema clause.
    assert {"rt.runtime.state.2", "rt.runtime.state.12-pre-1.1"} <= failed(missing_id)
    assert outcome(missing_id, "rt.runtime.state.12") == "n/a"
    newer = judge_doc({k: v for k, v in base.items() if k != "id"} | {"ociVersion": "1.2.0"},
                      "state")
    assert {"rt.runtime.state.2", "rt.runtime.state.12"} <= failed(newer)
    assert outcome(newer, "rt.runtime.state.12-pre-1.1") == "n/a"


def test_features_rules() -> None:
    base = {"ociVersionMin": "1.0.0", "ociVersionMax": "1.2.0", "hooks": ["prestart"],
            "linux": {"namespaces": ["pid"], "capabilities": ["CAP_KILL"], "selinux": None}}
    assert failed(judge_doc(base, "features")) == set()
    assert "rt.features.specification-version.5" in failed(
        judge_doc({**base, "ociVersionMax": "0.9.0"}, "features"))
    assert "rt.features.specification-version.6" in failed(
        judge_doc({**base, "extra": 1}, "features"))
    # A hook name outside the list is a wrong value: the MUST on values, naming hooks.1.
    unknown = judge_doc({**base, "hooks": ["onStart"]}, "features")
    assert failed(unknown) == {"rt.features.property-values"}
    assert "rt.features.hooks.1" in outcome_message(unknown, "rt.features.property-values")


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


def test_bundle_root_filesystem_sits_beside_config(tmp_path) -> None:
    from oci_conform.checks.runtime_config import bundle
    from oci_conform.drivers.bundle_layout import bundle_facts

    def facts(folder, doc):
        return bundle_facts(folder, doc["root"]["path"])
    doc = {"ociVersion": "1.3.0", "root": {"path": "rootfs"}}
    (tmp_path / "b" / "rootfs").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    inside = list(bundle.root_directory(facts(tmp_path / "b", doc), "linux"))
    assert {(o.clause, o.outcome.value == "pass") for o in inside} == {("rt.config.root.8", True),
                                                   ("rt.bundle.container-format.2", True)}
    outside = {"ociVersion": "1.3.0", "root": {"path": str(tmp_path / "elsewhere")}}
    judged = {o.clause: o.outcome.value == "pass"
              for o in bundle.root_directory(facts(tmp_path / "b", outside), "linux")}
    assert judged == {"rt.config.root.8": True, "rt.bundle.container-format.2": False}
    (tmp_path / "b" / "link").symlink_to(tmp_path / "elsewhere")
    linked = {"ociVersion": "1.3.0", "root": {"path": "link"}}
    judged = {o.clause: o.outcome.value == "pass"
              for o in bundle.root_directory(facts(tmp_path / "b", linked), "linux")}
    assert judged["rt.bundle.container-format.2"] is False
    same = {"ociVersion": "1.3.0", "root": {"path": "."}}
    judged = {o.clause: o.outcome.value == "pass"
              for o in bundle.root_directory(facts(tmp_path / "b", same), "linux")}
    assert judged["rt.bundle.container-format.2"] is False


def test_platform_rules_judge_only_their_platform() -> None:
    windows_netns = {"ociVersion": "1.3.0", "process": {"cwd": "C:\\", "args": ["cmd"]},
                     "root": {"path": "\\\\?\\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\\"},
                     "windows": {"layerFolders": ["C:\\l"],
                                 "network": {"networkNamespace": "n", "DNSSearchList": ["a"]}}}
    assert failed(judge_doc(windows_netns)) == {"rt.config-windows.network.6-b"}
    # The same z/OS devices are n/a once the 1.2.1 rewrite dropped them.
    zos = {"ociVersion": "1.2.1", "root": {"path": "rootfs"},
           "zos": {"devices": [{"type": "x", "path": "/dev/null"}]}}
    assert outcome(judge_doc(zos), "rt.config-zos.devices.3") == "n/a"
    assert "rt.config-zos.devices.3" in failed(judge_doc({**zos, "ociVersion": "1.2.0"}))


def test_every_declared_id_can_be_judged(tmp_path) -> None:
    """Each id the checks declare gets a pass or a fail on some document: the fixtures, a
    bundle folder, and a few documents for rules no fixture reaches."""
    from oci_conform.checks.runtime_config import bundle
    from oci_conform.checks.runtime_config.docload import parse_bytes, parse_text
    from oci_conform.drivers.bundle_layout import bundle_facts

    from .helpers import FIXTURES, judge_file
    seen: set[str] = set()

    def note(results) -> None:
        seen.update(r.clause for r in results if r.outcome.value in ("pass", "fail"))

    for path in sorted(FIXTURES.glob("*/*.json")) + sorted(FIXTURES.glob("*/*/*.json")):
        kind = path.parts[-3] if path.parts[-3] in ("state", "features") else "config"
        note(judge_file(path, kind))
    full = json.loads((FIXTURES / "good" / "full.json").read_text())
    full["mounts"].append({"destination": "/data", "source": "/srv", "options": ["idmap"],
                           "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                           "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})
    res = full["linux"]["resources"]
    res["blockIO"]["weightDevice"][0]["leafWeight"] = 10
    res["memory"]["kernelTCP"] = 1024
    full["linux"]["seccomp"]["syscalls"][1]["args"][0]["valueTwo"] = 0
    note(engine.validate_parsed(parse_text(json.dumps(full)), "config"))
    note(engine.validate_parsed(parse_text("{"), "features"))
    (tmp_path / "rootfs").mkdir()
    (tmp_path / "config.json").write_text(json.dumps(full))
    facts = bundle_facts(tmp_path, "rootfs")
    note(engine.validate_parsed(parse_bytes((tmp_path / "config.json").read_bytes()),
                                "config", extra=[*bundle.config_file(facts),
                                                 *bundle.root_directory(facts, "linux")]))
    assert engine.judged_clause_ids() <= seen, sorted(engine.judged_clause_ids() - seen)
