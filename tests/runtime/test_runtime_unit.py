"""Unit tests of the runtime suite's pure parts: command syntax, versions, cases, verdicts."""
from __future__ import annotations

from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.drivers.bundle import base_config
from oci_conform.drivers.host_probes import HostFacts, caps_from_mask, mask_from_caps
from oci_conform.drivers.runtime_cli import (
    WRAPPERS,
    CommandError,
    Invocation,
    RuntimeCommand,
    run_command,
)
from oci_conform.model.outcome import Outcome
from oci_conform.suites.base import Selection
from oci_conform.suites.runtime import SUITE, all_cases, parse_runtime, select
from oci_conform.suites.runtime.case import Case, Verdict, bad, broke, ok
from oci_conform.suites.runtime.runner import (
    HARNESS_CLAUSES,
    LeakLedger,
    _results,
    clauses_in_force,
    leak_results,
    skip_reason,
)
from oci_conform.suites.runtime.sandbox import Leftovers
from oci_conform.suites.runtime.target import (
    RuntimeTarget,
    judged_version,
    parse_version_output,
)

GROUPS = {"state", "hooks", "process", "mounts", "namespaces", "devices", "cgroups",
          "security", "features"}


def target(tmp_path: Path, **kw: object) -> RuntimeTarget:
    t = RuntimeTarget(name="x", command=RuntimeCommand("true"), host=HostFacts(),
                      workdir=tmp_path, base_rootfs=tmp_path)
    for k, v in kw.items():
        setattr(t, k, v)
    return t


# -- command syntax ---------------------------------------------------------------------------
def test_parse_plain_runtime() -> None:
    impl = parse_runtime("runc=runc")
    assert (impl.name, impl.kind, impl.command) == ("runc", "runtime", "runc")


def test_parse_wrapper_and_global_args() -> None:
    cmd = RuntimeCommand.parse("hide-cgroup2:crun --systemd-cgroup --log '/tmp/a b'")
    assert cmd.wrapper == "hide-cgroup2" and cmd.binary == "crun"
    assert cmd.global_args == ("--systemd-cgroup", "--log", "/tmp/a b")
    argv = cmd.argv(["state", "id"])
    assert argv == [*WRAPPERS["hide-cgroup2"], "crun", "--systemd-cgroup", "--log", "/tmp/a b",
                    "state", "id"]
    assert RuntimeCommand.parse(cmd.text()) == cmd


@pytest.mark.parametrize("text", ["runc", "=runc", "runc=", "x=bogus:runc", "x='unclosed"])
def test_bad_runtime_specs_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_runtime(text)


def test_missing_binary_is_unavailable_with_reason() -> None:
    impl = parse_runtime("ghost=/nonexistent/oci-runtime-xyz")
    assert not impl.available and "not installed" in impl.reason


def test_absolute_path_with_colon_free_head_is_not_a_wrapper() -> None:
    assert RuntimeCommand.parse("/usr/bin/runc").wrapper == ""
    with pytest.raises(CommandError):
        RuntimeCommand.parse("")


# -- versions ------------------------------------------------------------------------------------
def test_version_output_parsing() -> None:
    text = "runc version 1.1.5+ds1\ncommit: x\nspec: 1.0.2-dev\ngo: go1.19"
    assert parse_version_output(text) == ("1.1.5+ds1", "1.0.2-dev")
    assert parse_version_output("crun version 1.8.1\nspec: 1.0.0\n+SYSTEMD") == ("1.8.1", "1.0.0")


def test_judged_version_maps_claims_onto_catalog_versions() -> None:
    spec = default_catalog().specs["runtime-spec"]
    assert judged_version("1.0.2-dev", spec) == "1.0.2"
    assert judged_version("1.1.0+dev", spec) == "1.1.0"
    assert judged_version("1.1.7", spec) == "1.1.0"     # unknown patch -> nearest below
    assert judged_version("garbage", spec) == ""


# -- cases ---------------------------------------------------------------------------------------
def test_at_least_100_cases_in_every_group_with_unique_names() -> None:
    cases = all_cases()
    assert len(cases) >= 100
    assert {c.group for c in cases} == GROUPS
    names = [c.name for c in cases]
    assert len(names) == len(set(names))


def test_every_case_clause_is_in_the_catalog() -> None:
    catalog = default_catalog()
    missing = sorted(SUITE.clause_ids() - set(catalog.clauses))
    assert not missing, missing
    assert HARNESS_CLAUSES <= SUITE.clause_ids()


def test_selection_by_group_clause_and_text() -> None:
    cases = all_cases()
    assert {c.group for c in select(cases, Selection(groups=("hooks",)))} == {"hooks"}
    by_clause = select(cases, Selection(clauses=("rt.runtime.query-state",)))
    assert by_clause and all(any(x.startswith("rt.runtime.query-state.") for x in c.clauses)
                             for c in by_clause)
    assert [c.name for c in select(cases, Selection(text="console-socket"))] == [
        "process-terminal-console-socket"]


