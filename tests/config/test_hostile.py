"""Hostile input (issue #16): each test here failed before its fix.

- the depth guard was a pattern matching whole strings from every quote: quadratic on an
  unterminated string of escaped quotes (200 KB ran past a minute);
- a FIFO given as a path (or as a bundle's config.json) blocked ``config validate`` forever;
- a value of the wrong JSON type at some places (a list where a number or string belongs)
  crashed a check (devices, seccomp, z/OS devices).
"""
from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oci_conform.checks.runtime_config.docload import MAX_DEPTH, parse_text
from oci_conform.checks.runtime_config.engine import validate_parsed
from oci_conform.jsonpos import depth_exceeds

from .helpers import FIXTURES, GOOD, REPO

CLI = [sys.executable, "-m", "oci_conform", "config", "validate"]
OUTCOMES = {"pass", "fail", "n/a"}


class _Deadline(Exception):
    pass


def _within(seconds: int, fn, *args):
    """``fn(*args)``, or a failure when it takes longer than ``seconds`` (SIGALRM)."""
    def stop(_signum, _frame):
        raise _Deadline(f"took longer than {seconds} s")
    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        return fn(*args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_depth_guard_is_linear_on_escaped_quotes() -> None:
    text = '{"a": "' + '\\"' * 100_000          # 200 KB, the string never ends
    started = time.perf_counter()
    assert _within(10, depth_exceeds, text, MAX_DEPTH) is None
    assert time.perf_counter() - started < 2.0
    parsed = _within(10, parse_text, text)
    assert parsed.data is None and parsed.problems


def test_depth_guard_still_counts_brackets_outside_strings() -> None:
    assert depth_exceeds("[" * 65, MAX_DEPTH) == 64
    assert depth_exceeds('"' + "[" * 100 + '"', MAX_DEPTH) is None
    # an escaped quote stays inside the string; an escaped backslash ends it
    assert depth_exceeds('["\\"' + "[" * 100 + '"]', MAX_DEPTH) is None
    assert depth_exceeds('["\\\\"' + "[" * 64, MAX_DEPTH) == 68


def _cli(args: list[str], cwd=None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(CLI + args, capture_output=True, text=True, timeout=30, env=env,
                          cwd=cwd, check=False)


def test_fifo_path_is_refused_without_blocking(tmp_path) -> None:
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    done = _cli([str(fifo)])
    assert done.returncode == 2
    assert "FIFO" in done.stderr and str(fifo) in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_device_path_is_refused() -> None:
    done = _cli(["/dev/zero"])
    assert done.returncode == 2 and "character device" in done.stderr


def test_bundle_whose_config_is_a_fifo(tmp_path) -> None:
    os.mkfifo(tmp_path / "config.json")
    done = _cli([str(tmp_path), "--format", "json"])
    assert done.returncode == 1, done.stderr
    results = json.loads(done.stdout)["results"]
    bundle = [r for r in results if r["clause"] == "rt.bundle.container-format.1"]
    assert bundle[0]["outcome"] == "fail" and "FIFO" in bundle[0]["message"]


# Any JSON value at any place of a valid document: outcomes only, never an exception.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)


def _pointers(value, here=()):
    yield here
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _pointers(child, here + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _pointers(child, here + (i,))


def _replaced(doc, path, value):
    if not path:
        return value
    out = copy.deepcopy(doc)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


DOCS = [("config", json.loads((GOOD / name).read_text())) for name in
        ("full.json", "windows.json", "zos-1.2.0.json", "zos.json", "freebsd.json", "vm.json",
         "solaris.json")]
DOCS += [("state", json.loads((FIXTURES / "state" / "good" / "state.json").read_text())),
         ("features", json.loads((FIXTURES / "features" / "good" / "features.json").read_text()))]
PLACES = [(kind, i, path) for i, (kind, doc) in enumerate(DOCS) for path in _pointers(doc)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PLACES), JSON_VALUES)
def test_any_value_anywhere_gives_outcomes_only(place, value) -> None:
    kind, index, path = place
    doc = _replaced(DOCS[index][1], path, value)
    results = validate_parsed(parse_text(json.dumps(doc)), kind)
    assert results and {r.outcome.value for r in results} <= OUTCOMES


@pytest.mark.parametrize("kind,index,path,value", [
    ("config", 0, ("linux", "devices", 0, "major"), [1]),
    ("config", 0, ("linux", "seccomp", "defaultAction"), ["SCMP_ACT_ERRNO"]),
    ("config", 2, ("zos", "devices", 0, "minor"), {"x": 1}),
])
def test_wrong_types_that_crashed(kind, index, path, value) -> None:
    doc = _replaced(DOCS[index][1], path, value)
    results = validate_parsed(parse_text(json.dumps(doc)), kind)
    assert {r.outcome.value for r in results} <= OUTCOMES
    assert any(r.outcome.value == "fail" for r in results)


def test_the_depth_limit_is_kept_when_the_parser_does_the_first_pass() -> None:
    """parse_text parses first and scans the text for its depth only when needed: the limit
    must hold the same, including depth hidden in a repeated key's dropped value and depth
    ahead of a syntax error."""
    def message(text: str) -> str:
        parsed = parse_text(text)
        return parsed.problems[0].message if parsed.problems else ""

    deep = "[" * 70 + "]" * 70
    assert "nests deeper than 64" in message(deep)
    assert "nests deeper than 64" in message('{"a": ' + deep + ', "a": 1}')   # dropped value
    assert "nests deeper than 64" in message("[" * 70 + "x")                    # then bad JSON
    assert "nests deeper than 64" in message("[" * 70 + "NaN" + "]" * 70)
    assert "nests deeper than 64" in message("[" * 100_000 + "]" * 100_000)
    ok = "[" * 64 + "]" * 64
    assert parse_text(ok).problems == [] and parse_text(ok).data is not None
    inner = "[" * 63 + "]" * 63                                              # 64 with {
    assert parse_text('{"a": ' + inner + ', "a": 1}').problems[0].rule == "duplicate"
    assert parse_text('{"a": ' + ok + ', "a": 1}').problems[0].rule == "limit"
    assert message("[" * 64 + "x").startswith("not valid JSON")
    assert parse_text('["' + "[" * 100 + '"]').problems == []              # brackets in a string
    at = parse_text('{"a": ' + deep + ', "a": 1}').problems[0]
    assert (at.line, at.column) == (1, 70)          # the 64th "[" after the "{"
