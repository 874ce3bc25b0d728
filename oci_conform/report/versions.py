"""Implementation versions for narrow column headers: a short form, and the legend of the
full ones the short forms leave out. Pure: strings in, strings out."""
from __future__ import annotations

import re

from oci_conform.model.results import Implementation

WIDTH = 16           # characters of a version under a column name
MORE = "…"
# a version number: 1.1.5, 20.10.24+dfsg1, 0.0~20221219.0, v1.1, 2022-12-19
_NUMBER = re.compile(r"v?\d+(?:[.~+:_-][0-9A-Za-z]+)+|v?\d+")
# "skopeo version ", "Docker version ", "oras-py ": what a --version line says before it
_PREFIX = re.compile(r"^[A-Za-z][\w.+-]*\s+(?:version\s+)?", re.IGNORECASE)


def short_version(version: str, width: int = WIDTH) -> str:
    """The version number of ``version`` (the first one, with ``…`` when there are several
    parts, as for a column built by two tools), at most ``width`` characters."""
    text = " ".join(version.split())
    if not text:
        return ""
    first, *rest = [part.strip() for part in text.split(";") if part.strip()] or [text]
    found = _NUMBER.search(first)
    short = found.group(0) if found else first
    if len(short) > width:
        return short[:width - 1] + MORE
    return short + MORE if rest else short


def says_more(version: str, short: str) -> bool:
    """Whether the full ``version`` holds more than ``short`` and a "NAME version" prefix."""
    text = " ".join(version.split())
    return bool(text) and _PREFIX.sub("", text, count=1) != short


def header(impl: Implementation) -> str:
    """The column header: the name, and under it the short version when there is one."""
    short = short_version(impl.version) if impl.available else ""
    return f"{impl.name}\n{short}" if short else impl.name


def legend(impls: list[Implementation]) -> list[str]:
    """Lines giving the full version of each column whose header shows less of it."""
    full = [(i.name, " ".join(i.version.split())) for i in impls
            if i.available and says_more(i.version, short_version(i.version))]
    if not full:
        return []
    wide = max(len(name) for name, _ in full)
    return ["versions in full:"] + [f"  {name:<{wide}}  {text}" for name, text in full]
