"""The per-entry passes of a layer are counted and recorded in bulk at the end of the layer
(``_check_member`` with ``deferred``, ``Report.saw_many``): the report must equal the one
recording every pass as it happens (kept lists, counts, representatives, key order), for
generated entry names with absolute paths, '..', duplicates, doubled slashes, whiteouts
and names that are not UTF-8; the one split that replaces dirname and basename answers as
they do."""
from __future__ import annotations

import posixpath

from hypothesis import example, given, settings
from hypothesis import strategies as st

from oci_conform.checks.image.layer import PER_ENTRY, _check_member, split_path
from oci_conform.checks.image.report import KEEP, Report
from oci_conform.checks.image.tarscan import Entry

PARTS = st.sampled_from(["a", "b", "usr", "..", ".", "", ".wh.a", ".wh..wh..opq", ".wh.",
                         "é", "\udcff", "x y"])
NAMES = st.lists(PARTS, min_size=1, max_size=4).map("/".join) | st.sampled_from(
    ["/abs", "./a", "./", "a//b", "a//.wh.b", "a///", "//"])
ENTRIES = st.lists(st.tuples(NAMES, st.sampled_from([0x30, 0x35, 0x31])), max_size=KEEP * 3)


def _state(report: Report) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for key, kept in report.kept.items():
        rep = report.dropped.get(key)
        out.append((key, [(o.clause, o.outcome, o.message, o.finding) for o in kept],
                    None if rep is None else (rep[0].message, rep[1])))
    return out


def _scan(entries: list[tuple[str, int]], bulk: bool) -> tuple[list, list, list]:
    report = Report(file="layer")
    seen: set[int] = set()
    whiteouts: list = []
    links: list = []
    filled: set[int] = set()
    deferred = [-1] * len(PER_ENTRY) if bulk else None
    for name, kind in entries:
        entry = Entry(name, kind, "a" if kind == 0x31 else "", 0, 0)
        _check_member(report, entry, "w", "1.1.1", seen, whiteouts, links, None, filled,
                      deferred)
    if deferred is not None:
        for clause, times in zip(PER_ENTRY, deferred, strict=True):
            report.saw_many(clause, times)
    return _state(report), whiteouts, links


@settings(max_examples=400, deadline=None)
@given(ENTRIES)
@example([("/abs", 0x30), ("a", 0x30), ("a", 0x30), ("\udcff", 0x30)] * KEEP)
def test_bulk_passes_equal_passes_one_by_one(entries: list[tuple[str, int]]) -> None:
    assert _scan(entries, bulk=True) == _scan(entries, bulk=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["saw", "fail"]), st.integers(0, KEEP + 4)),
                max_size=6))
def test_saw_many_equals_saw_repeated(runs: list[tuple[str, int]]) -> None:
    one, bulk = Report(), Report()
    for kind, times in runs:
        for i in range(times):
            if kind == "saw":
                one.saw("c.x")
            else:
                one.fail("c.x", f"bad {i}")
                bulk.fail("c.x", f"bad {i}")
        if kind == "saw":
            bulk.saw_many("c.x", times)
    assert _state(bulk) == _state(one)


def test_many_passes_are_counted_not_kept() -> None:
    state, _, _ = _scan([(f"dir/f{i}", 0x30) for i in range(KEEP * 4)], bulk=True)
    (row,) = [r for r in state if r[0][0] == "docker.layer.paths-inside-root"]
    assert len(row[1]) == KEEP and row[2] is not None and row[2][1] == KEEP * 3


@settings(max_examples=400, deadline=None)
@given(NAMES | st.text(alphabet="/a.", max_size=12))
@example("a//.wh.b")
@example("//")
@example("/abs")
def test_split_path_is_dirname_and_basename(path: str) -> None:
    assert split_path(path) == (posixpath.dirname(path), posixpath.basename(path))