def test_base_config_is_plain_and_names_results_bind(tmp_path: Path) -> None:
    cfg = base_config("1.0.2", ["sh"], tmp_path, "/p/c")
    assert cfg["ociVersion"] == "1.0.2" and cfg["linux"]["cgroupsPath"] == "/p/c"
    assert any(m["destination"] == "/results" and m["source"] == str(tmp_path)
               for m in cfg["mounts"])


def test_capability_masks_round_trip() -> None:
    names = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"]
    assert sorted(caps_from_mask(mask_from_caps(names))) == sorted(names)
    assert caps_from_mask(0x20000420) == ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"]


# -- skip and verdict logic --------------------------------------------------------------------
def _case(**kw: object) -> Case:
    base: dict = {"name": "c", "group": "g", "clauses": ("rt.runtime.state.1",),
                  "flow": lambda sb: ok()}
    base.update(kw)
    return Case(**base)


def test_skip_reasons_come_from_requirements_and_since(tmp_path: Path) -> None:
    t = target(tmp_path, spec_version="1.0.0", oci_version="1.0.0", spec_claim="1.0.0")
    assert "1.0.2" in (skip_reason(_case(since="1.0.2"), t) or "")
    assert skip_reason(_case(requires=(lambda _t: "no widget",)), t) == "no widget"
    assert skip_reason(_case(), t) is None


def test_clauses_not_in_force_are_set_apart(tmp_path: Path) -> None:
    catalog = default_catalog()
    old = target(tmp_path, spec_version="1.0.2")
    judged, dormant = clauses_in_force(_case(clauses=("rt.runtime.state.12",
                                                      "rt.runtime.state.12-pre-1.1")),
                                       catalog, old)
    assert judged == ["rt.runtime.state.12-pre-1.1"] and dormant == ["rt.runtime.state.12"]


def test_worst_verdict_wins_and_unjudged_clause_is_an_error(tmp_path: Path) -> None:
    case = _case(clauses=("a.b.1", "a.b.2", "a.b.3"))
    verdicts: list[Verdict] = [ok("fine", "a.b.1"), bad("broken", "x", "y", "", "a.b.1"),
                               ok("fine", "a.b.2")]
    out = {r.clause: r for r in _results(case, target(tmp_path), verdicts,
                                         ["a.b.1", "a.b.2", "a.b.3"],
                                         {"invocations": [{"argv": ["rt"], "exit_code": 1}]},
                                         0.1)}
    assert out["a.b.1"].outcome is Outcome.FAIL and out["a.b.1"].findings
    assert out["a.b.2"].outcome is Outcome.PASS
    assert out["a.b.3"].outcome is Outcome.ERROR        # nothing observed is never a pass
    assert out["a.b.1"].evidence.runs[0].argv == ["rt"]      # a failure keeps its evidence


def test_broke_is_error_not_pass(tmp_path: Path) -> None:
    out = _results(_case(), target(tmp_path), [broke("could not see")], ["rt.runtime.state.1"],
                   {}, 0)
    assert out[0].outcome is Outcome.ERROR


def test_leak_results_fail_on_leftovers_and_pass_when_clean(tmp_path: Path) -> None:
    t = target(tmp_path)
    ledger = LeakLedger()
    ledger.add("case-a", Leftovers(processes=[4242]), [])
    ledger.add("case-b", Leftovers(), [])
    out = {r.clause: r for r in leak_results(t, ledger)}
    assert out["harness.runtime.leak-processes"].outcome is Outcome.FAIL
    assert "case-a" in out["harness.runtime.leak-processes"].findings[0].message
    assert out["harness.runtime.leak-mounts"].outcome is Outcome.PASS
    assert out["harness.runtime.cleanup"].outcome is Outcome.PASS
    ledger.add("case-c", Leftovers(), ["processes still alive: [1]"])
    out = {r.clause: r for r in leak_results(t, ledger)}
    assert out["harness.runtime.cleanup"].outcome is Outcome.ERROR


# -- the CLI driver ----------------------------------------------------------------------------
def test_run_command_times_out_and_kills(tmp_path: Path) -> None:
    inv = run_command(["sh", "-c", "sleep 30"], tmp_path, timeout=0.5)
    assert inv.timed_out and inv.exit_code is None and not inv.failed


def test_run_command_output_goes_to_files_and_tails(tmp_path: Path) -> None:
    inv = run_command(["sh", "-c", "yes x | head -c 100000; echo err >&2; exit 3"], tmp_path)
    assert inv.exit_code == 3 and inv.failed and len(inv.stdout) <= 2000
    assert inv.stderr.strip() == "err"
    assert Invocation(["a"], -11).crashed and not Invocation(["a"], -11).failed


def test_run_command_reports_missing_binary(tmp_path: Path) -> None:
    inv = run_command(["/nonexistent/binary-xyz"], tmp_path)
    assert inv.exit_code is None and "cannot start" in inv.error


def test_relative_runtime_path_is_made_absolute(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    """Cases run the runtime from other working folders (e.g. create without --bundle)."""
    monkeypatch.chdir(tmp_path)
    assert RuntimeCommand.parse("bin/runc --debug").binary == str(tmp_path / "bin" / "runc")
    assert RuntimeCommand.parse("runc").binary == "runc"          # looked up on PATH
