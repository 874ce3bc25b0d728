"""The judging core: one roll-up, one severity order, one skip/n-a table, typed evidence."""
from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oci_conform.catalog.loader import load_catalog
from oci_conform.model import judging
from oci_conform.model.evidence import Evidence, HttpExchange, ProcessRun, redact_url
from oci_conform.model.judging import NOT_JUDGED, Judge, Why, roll_up
from oci_conform.model.outcome import SEVERITY, Outcome
from oci_conform.model.results import CaseResult


def test_every_reason_maps_to_skip_or_na_and_only_host_reasons_skip() -> None:
    assert set(NOT_JUDGED) == set(Why)
    skips = {w for w, o in NOT_JUDGED.items() if o is Outcome.SKIP}
    assert skips == {Why.HOST_LIMIT, Why.NOT_INSTALLED, Why.NOT_SELECTED}
    assert set(NOT_JUDGED.values()) == {Outcome.SKIP, Outcome.NA}


def test_roll_up_worst_wins_with_one_order() -> None:
    obs = [judging.passed("a"), judging.errored("a", "timeout"), judging.failed("a", "bad"),
           judging.passed("b"), judging.not_judged("b", Why.HOST_LIMIT, "no userns")]
    v = roll_up(obs)
    assert v["a"].outcome is Outcome.FAIL
    assert v["b"].outcome is Outcome.PASS
    assert "1 pass, 1 skip" in v["b"].summary()
    assert SEVERITY.index(Outcome.FAIL) < SEVERITY.index(Outcome.ERROR)


def test_unobserved_clause_is_never_a_pass() -> None:
    assert roll_up([], ["x"])["x"].outcome is Outcome.NA
    assert roll_up([], ["x"], unobserved=Outcome.ERROR)["x"].outcome is Outcome.ERROR
    with pytest.raises(ValueError):
        roll_up([], ["x"], unobserved=Outcome.PASS)


def test_findings_are_capped_and_counted() -> None:
    obs = (judging.failed("a", f"bad {n}", location=f"/x/{n}") for n in range(10_000))
    v = roll_up(obs, max_findings=5)["a"]
    assert len(v.findings) == 5 and v.omitted == 9_995
    assert "more" in v.message
    r = next(judging.case_results([v], "impl", "case"))
    assert r.omitted_findings == 9_995
    assert CaseResult.from_dict(r.to_dict()).omitted_findings == 9_995


def test_strict_judge_refuses_undeclared_clauses() -> None:
    j = Judge(["a"], strict=True)
    j.check("a", True, "ok")
    with pytest.raises(ValueError):
        j.check("b", True, "ok")


def test_in_force_rule_gives_na_for_a_clause_newer_than_the_version() -> None:
    catalog = load_catalog()
    clause = next(c for c in catalog.clauses.values() if c.since and c.spec == "runtime-spec")
    spec = catalog.specs[clause.spec]
    older = spec.versions[spec.index(clause.since) - 1]
    obs = judging.in_force(clause, spec, older)
    assert obs is not None and obs.outcome is Outcome.NA and obs.why is Why.NOT_IN_FORCE
    assert judging.in_force(clause, spec, clause.since) is None


def test_typed_evidence_round_trips_and_redacts() -> None:
    ev = Evidence.of(runs=[ProcessRun(["runc", "create", "x"], 1, stderr="boom")],
                     exchanges=[HttpExchange.recorded(
                         "GET", "http://u:p@h/v2/?token=abc", 401,
                         request_headers={"Authorization": "Basic dTpw"})])
    back = Evidence.from_dict(ev.to_dict())
    assert back.last_run is not None and back.last_run.stderr == "boom"
    x = back.exchanges[0]
    assert "dTpw" not in str(x.to_dict()) and x.request_headers["Authorization"].startswith("Basic")
    assert "abc" not in x.url and ":p@" not in x.url
    assert redact_url("http://h/p?a=1") == "http://h/p?a=1"


def test_beyond_claim_results_do_not_count_toward_the_exit_code() -> None:
    from oci_conform.model.outcome import Level
    from oci_conform.model.results import ClauseInfo, Results
    from oci_conform.model.verdict import ExitCode, exit_code
    r = Results(tool_version="t", catalog_version="c", started="s")
    r.clauses["a"] = ClauseInfo("a", "runtime-spec", "d", "s", Level.MUST, "x", "")
    r.results.append(CaseResult("a", "runc", Outcome.FAIL, beyond_claim="since 1.2.0"))
    r.results.append(CaseResult("a", "runc", Outcome.PASS))
    assert exit_code(r) is ExitCode.CONFORMANT
    r.results[0].beyond_claim = ""
    assert exit_code(r) is ExitCode.NONCONFORMANT


