"""TAP 14 renderer, read back with tap.py and with a strict subtest parser.

tap.py (tappy 3.x) knows TAP 13 but not TAP 14 subtests: it reports indented lines as
"unknown". So the round trip uses tappy on the top level and on each subtest body (a subtest
is a whole TAP document indented by four spaces), and a small strict parser written here checks
the TAP 14 structure tappy cannot see (indentation, plans, numbering, YAML blocks).
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

import pytest

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import Results
from oci_conform.model.rollup import cell_outcomes
from oci_conform.report import tap

POINT = re.compile(r"^(not ok|ok) (\d+)(?: - (.*?))?(?: # (SKIP|TODO)(?: (.*))?)?$")


@dataclass
class Point:
    ok: bool
    number: int
    description: str
    directive: str
    yaml: list[str] = field(default_factory=list)


def strict_parse(lines: list[str]) -> tuple[int, list[Point], dict[int, list[Point]]]:
    """Top-level plan, top-level points, and the points of the subtest before each one."""
    plan, points, subtests, pending_sub = -1, [], {}, None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("# Subtest: "):
            body, i = [], i + 1
            while i < len(lines) and lines[i].startswith("    "):
                body.append(lines[i][4:])
                i += 1
            sub_plan, sub_points, nested = strict_parse(body)
            assert not nested
            assert sub_plan == len(sub_points), "subtest plan and points differ"
            pending_sub = sub_points
            continue
        if m := re.match(r"^1\.\.(\d+)(?: # SKIP .*)?$", line):
            assert plan == -1, "two plans"
            plan = int(m.group(1))
        elif m := POINT.match(line):
            point = Point(m.group(1) == "ok", int(m.group(2)), m.group(3) or "", m.group(4) or "")
            assert point.number == len(points) + 1, f"numbering broken at {line!r}"
            if i + 1 < len(lines) and lines[i + 1] == "  ---":
                i += 2
                while lines[i] != "  ...":
                    assert lines[i].startswith("  "), f"YAML line not indented: {lines[i]!r}"
                    point.yaml.append(lines[i][2:])
                    i += 1
            points.append(point)
            if pending_sub is not None:
                subtests[point.number] = pending_sub
                pending_sub = None
        elif line and not line.startswith("#") and not line.startswith("TAP version"):
            raise AssertionError(f"unexpected TAP line {line!r}")
        i += 1
    return plan, points, subtests


def _yaml_scalars_are_json(lines: list[str]) -> None:
    for line in lines:
        item = line.strip()
        if item.startswith("- ") and not re.match(r"- \w+: ", item):
            json.loads(item[2:])                      # a list item: one JSON scalar
        elif not item.endswith(":"):
            json.loads(item.split(": ", 1)[1])        # key: JSON scalar


def test_structure_and_counts_match_the_results(results: Results) -> None:
    text = tap.render(results)
    lines = text.splitlines()
    assert lines[0] == "TAP version 14"
    plan, points, subtests = strict_parse(lines)
    names = [i.name for i in results.implementations]
    assert plan == len(points) == len(names)
    cells = cell_outcomes(results)
    for n, name in enumerate(names, 1):
        mine = {c: o for (c, impl), o in cells.items() if impl == name}
        sub = subtests.get(n, [])
        assert len(sub) == len(mine)
        got = Counter((p.ok, p.directive) for p in sub)
        shape = {Outcome.PASS: (True, ""), Outcome.SKIP: (True, "SKIP"),
                 Outcome.NA: (True, "SKIP"), Outcome.XFAIL: (False, "TODO")}
        want = Counter(shape.get(o, (False, "")) for o in mine.values())
        assert got == want, name
        bad = any(o in (Outcome.FAIL, Outcome.ERROR, Outcome.XPASS) for o in mine.values())
        assert points[n - 1].ok is not bad
        for p in sub:
            assert bool(p.yaml) == (not p.ok and p.directive != "TODO")
            _yaml_scalars_are_json(p.yaml)


def test_tappy_reads_the_same_counts(results: Results) -> None:
    parser_mod = pytest.importorskip("tap.parser", reason="tap.py (test extra) is not installed")
    text = tap.render(results)
    top = [ln for ln in parser_mod.Parser().parse_text(text) if ln.category == "test"]
    assert [t.ok for t in top] == [p.ok for p in strict_parse(text.splitlines())[1]]
    cells = cell_outcomes(results)
    bodies = re.split(r"^# Subtest: .*$", text, flags=re.M)[1:]
    for name, body in zip([i.name for i in results.implementations], bodies, strict=True):
        sub_text = "\n".join(ln[4:] for ln in body.splitlines() if ln.startswith("    "))
        tests = [ln for ln in parser_mod.Parser().parse_text(sub_text) if ln.category == "test"]
        mine = [o for (c, impl), o in cells.items() if impl == name]
        assert len(tests) == len(mine)
        assert sum(t.skip for t in tests) == sum(o in (Outcome.SKIP, Outcome.NA) for o in mine)
        assert sum(t.todo for t in tests) == mine.count(Outcome.XFAIL)
        assert sum(not t.ok for t in tests) == sum(o in (Outcome.FAIL, Outcome.ERROR, Outcome.XPASS,
                                                          Outcome.XFAIL) for o in mine)


def test_special_characters_are_escaped_and_harness_errors_fail(results: Results) -> None:
    results.implementations[0].name = "run#c\\x"
    for r in results.results:
        if r.implementation == "runc":
            r.implementation = "run#c\\x"
    results.harness_errors = ["suite crashed\nwith two lines"]
    text = tap.render(results)
    assert "# Subtest: run\\#c\\\\x" in text
    plan, points, _ = strict_parse(text.splitlines())
    assert plan == len(points) == len(results.implementations) + 1
    assert points[-1].ok is False and points[-1].yaml


def test_implementation_without_results_is_a_skipped_subtest() -> None:
    from oci_conform.model.results import Implementation
    res = Results("0.1.0", "c", "2026-11-29T10:00:00Z",
                  implementations=[Implementation("ghost", "runtime", available=False,
                                                  reason="not # installed")])
    text = tap.render(res)
    assert "    1..0 # SKIP not \\# installed" in text
    plan, points, subtests = strict_parse(text.splitlines())
    assert plan == 1 and points[0].ok and subtests[1] == []
