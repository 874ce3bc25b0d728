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
from oci_conform.model.judging import Why
from oci_conform.model.outcome import Outcome
from oci_conform.suites.base import Selection
from oci_conform.suites.runtime import SUITE, all_cases, parse_runtime, select
from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Unmet,
    bad,
    broke,
    not_offered,
    ok,
    unjudged,
)
from oci_conform.suites.runtime.runner import (
    HARNESS_CLAUSES,
    LeakLedger,
    execute,
    leak_results,
    unmet,
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


def test_unmet_requirements_skip_for_the_host_and_na_otherwise(tmp_path: Path) -> None:
    t = target(tmp_path)
    assert unmet(_case(requires=(lambda _t: "no widget",)), t) == Unmet(Why.HOST_LIMIT,
                                                                        "no widget")
    assert unmet(_case(requires=(lambda _t: not_offered("not listed"),)), t) == Unmet(
        Why.NOT_OFFERED, "not listed")
    assert unmet(_case(), t) is None


def _run(tmp_path: Path, case: Case, **kw: object) -> dict[str, object]:
    """Execute ``case`` (its flow must not touch the runtime) on a fake target."""
    t = target(tmp_path, **kw)
    return {r.clause: r for r in execute(case, default_catalog(), t, LeakLedger())}


def _flow(judgment: Judgment):  # type: ignore[no-untyped-def]
    def flow(sb) -> Judgment:  # type: ignore[no-untyped-def]
        sb.cli.calls.append(Invocation(["rt", "create"], 1, stderr="boom", config="~ /x: 1"))
        return judgment
    return flow


def test_clauses_not_in_force_at_the_asked_version_are_na(tmp_path: Path) -> None:
    case = _case(clauses=("rt.runtime.state.12", "rt.runtime.state.12-pre-1.1"),
                 flow=_flow(ok("seen")))
    out = _run(tmp_path, case, judged_at="1.0.2", claimed_version="1.0.2")
    assert out["rt.runtime.state.12"].outcome is Outcome.NA
    assert out["rt.runtime.state.12-pre-1.1"].outcome is Outcome.PASS
    assert not any(r.beyond_claim for r in out.values())    # asked: in force counts


def test_default_judges_newer_clauses_beyond_the_claim(tmp_path: Path) -> None:
    case = _case(clauses=("rt.runtime.state.12", "rt.runtime.state.12-pre-1.1"),
                 flow=_flow(bad("wrong", "a", "b")))
    out = _run(tmp_path, case, claimed_version="1.0.2")
    new, old = out["rt.runtime.state.12"], out["rt.runtime.state.12-pre-1.1"]
    assert new.outcome is Outcome.FAIL and "claims 1.0.2" in new.beyond_claim
    assert old.outcome is Outcome.FAIL and not old.beyond_claim
    since = _run(tmp_path, _case(since="1.1.0", flow=_flow(ok())), claimed_version="1.0.2")
    assert since["rt.runtime.state.1"].outcome is Outcome.PASS
    assert "1.1.0" in since["rt.runtime.state.1"].beyond_claim
    asked = _run(tmp_path, _case(since="1.1.0", flow=_flow(ok())), judged_at="1.0.2")
    assert asked["rt.runtime.state.1"].outcome is Outcome.NA


def test_worst_observation_wins_and_unjudged_clause_is_an_error(tmp_path: Path) -> None:
    case = _case(clauses=("rt.runtime.state.1", "rt.runtime.state.2", "rt.runtime.state.4"),
                 flow=_flow([ok("fine", "rt.runtime.state.1"),
                             bad("broken", "x", "y", "", "rt.runtime.state.1"),
                             ok("fine", "rt.runtime.state.2")]))
    out = _run(tmp_path, case)
    assert out["rt.runtime.state.1"].outcome is Outcome.FAIL
    assert out["rt.runtime.state.1"].findings
    assert out["rt.runtime.state.2"].outcome is Outcome.PASS
    assert out["rt.runtime.state.4"].outcome is Outcome.ERROR  # nothing observed: never a pass
    run = out["rt.runtime.state.1"].evidence.runs[0]           # typed evidence of the calls
    assert run.argv == ["rt", "create"] and run.config == "~ /x: 1"
    assert out["rt.runtime.state.1"].evidence.facts["container_id"].startswith("oc-c-")


def test_broke_is_error_and_a_skip_never_outranks_a_pass(tmp_path: Path) -> None:
    out = _run(tmp_path, _case(flow=_flow(broke("could not see"))))
    assert out["rt.runtime.state.1"].outcome is Outcome.ERROR
    mixed = _flow([ok("seen"), unjudged(Why.HOST_LIMIT, "no widget", "rt.runtime.state.1"),
                   broke("y", "rt.runtime.state.2")])
    out = _run(tmp_path, _case(clauses=("rt.runtime.state.1", "rt.runtime.state.2"),
                               flow=mixed))
    assert out["rt.runtime.state.1"].outcome is Outcome.PASS
    assert out["rt.runtime.state.2"].outcome is Outcome.ERROR


def test_a_case_bug_is_an_error_for_every_clause(tmp_path: Path) -> None:
    def flow(sb):  # type: ignore[no-untyped-def]
        raise KeyError("oops")
    out = _run(tmp_path, _case(flow=flow))
    assert out["rt.runtime.state.1"].outcome is Outcome.ERROR
    assert "harness error" in out["rt.runtime.state.1"].message


def test_leak_results_fail_on_leftovers_and_pass_when_clean(tmp_path: Path) -> None:
    t = target(tmp_path)
    ledger = LeakLedger()
    ledger.add("case-a", Leftovers(processes=[4242]), [])
    ledger.add("case-b", Leftovers(), [])
    out = {r.clause: r for r in leak_results(t, ledger)}
    assert out["harness.runtime.leak-processes"].outcome is Outcome.FAIL
    assert out["harness.runtime.leak-processes"].findings[0].location == "case-a"
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