def test_a_cookie_with_spaces_keeps_nothing_of_its_value() -> None:
    from oci_conform.model.evidence import REDACTED, redact_headers
    out = redact_headers({"Cookie": "session=abc123; theme=dark", "Authorization": "Basic dTpw",
                          "Set-Cookie": "id=s3cret; Path=/"})
    assert out["Cookie"] == REDACTED and out["Set-Cookie"] == REDACTED
    assert out["Authorization"] == f"Basic {REDACTED}"


def _reference_results(observations, declared, cap, place, pass_message):
    """What ``rolled_results`` must equal: roll_up, each verdict finished, case_results."""
    out = []
    for v in roll_up(observations, declared, max_findings=cap,
                     unobserved_reason="nothing seen").values():
        if v.findings or v.outcome is Outcome.PASS:
            if v.outcome is Outcome.PASS and not v.message:
                v.message = pass_message(v.counts[Outcome.PASS])
            v.findings = [place(f) for f in v.findings]
        out.append(v)
    return list(judging.case_results(out, "impl", "case", evidence=Evidence(facts={"k": 1})))


_CLAUSES = st.sampled_from(["a", "b", "c", "d"])
_OBSERVATIONS = st.one_of(
    st.builds(judging.passed, _CLAUSES, st.sampled_from(["", "ok", "fine"])),
    st.builds(lambda c, m, at: judging.failed(c, m, location=at), _CLAUSES,
              st.sampled_from(["", "bad", "x" * 600]), st.sampled_from(["", "/p", "/q/1"])),
    st.builds(lambda c, m: judging.errored(c, m), _CLAUSES, st.sampled_from(["", "boom"])),
    st.builds(lambda c, w: judging.not_judged(c, w, "why"), _CLAUSES, st.sampled_from(list(Why))),
)


@st.composite
def _seen(draw):
    """Observations, some of them the same value seen again (as a plain pass is)."""
    distinct = draw(st.lists(_OBSERVATIONS, min_size=1, max_size=8))
    picks = draw(st.lists(st.integers(0, len(distinct) - 1), max_size=14))
    return [distinct[i] for i in picks]


_FIRST = st.dictionaries(_CLAUSES, st.sampled_from(list(Why)), max_size=3).map(
    lambda d: {c: judging.not_judged(c, w, f"first {w}") for c, w in d.items()})


@settings(max_examples=400, deadline=None)
@given(_seen(), st.lists(_CLAUSES, max_size=5), st.sampled_from([0, 1, 2, 50]), _FIRST)
def test_rolled_results_equal_roll_up_then_case_results(observations, declared, cap,
                                                         first) -> None:
    """The one-pass path (config validate's) gives the same entries, in the same order, as
    the roll-up, finish and case_results it replaces: clauses seen once, several times (the
    same observation again, or different ones), never, undeclared, repeated in
    ``declared``, findings over the cap, and observations given first as a mapping."""
    def place(f):
        return replace(f, file="doc.json", line=len(f.location))

    def examined(n):
        return f"{n} seen"
    got = judging.rolled_results(observations, declared, "impl", "case",
                                 evidence=Evidence(facts={"k": 1}),
                                 unobserved_reason="nothing seen", max_findings=cap,
                                 place=place, pass_message=examined, first=first)
    want = _reference_results([*first.values(), *observations], declared, cap, place,
                              examined)
    assert [r.to_dict() for r in got] == [r.to_dict() for r in want]
    assert all(r.findings is not s.findings for r in got for s in got if r is not s)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_OBSERVATIONS, st.integers(0, 30)), max_size=10),
       st.lists(_CLAUSES, max_size=5), st.sampled_from([0, 1, 2, 50]))
def test_repeated_observations_roll_up_as_if_given_one_by_one(pairs, declared, cap) -> None:
    """``roll_up_repeated`` ((observation, times) pairs, as an image layer's counted passes
    come) gives the verdicts ``roll_up`` gives for each observation repeated ``times`` times:
    outcome, message, counts, findings kept and omitted."""
    def expanded():
        return [obs for obs, times in pairs for _ in range(times)]
    got = judging.roll_up_repeated(pairs, declared, max_findings=cap)
    want = roll_up(expanded(), declared, max_findings=cap)
    assert list(got) == list(want)
    assert [(v.outcome, v.message, v.findings, v.omitted, v.counts) for v in got.values()] \
        == [(v.outcome, v.message, v.findings, v.omitted, v.counts) for v in want.values()]
