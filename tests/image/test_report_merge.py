"""``Report.merge`` adds counted observations in bulk: the result must equal adding every
observation of the other report one by one (kept lists, counts, representatives, key order)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oci_conform.checks.image.report import KEEP, Report

CLAUSES = ("a.one", "a.two", "b.three")
# runs of (clause, kind, message index, times): saw/fail/note with a few distinct messages,
# long enough runs to fill the kept lists on either side
EVENTS = st.lists(st.tuples(st.sampled_from(CLAUSES), st.sampled_from(("saw", "fail", "note")),
                            st.integers(0, 3), st.integers(1, KEEP + 5)), max_size=8)


def _record(report: Report, events: list[tuple[str, str, int, int]]) -> None:
    for clause, kind, n, times in events:
        for i in range(times):
            if kind == "saw":
                report.saw(clause)
            elif kind == "fail":
                report.fail(clause, f"problem {n}.{i}", f"/x/{n}")
            else:
                report.note(clause, f"seen {n}.{i}", f"/y/{n}")


def _state(report: Report) -> list[tuple[object, ...]]:
    """Keys in order, kept observations (clause, outcome, message) and the counted ones."""
    out: list[tuple[object, ...]] = []
    for key, kept in report.kept.items():
        rep = report.dropped.get(key)
        out.append((key, [(o.clause, o.outcome, o.message) for o in kept],
                    None if rep is None else (rep[0].message, rep[1])))
    return out


def _every(report: Report) -> list:
    """Every observation recorded, the counted ones as repeats of their representative."""
    return [obs for obs, times in report.repeated() for _ in range(times)]


@settings(max_examples=300, deadline=None)
@given(EVENTS, EVENTS)
def test_merge_equals_adding_one_by_one(before: list, other_events: list) -> None:
    other = Report()
    _record(other, other_events)
    bulk, single = Report(), Report()
    _record(bulk, before)
    _record(single, before)
    bulk.merge(other)
    for obs in _every(other):
        single.add(obs)
    assert _state(bulk) == _state(single)
    assert _every(bulk) == _every(single)


def test_merge_of_a_big_layer_keeps_its_counts() -> None:
    layer = Report()
    for _ in range(20_000):
        layer.saw("image.layer.distributable-format.2")
    main = Report()
    main.saw("image.layer.distributable-format.2")
    main.merge(layer)
    assert len(_every(main)) == 20_001
    assert len(main.kept[("image.layer.distributable-format.2", next(iter(main.kept))[1])]) == KEEP
