"""Small judgments shared by the registry cases (status codes, headers, error bodies)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import requests

from oci_conform.suites.registry.framework import Judge, Why
from oci_conform.suites.registry.session import CODE_RE, ERROR_CODES, _json, error_codes

UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
    r"[0-9a-fA-F]{12}"
)
RANGE_RE = re.compile(r"^0-[0-9]+$")
ANY_4XX = tuple(range(400, 500))
DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")


def where(resp: requests.Response) -> str:
    """``METHOD URL`` of the request behind ``resp``, as recorded (already redacted)."""
    ex = getattr(resp, "_oci_exchange", None)
    if ex is not None:
        return f"{ex.method} {ex.url}"
    req = resp.request
    return f"{req.method} <url withheld>" if req is not None else ""


def status(
    j: Judge, clause: str, resp: requests.Response, allowed: Iterable[int], what: str
) -> bool:
    codes = tuple(allowed)
    return j.check(
        clause,
        resp.status_code in codes,
        f"{what}: HTTP {resp.status_code}"
        + ("" if resp.status_code in codes else f", expected {_or(codes)}"),
        expected=_or(codes),
        actual=resp.status_code,
        location=where(resp),
    )


def header(
    j: Judge, clause: str, resp: requests.Response, name: str, what: str, equals: str | None = None
) -> bool:
    value = resp.headers.get(name)
    if value is None:
        return j.check(
            clause,
            False,
            f"{what}: no {name} header",
            expected=f"{name} header",
            actual="absent",
            location=where(resp),
        )
    if equals is not None:
        return j.check(
            clause,
            value == equals,
            f"{what}: {name} is {value!r}",
            expected=equals,
            actual=value,
            location=where(resp),
        )
    return j.check(clause, True, f"{what}: {name}: {value}", location=where(resp))


def content_type(resp: requests.Response) -> str:
    return resp.headers.get("Content-Type", "").split(";")[0].strip()


def error_body(
    j: Judge,
    resp: requests.Response,
    what: str,
    *,
    format_clause: str = "",
    code_clause: str = "",
    listed_clause: str = "",
    message_clause: str = "",
    expected_codes: Iterable[str] = (),
) -> None:
    """Judge a 4xx body: JSON error format, code grammar, known code, expected code."""
    body = resp.content or b""
    doc = _json(body)
    codes = error_codes(body)
    loc = where(resp)
    is_json = bool(body.strip()) and (bool(doc) or body.strip()[:1] in (b"{", b"["))
    if format_clause:
        if not is_json:
            j.not_judged(
                format_clause, Why.ABSENT, f"{what}: body is not JSON (any format is allowed then)"
            )
        else:
            j.check(
                format_clause,
                codes is not None,
                f"{what}: JSON error body "
                + ("has" if codes is not None else "lacks")
                + " an errors list of objects with a code",
                expected='{"errors":[{"code":..., "message":..., "detail":...}]}',
                actual=body[:300].decode("utf-8", "replace"),
                location=loc,
            )
    if codes is None:
        for clause in (code_clause, listed_clause, message_clause):
            if clause:
                j.not_judged(clause, Why.ABSENT, f"{what}: no JSON error list to judge")
        return
    if code_clause:
        bad = [c for c in codes if not CODE_RE.match(c)]
        j.check(
            code_clause,
            not bad,
            f"{what}: codes {codes}",
            expected="[A-Z_]+",
            actual=bad,
            location=loc,
        )
    if message_clause:
        items = doc.get("errors", [])
        bad_msgs = [
            i.get("message")
            for i in items
            if "message" in i and not isinstance(i.get("message"), str)
        ]
        j.check(
            message_clause,
            not bad_msgs,
            f"{what}: message fields are strings",
            expected="string",
            actual=bad_msgs,
            location=loc,
        )
    if listed_clause:
        unknown = [c for c in codes if c not in ERROR_CODES]
        wanted = tuple(expected_codes)
        if unknown:
            j.check(
                listed_clause,
                False,
                f"{what}: code(s) not in the spec's list: {unknown}",
                expected=", ".join(sorted(ERROR_CODES)),
                actual=codes,
                location=loc,
            )
        elif wanted and not any(c in wanted for c in codes):
            j.check(
                listed_clause,
                True,
                f"{what}: codes {codes} are listed codes (the closest fit would be {_or(wanted)})",
            )
            j.note(f"{what}: code {codes} where {_or(wanted)} fits the situation better")
        else:
            j.check(listed_clause, True, f"{what}: codes {codes}")


def is_4xx(code: int) -> bool:
    return 400 <= code < 500


def _or(values: Iterable[object]) -> str:
    items = [str(v) for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def refused(j: Judge, clause: str, resp: requests.Response, allowed: Iterable[int], what: str,
            names: Iterable[str], status_only: str = "") -> bool:
    """Judge a refusal for the reason under test: the status is one of ``allowed`` and, when
    the registry says why (a JSON error list), one of its codes names the fault (``names``:
    the rows of the spec's error code table that describe it).

    A refusal that names another fault is a fail: the case's control showed the same request
    without the fault succeeds, so the registry misreports why it refused. Where no row of the
    table describes the fault, ``names`` is empty and ``status_only`` says why: the status is
    judged alone and the message says so (the codes given are shown, not judged)."""
    codes_wanted = tuple(names)
    allowed_codes = tuple(allowed)
    said = error_codes(resp.content or b"")
    shown = "4xx" if set(range(400, 500)) <= set(allowed_codes) else _or(allowed_codes)
    if resp.status_code not in allowed_codes:
        return j.check(clause, False, f"{what}: HTTP {resp.status_code}, expected a refusal "
                       f"with {shown}", expected=shown,
                       actual=resp.status_code, location=where(resp))
    if not codes_wanted:
        return j.check(clause, True, f"{what}: refused with HTTP {resp.status_code}; status "
                       f"only: {status_only or 'no error code names this fault'}"
                       + (f" (codes given, not judged: {said})" if said else ""),
                       location=where(resp))
    if said is not None and not any(c in codes_wanted for c in said):
        return j.check(clause, False, f"{what}: refused (HTTP {resp.status_code}) but the "
                       f"error codes {said} name another fault than {_or(codes_wanted)}",
                       expected=f"{shown} with {_or(codes_wanted)}",
                       actual=f"{resp.status_code} {said}", location=where(resp))
    return j.check(clause, True, f"{what}: refused with HTTP {resp.status_code}" + (
        f" naming {said}" if said else " (no JSON error body, which the spec allows)"),
        location=where(resp))
