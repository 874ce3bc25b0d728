"""TAP version 13, flat: one test point per clause and implementation, for older harnesses
(Debian 12's ``prove`` refuses ``TAP version 14``; TAP 13 has no subtests).

A point reads ``ok N - IMPL: CLAUSE [LEVEL] OUTCOME``, grouped by implementation under a
``# IMPL VERSION`` comment. Directives and YAML diagnostics follow the TAP 14 renderer
(``report/tap.py``): skip and n/a are ``# SKIP``, xfail and the fails kept out of the exit
code are ``not ok ... # TODO``, and every fail, error and xpass carries a YAML block. Its
scalars are double-quoted in the subset that Perl's TAP::Parser YAMLish reader understands:
backslash escapes ``\\\\ \\" \\n \\t \\r`` and ``\\xHH`` for other C0 control characters; C1
controls and lone surrogates become U+FFFD (YAMLish reads ``\\xHH`` as one byte, not a
character, and a lone surrogate has no UTF-8 form).
An implementation with no results is one ``ok ... # SKIP`` point; problems that left the run
incomplete add a final ``not ok`` point.
"""
from __future__ import annotations

import re

from oci_conform.model.results import CaseResult, Results
from oci_conform.report._shared import implementation_names
from oci_conform.report.tap import cells_by_implementation, escape, test_point

FORMAT = "tap13"
DESCRIPTION = "TAP version 13, one flat test point per clause and implementation"
OPTIONS = ("fail_on",)
_COLON_SPACE = re.compile(r":(?=\s)")
_NAMED = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _char(c: str) -> str:
    if c in _NAMED:
        return _NAMED[c]
    code = ord(c)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0x80 <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
        return "\ufffd"     # YAMLish reads \\xHH as a byte; a lone surrogate is no UTF-8
    return c


def quote(value: object) -> str:
    """A double-quoted YAML scalar both YAML and TAP::Parser's YAMLish reader read back.

    A colon followed by a space is written ``\\x3a``: YAMLish takes a list item like
    ``- "/id: absent"`` for a mapping whose key is ``"/id`` and then fails on it."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = "".join(_char(c) for c in str(value))
    return '"' + _COLON_SPACE.sub(r"\\x3a", text) + '"'


def _implementation_points(results: Results, impl: str, by_clause: dict[str, list[CaseResult]],
                           start: int, fail_on: str | None) -> tuple[list[str], int]:
    """The lines of one implementation's points, numbered from ``start``; and how many."""
    info = results.implementation(impl)
    label = impl + (f" {info.version}" if info and info.version else "")
    lines = [f"# {escape(label)}"]
    if not by_clause:
        reason = info.reason if info and info.reason else "no results"
        lines.append(f"ok {start} - {escape(impl)} # SKIP {escape(reason)}")
        return lines, 1
    for n, cases in enumerate(by_clause.values(), start):
        point, _bad = test_point(n, results, cases, fail_on, prefix=f"{impl}: ", quote=quote)
        lines.extend(point)
    return lines, len(by_clause)


def render(results: Results, fail_on: str | None = None) -> str:
    """TAP 13; with ``fail_on``, a fail below that level is ``# TODO`` (kept out of the
    verdict, as it is kept out of the exit code)."""
    cells = cells_by_implementation(results)
    body: list[str] = []
    count = 0
    for impl in implementation_names(results):
        lines, n = _implementation_points(results, impl, cells.get(impl, {}), count + 1, fail_on)
        body.extend(lines)
        count += n
    if not results.complete:
        count += 1
        body.append(f"not ok {count} - harness errors (results incomplete)")
        body.extend(["  ---", "  harness_errors:"])
        body.extend(f"    - {quote(p)}" for p in results.incomplete_reasons())
        body.append("  ...")
    head = ["TAP version 13", f"1..{count}" if count else "1..0 # SKIP no results"]
    return "\n".join(head + body) + "\n"
