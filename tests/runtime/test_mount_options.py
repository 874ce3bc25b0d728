"""The mount option cases: their read-back rules (pure) and one real run on runc.

runc claims runtime-spec 1.0.2, before the option table, so the real run judges as 1.2.0
(``--spec-version``): every case then runs, the recursive ones with a host submount that
the case itself mounts and unmounts, and nothing may be left behind.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.drivers.host_probes import HostFacts
from oci_conform.drivers.runtime_cli import RuntimeCommand
from oci_conform.expectations_file import load_expectations
from oci_conform.model.expectations import apply_expectations
from oci_conform.model.judging import Why
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Results
from oci_conform.orchestrate import finish
from oci_conform.suites.base import RunContext, Selection
from oci_conform.suites.runtime import SUITE, mount_options
from oci_conform.suites.runtime.case import Probe, Unmet
from oci_conform.suites.runtime.mounts_root import mount_at
from oci_conform.suites.runtime.sandbox import mounts_under
from oci_conform.suites.runtime.target import RuntimeTarget

REPO = Path(__file__).resolve().parents[2]


def _obs(*lines: str) -> Probe:
    return Probe({"mountinfo": "\n".join(lines)}, None, None, None)


def _target(tmp_path: Path, **kw: object) -> RuntimeTarget:
    t = RuntimeTarget(name="x", command=RuntimeCommand("true"), host=HostFacts(),
                      workdir=tmp_path, base_rootfs=tmp_path)
    for k, v in kw.items():
        setattr(t, k, v)
    return t


def test_every_new_clause_is_in_the_catalog_and_each_case_is_one_option() -> None:
    catalog = default_catalog()
    names = [c.name for c in mount_options.CASES]
    assert len(names) == len(set(names)) >= 40
    for case in mount_options.CASES:
        assert set(case.clauses) <= set(catalog.clauses), case.name
        assert case.since in ("1.1.0", "1.2.0"), case.name


@pytest.mark.parametrize("option", sorted(mount_options.NEGATIONS))
def test_clearing_options_fail_when_the_flag_stays(option: str) -> None:
    _, listed, test, _ = mount_options.NEGATIONS[option]
    flag = listed[0]
    stuck = mount_at(_obs(f"90 80 0:50 / /neg rw,{flag} - tmpfs tmpfs rw,{flag}"), "/neg")
    cleared = mount_at(_obs("90 80 0:50 / /neg rw,relatime - tmpfs tmpfs rw"), "/neg")
    assert stuck and cleared
    assert not test(stuck["opts"], stuck["super"])  # type: ignore[arg-type]
    if option != "nostrictatime":
        assert test(cleared["opts"], cleared["super"])  # type: ignore[arg-type]


def test_recursive_rules_read_the_per_mount_flags() -> None:
    _, _, rro, _ = mount_options.RECURSIVE["rro"]
    _, _, rsuid, _ = mount_options.RECURSIVE["rsuid"]
    _, _, rstrict, _ = mount_options.RECURSIVE["rstrictatime"]
    assert rro({"ro", "relatime"}) and not rro({"rw", "relatime"})
    assert rsuid({"rw"}) and not rsuid({"rw", "nosuid"})
    assert rstrict({"rw"}) and not rstrict({"rw", "relatime"})


def test_propagation_rules_read_the_optional_tags() -> None:
    _, shared, _ = mount_options.PROPAGATION["rshared"]
    _, slave, _ = mount_options.PROPAGATION["slave"]
    assert shared(["shared:12"]) and not shared([])
    assert slave(["master:3"]) and not slave(["shared:4", "master:3"]) and not slave([])


def test_requirements_give_reasons(tmp_path: Path) -> None:
    assert mount_options.kernel_at_least(99, 0)(_target(tmp_path))
    assert mount_options.kernel_at_least(2, 6)(_target(tmp_path)) is None
    listed = _target(tmp_path, features={"mountOptions": ["rbind"]})
    unlisted = mount_options.listed_option("tmpcopyup")(listed)
    assert isinstance(unlisted, Unmet) and unlisted.why is Why.NOT_OFFERED   # n/a, not skip
    assert "tmpcopyup" in unlisted.reason
    assert mount_options.listed_option("tmpcopyup")(_target(tmp_path)) is None
    host = HostFacts()
    host.root_propagation = "private"
    assert mount_options.shared_host_root(_target(tmp_path, host=host))


@pytest.mark.integration
def test_runc_run_leaves_nothing_and_failures_are_known() -> None:
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed")
    catalog = default_catalog()
    work = Path(tempfile.mkdtemp(prefix="oc-it-mountopts-"))
    try:
        ctx = RunContext(catalog=catalog, workdir=work, jobs=2,
                         selection=Selection(clauses=("rt.config.linux-mount-options",)),
                         spec_versions={"runtime-spec": "1.2.0"})
        impl = next(i for i in SUITE.default_implementations(ctx) if i.name == "runc")
        results = list(SUITE.run(impl, ctx))
        assert mounts_under(work) == []
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cases = {r.case for r in results}
    assert {f"runtime:{c.name}" for c in mount_options.CASES} <= cases
    for clause in ("harness.runtime.leak-mounts", "harness.runtime.leak-processes",
                   "harness.runtime.cleanup"):
        assert [r.outcome for r in results if r.clause == clause] == [Outcome.PASS], clause
    assert not [r for r in results if r.outcome is Outcome.ERROR], [
        (r.case, r.message) for r in results if r.outcome is Outcome.ERROR]
    for r in results:
        if r.outcome is Outcome.SKIP:
            assert r.message, r.case
    path = REPO / "expectations" / f"runc-{impl.version.split('+')[0]}.json"
    if not path.exists():
        return
    doc = Results(tool_version="t", catalog_version=catalog.version, started="now",
                  implementations=[impl], results=[CaseResult.from_dict(r.to_dict())
                                                   for r in results])
    finish(doc, catalog, {})
    apply_expectations(doc, load_expectations(path))
    left = sorted({(r.clause, r.case) for r in doc.results if r.outcome is Outcome.FAIL})
    assert not left, json.dumps(left, indent=1)


def test_sched_fields_read_proc_stat() -> None:
    from oci_conform.suites.runtime.sched_io import sched_fields
    fields = ["S"] + ["0"] * 15 + ["5"] + ["0"] * 20 + ["7", "3"] + ["0"] * 10
    obs = Probe({"stat": "1 (sh (x)) " + " ".join(fields)}, None, None, None)
    assert sched_fields(obs) == {"nice": 5, "rt_priority": 7, "policy": 3}
    assert sched_fields(Probe({"stat": "garbage"}, None, None, None)) is None
