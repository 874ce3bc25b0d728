"""The I-JSON code-point scan and the depth guard of ``jsondoc`` against plain reference
definitions (one character at a time), on generated strings and documents."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from oci_conform.checks.image.jsondoc import MAX_DEPTH, bad_code_point, parse_json
from oci_conform.jsonpos import depth_exceeds


def reference_bad_char(s: str) -> str:
    for ch in s:
        o = ord(ch)
        if 0xD800 <= o <= 0xDFFF:
            return f"the lone surrogate U+{o:04X}"
        if 0xFDD0 <= o <= 0xFDEF or (o & 0xFFFE) == 0xFFFE:
            return f"the noncharacter U+{o:04X}"
    return ""


def reference_depth(text: str, limit: int) -> int | None:
    depth, in_string, escaped = 0, False, False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return i
        elif ch in "]}":
            depth -= 1
    return None


ODD = st.sampled_from(["\ud800", "\udfff", "\ufdd0", "\ufdef", "\ufffe", "\uffff",
                       "\U0001fffe", "\U0010ffff", "\ufdcf", "\ufdf0", "\ufffd", "é", "a"])
TEXT = st.lists(st.one_of(st.characters(), ODD), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_code_point_scan_matches_the_reference(s):
    assert bad_code_point({"k": [s]}) == reference_bad_char(s)
    assert bad_code_point([s], json.dumps([s])) == reference_bad_char(s)


def test_escaped_surrogate_in_ascii_text_is_found():
    doc = parse_json(b'{"a": "\\ud800"}', "parse")
    assert any("lone surrogate U+D800" in p.message for p in doc.problems)
    assert not parse_json(b'{"a": "\\u00e9"}', "parse").problems


SHAPE = st.lists(st.sampled_from(['[', ']', '{', '}', '"', '\\', 'x', ':', ',']),
                 max_size=200).map("".join)


@settings(max_examples=400, deadline=None)
@given(SHAPE, st.integers(min_value=0, max_value=6))
def test_depth_guard_matches_the_reference(text, limit):
    assert depth_exceeds(text, limit) == reference_depth(text, limit)


def test_deep_document_is_refused_at_the_first_opener_past_the_limit():
    text = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    doc = parse_json(text.encode(), "parse")
    assert not doc.ok and f"at character {MAX_DEPTH}" in doc.problems[0].message


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab"\\[]{}', max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner,
                                                                max_size=4),
    max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES, st.integers(min_value=0, max_value=8))
def test_depth_of_parsed_text_matches_the_token_scan(value, limit):
    from oci_conform.jsonpos import valid_depth_exceeds
    text = json.dumps(value)
    assert valid_depth_exceeds(text, limit) == depth_exceeds(text, limit)


def test_repeated_names_are_looked_at_for_depth_in_their_dropped_values():
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    doc = parse_json(f'{{"a": {deep}, "a": 1}}'.encode(), "parse")
    assert not doc.ok and "nests deeper" in doc.problems[0].message


def test_a_document_opening_over_a_million_containers_is_refused_unparsed():
    """Two million empty arrays in 4 MB parsed to 290 MB: both JSON readers refuse a text
    with more than MAX_OPENERS brackets before parsing it, naming the limit."""
    from oci_conform.checks.runtime_config.docload import parse_text
    from oci_conform.jsonpos import MAX_OPENERS
    text = "[" + ",".join(["[]"] * (MAX_OPENERS + 1)) + "]"
    doc = parse_json(text.encode(), "parse")
    assert not doc.ok and "over this tool's limit" in doc.problems[0].message
    parsed = parse_text(text)
    assert parsed.data is None and parsed.problems[0].rule == "limit"
    under = "[" + ",".join(["[]"] * 1000) + "]"
    assert parse_json(under.encode(), "parse").ok and parse_text(under).data is not None
