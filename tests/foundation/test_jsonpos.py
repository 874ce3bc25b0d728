"""jsonpos finds the value a pointer names, in pretty and minified text alike."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from oci_conform.jsonpos import PositionIndex, _direct, depth_exceeds


def pointer_position(text: str, pointer: str) -> tuple[int, int] | None:
    return PositionIndex(text).position(pointer)


def all_positions(text: str) -> dict[str, tuple[int, int]]:
    index = PositionIndex(text)
    return {p: pos for p in index.pointers() if (pos := index.position(p))}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=20)


def _value_at(text: str, line: int, column: int) -> object:
    """Decode the JSON value that starts at (line, column) of ``text``."""
    lines = text.split("\n")
    offset = sum(len(text_line) + 1 for text_line in lines[: line - 1]) + column - 1
    return json.JSONDecoder().raw_decode(text, offset)[0]


def _resolve(doc: object, pointer: str) -> object:
    for token in [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]:
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]  # type: ignore[index]
    return doc


@settings(max_examples=200, deadline=None)
@given(json_values, st.sampled_from([None, 2]))
def test_every_pointer_points_at_its_value(doc: object, indent: int | None) -> None:
    text = json.dumps(doc, indent=indent)
    for pointer, (line, column) in all_positions(text).items():
        assert _value_at(text, line, column) == _resolve(doc, pointer)


def test_pretty_and_minified_lines_differ() -> None:
    doc = {"a": [1, {"b/c": "x"}], "d": {"e": None}}
    assert pointer_position(json.dumps(doc, indent=2), "/d/e") == (9, 10)
    assert pointer_position(json.dumps(doc, separators=(",", ":")), "/d/e") == (1, 31)
    assert pointer_position(json.dumps(doc), "/a/1/b~1c") == (1, 19)


def test_missing_pointer_and_garbage_give_none() -> None:
    assert pointer_position('{"a": 1}', "/b") is None
    assert pointer_position("not json", "/a") is None
    assert all_positions("{") == {}


def test_deep_nesting_does_not_recurse() -> None:
    text = "[" * 100_000 + "]" * 100_000
    assert pointer_position(text, "/0/0/0") == (1, 4)


def test_depth_exceeds_is_linear_and_skips_strings() -> None:
    assert depth_exceeds("[[1]]", 1) == 1
    assert depth_exceeds('["[[[[", {"a": "]]]]"}]', 2) is None
    assert depth_exceeds("[" * 100_000, 64) == 64
    assert depth_exceeds('"' + '\\"' * 200_000, 5) is None      # unterminated: ends the scan
    assert depth_exceeds('"a' * 200_000, 5) is None


def test_array_items_duplicates_and_odd_indexes() -> None:
    text = '{"a": [1, [2, 3], {"b": 4}], "a": [9, 9, 9, 9], "c": []}'
    index = PositionIndex(text)
    assert index.position("/a/0") == (1, 8)                   # each pointer: its first offset
    assert index.position("/a/1/1") == (1, 15)
    assert index.position("/a/2/b") == (1, 25)
    assert index.position("/a/3") == (1, 45)                  # only the duplicate has a 4th
    assert index.position("/a/01") is None and index.position("/a/-1") is None
    assert index.position("/c/0") is None and index.position("/c") == (1, 54)
    assert set(index.pointers()) == {"", "/a", "/a/0", "/a/1", "/a/1/0", "/a/1/1", "/a/2",
                                     "/a/2/b", "/a/3", "/c"}


def test_index_memory_is_linear_in_deep_nesting() -> None:
    """A 100k-deep array: pointer strings per node would cost depth squared (GBs)."""
    import resource
    depth = 100_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    index = PositionIndex("[" * depth + "]" * depth)
    assert index.nearest("/0/0/0") == (1, 4)
    assert index.position("/0" * (depth - 1)) == (1, depth)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 200



def _agree(text: str) -> int:
    """The lookup along a pointer's path (``_direct``) gives the walk's offset or nothing
    (then the index asks the walk), for every pointer the text holds and absent ones beside
    and below them; returns how many it answered itself."""
    walked = PositionIndex(text)
    held = walked.pointers()
    answered = 0
    for pointer in held + [p + s for p in held for s in ("/0", "/1", "/x", "/01", "/-1")]:
        found = _direct(text, pointer.split("/")[1:] if pointer else [], [1 << 40])
        if found is not None:
            assert walked._offset(pointer) == found, (pointer, text[:200])
            answered += 1
    return answered


@settings(max_examples=200, deadline=None)
@given(json_values, st.sampled_from([None, 2]))
def test_the_path_lookup_answers_as_the_walk_does(doc: object, indent: int | None) -> None:
    text = json.dumps(doc, indent=indent)
    assert _agree(text) >= len(PositionIndex(text).pointers())   # no duplicates: all found
    index = PositionIndex(text, valid_json=True)
    for pointer in PositionIndex(text).pointers()[:5] + ["/nope/0"]:
        assert index.position(pointer) == PositionIndex(text).position(pointer)


def test_the_path_lookup_agrees_on_duplicates_and_on_the_runtime_fixtures() -> None:
    from pathlib import Path
    texts = ['{"a": [1, [2, 3], {"b": 4}], "a": [9, 9, 9, 9], "c": []}',
             '{"a": 1, "a": {"b": 2}}', '{"a": [{"x": 1}], "a": [{"y": 2}]}',
             '{"a~b": {"c/d": [true, "\\u0041"]}, "\\u0061": 3}', ' [ ] ', '"x"']
    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "config"
    for path in sorted(fixtures.glob("*/*.json"))[::6]:     # a sample: 6 probes a pointer
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            json.loads(text)
        except ValueError:
            continue
        texts.append(text)
    assert len(texts) > 30
    assert sum(_agree(text) for text in texts) > 2_000
    index = PositionIndex(texts[0], valid_json=True)
    assert index.position("/a/3") == (1, 45)         # only the duplicate has it: the walk


def test_path_lookups_are_bounded_by_a_budget_in_the_text_size() -> None:
    """Each lookup along a path skips the values before its target with the C scanner; many
    lookups in a large text would each skip most of it (53 findings in a 3 MB document took
    7 s). Their skipping is charged to a budget of about the text's size; once it is
    spent a text under WALK_LIMIT is walked once, a larger one answers with ancestors."""
    from oci_conform.jsonpos import WALK_LIMIT
    small = json.dumps({"big": [[]] * 20000, "tail": {"x": 1}})
    index = PositionIndex(small, valid_json=True)
    truth = PositionIndex(small)
    for _ in range(200):                      # 200 x ~60 KB skipped: far past the budget
        assert index.position("/tail/x") == truth.position("/tail/x")
    assert index._walked                      # the budget ran out, then one walk answered
    large = json.dumps({"big": [[]] * (WALK_LIMIT // 3 + 10), "tail": {"x": 1}})
    index = PositionIndex(large, valid_json=True)
    for _ in range(50):
        index.nearest("/tail/x")
    assert index._budget[0] <= 0 and not index._walked
    assert index.nearest("/tail/x") == (1, 1)                # the root's position
