"""Find the normative statements (RFC 2119 keywords) in a Markdown spec document.

Pure text in, records out. Used by the counting script and by the catalog
consistency tests; the statements themselves are reference material and are
never copied into the catalog.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORD_ORDER = ("MUST NOT", "MUST", "SHALL NOT", "SHALL", "REQUIRED", "SHOULD NOT",
                 "SHOULD", "NOT RECOMMENDED", "RECOMMENDED", "MAY", "OPTIONAL")
# Longer keywords first, so "MUST NOT" is found whole rather than as "MUST".
_KEYWORD_RE = re.compile(r"(?<![A-Za-z`])(" + "|".join(KEYWORD_ORDER) + r")(?![A-Za-z`])")
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
_ANCHOR_RE = re.compile(r'<a\s+name="([^"]+)"\s*/?>(?:</a>)?')
_FENCE_RE = re.compile(r"^\s*(```|~~~)")
# The sentence every spec carries to say it uses RFC 2119 words: not itself a rule.
_CONVENTIONS_RE = re.compile(r"RFC ?2119|rfc2119", re.IGNORECASE)


@dataclass(frozen=True)
class NormativeLine:
    """One line of a spec document that holds at least one RFC 2119 keyword."""

    document: str
    line: int
    anchor: str
    section: str
    keywords: tuple[str, ...]
    text: str


def github_slug(heading: str) -> str:
    """The anchor GitHub generates for a heading text."""
    text = _ANCHOR_RE.sub("", heading).strip().lower()
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _heading_anchor(heading: str) -> str:
    explicit = _ANCHOR_RE.search(heading)
    return explicit.group(1) if explicit else github_slug(heading)


def _is_table_row(line: str) -> bool:
    return line.lstrip().startswith("|")


def normative_lines(document: str, text: str) -> list[NormativeLine]:
    """All lines of ``text`` that carry an RFC 2119 keyword, outside code blocks,
    tables and the notational-conventions sentence."""
    found: list[NormativeLine] = []
    anchor, section, in_fence = "", "", False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            anchor = _heading_anchor(heading.group(2))
            section = _ANCHOR_RE.sub("", heading.group(2)).strip()
            continue
        if _is_table_row(line) or _CONVENTIONS_RE.search(line):
            continue
        keywords = tuple(m.group(1) for m in _KEYWORD_RE.finditer(line))
        if keywords:
            found.append(NormativeLine(document, number, anchor, section, keywords, line.strip()))
    return found
