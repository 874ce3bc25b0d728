"""Parse a JSON document under I-JSON rules, as a value: never raises on bad input.

Checks the encoding (UTF-8, no BOM), duplicate object names, integer precision,
nesting depth and size, and returns the parsed value with every problem found.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from oci_conform.jsonpos import depth_exceeds, too_many_openers, valid_depth_exceeds

MAX_DOCUMENT = 8 * 1024 * 1024     # bytes: larger manifests/configs are refused, not parsed
MAX_DEPTH = 64
SAFE_INT = 2 ** 53


@dataclass
class JsonProblem:
    """One thing wrong with a JSON document, under the clause it breaks."""

    clause: str
    message: str
    location: str = ""


@dataclass
class JsonDoc:
    """A parsed document (value None when it could not be parsed) and its text."""

    value: Any
    text: str
    problems: list[JsonProblem] = field(default_factory=list)
    parsed: bool = False             # a JSON null parses to None: ``ok`` does not look at value

    @property
    def ok(self) -> bool:
        return self.parsed

    @property
    def located(self) -> str:
        """The text findings get line/column from: only a parsed document's (an unparsed
        one has no pointers to place, and may be hostile to index, e.g. 100k levels deep)."""
        return self.text if self.parsed else ""


def parse_json(data: bytes, parse_clause: str, what: str = "document") -> JsonDoc:
    """Parse ``data``; unparseable input is a problem of ``parse_clause``."""
    problems: list[JsonProblem] = []
    if len(data) > MAX_DOCUMENT:
        return JsonDoc(None, "", [JsonProblem(parse_clause, f"{what} is {len(data)} bytes, over "
                                              f"the {MAX_DOCUMENT}-byte limit for JSON documents")])
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(JsonProblem("image.considerations.json.utf-8",
                                    f"{what} starts with a UTF-8 byte order mark"))
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(JsonProblem("image.considerations.json.utf-8",
                                    f"{what} is not UTF-8: byte {exc.start} "
                                    f"(0x{data[exc.start]:02x}) is invalid"))
        text = data.decode("utf-8", errors="replace")
    crowded = too_many_openers(text)
    if crowded:
        problems.append(JsonProblem(parse_clause, f"{what} {crowded}; refused"))
        return JsonDoc(None, text, problems)

    def too_deep(parsed: bool = False) -> JsonDoc | None:
        deep = (valid_depth_exceeds if parsed else depth_exceeds)(text, MAX_DEPTH)
        if deep is None:
            return None
        problems.append(JsonProblem(parse_clause, f"{what} nests deeper than {MAX_DEPTH} levels "
                                    f"(at character {deep}); refused"))
        return JsonDoc(None, text, problems)

    # parsed first (the C decoder refuses runaway nesting with RecursionError), then the depth
    # of the text: at C speed once it parsed, token by token when it did not; the depth
    # refusal comes first either way
    dups: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        repeated: list[str] = []
        for key, val in items:
            if key in out:
                dups.append(key)
                repeated.append(key)
            out[key] = val
        return _Object(out, repeated) if repeated else out

    big: list[str] = []

    def as_int(raw: str) -> int:
        if len(raw) > 40:
            big.append(raw[:20] + "...")
            return SAFE_INT * 4
        val = int(raw)
        if abs(val) > SAFE_INT:
            big.append(raw)
        return val

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_int=as_int,
                           parse_constant=lambda name: _reject_constant(name))
    except (ValueError, RecursionError) as exc:
        refused = too_deep()
        if refused is not None:
            return refused
        problems.append(JsonProblem(parse_clause, f"{what} is not valid JSON: {exc}"))
        return JsonDoc(None, text, problems)
    refused = too_deep(parsed=True)      # the text's depth, dropped values included
    if refused is not None:
        return refused
    for key in dups:
        problems.append(JsonProblem("image.considerations.json.no-duplicate-names",
                                    f"{what} has a duplicate object name "
                                    f"{key!r}"))
    for raw in big:
        problems.append(JsonProblem("image.considerations.json.ieee754-numbers",
                                    f"{what} has integer {raw} beyond the "
                                    "exact range of an IEEE 754 double"))
    odd = bad_code_point(value, text)
    if odd:
        problems.append(JsonProblem("image.considerations.json.ijson",
                                    f"{what} has a string with {odd}, which "
                                    "I-JSON forbids"))
    return JsonDoc(value, text, problems, parsed=True)


# what I-JSON forbids in a string: surrogates (only lone ones survive decoding) and the
# noncharacters U+FDD0..U+FDEF and U+xFFFE/U+xFFFF of every plane
_FORBIDDEN = re.compile("[\ud800-\udfff\ufdd0-\ufdef" + "".join(
    chr((plane << 16) | 0xFFFE) + chr((plane << 16) | 0xFFFF) for plane in range(17)) + "]")


def _bad_char(s: str) -> str:
    if s.isascii():
        return ""
    m = _FORBIDDEN.search(s)
    if m is None:
        return ""
    o = ord(m.group())
    kind = "lone surrogate" if 0xD800 <= o <= 0xDFFF else "noncharacter"
    return f"the {kind} U+{o:04X}"


def bad_code_point(value: Any, text: str | None = None) -> str:
    """The first surrogate or noncharacter in any string or name of ``value`` ('' if none).
    Given the JSON ``text`` it was parsed from, an ASCII text without a ``\\u`` escape is
    known clean without a walk."""
    if text is not None and text.isascii() and "\\u" not in text:
        return ""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            bad = _bad_char(v)
            if bad:
                return bad
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return ""


def judge_json_form(report: Any, doc: JsonDoc, data: bytes | None = None,
                    where: str = "", media_type: str = "") -> None:
    """Record the I-JSON pass (when no I-JSON problem was found) and, given the stored
    bytes, whether they are canonical JSON (sorted names, no insignificant whitespace)."""
    if not doc.ok:
        return
    if not any(p.clause == "image.considerations.json.ijson" for p in doc.problems):
        report.saw("image.considerations.json.ijson")
    if data is None or doc.problems or not media_type.startswith("application/vnd.oci."):
        return      # canonical form: only OCI blobs as stored (Docker's own types have no rule)
    canonical = json.dumps(doc.value, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode("utf-8")
    ok = data == canonical
    report.check("image.considerations.json.1",
                 ok, "stored JSON is not canonical (names sorted, no "
                 "insignificant whitespace)", where, canonical[:80].decode(errors="replace"),
                 data[:80].decode(errors="replace"))


class _Object(dict):
    """A parsed JSON object that had repeated names (kept in ``duplicates``)."""

    def __init__(self, items: dict[str, Any], duplicates: list[str]):
        super().__init__(items)
        self.duplicates = tuple(duplicates)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
