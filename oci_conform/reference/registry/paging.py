"""Pagination of tag and catalog listings: the ``n`` and ``last`` parameters and the
``Link: <...>; rel="next"`` header that says a page was cut."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from urllib.parse import quote

from oci_conform.reference.registry.errors import ApiError

_ASCII_DECIMAL = re.compile(r"[0-9]{1,100}")
MAX_PAGE = 1 << 31      # larger requests are served as this (every listing here is smaller)


def page_size(text: str | None) -> int | None:
    """``n`` as a number (None when absent). Only ASCII decimal digits count: a sign, a
    Unicode digit, spaces or an exponent are a 400, never a 500."""
    if text is None:
        return None
    if not _ASCII_DECIMAL.fullmatch(text):
        raise ApiError(400, "UNSUPPORTED", "n must be a non-negative decimal integer "
                       "in ASCII digits", {"n": text[:40]})
    return min(int(text), MAX_PAGE)


def paginate(items: Sequence[str], n: int | None, last: str | None,
             key: Callable[[str], object], link: Callable[[int, str], str],
             default: int | None = None) -> tuple[list[str], list[tuple[str, str]]]:
    """The page of sorted ``items`` after ``last`` (by ``key``), at most ``n`` (or
    ``default`` when n is absent) long, and the Link header when more follow."""
    rest = list(items)
    if last is not None:
        after = key(last)
        rest = [x for x in rest if key(x) > after]   # type: ignore[operator]
    size = n if n is not None else default
    if size is None or size >= len(rest):
        return rest, []
    page = rest[:size]
    if not page:
        return page, []
    return page, [("Link", f'<{link(size, quote(page[-1], safe=""))}>; rel="next"')]
