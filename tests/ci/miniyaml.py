"""A tiny reader for the YAML subset our CI files use (no PyYAML in the venv).

Block maps and lists by indentation, ``|`` and ``>-`` block scalars, plain and quoted
scalars. Anything else (anchors, flow collections, multi-documents) is refused, so a CI
file drifting out of the subset fails its test instead of being half-read.
"""
from __future__ import annotations

import re
from typing import Any

_KEY = re.compile(r"^([A-Za-z0-9_.-]+):(?:\s+(.*))?$")


class Unsupported(ValueError):
    """The text uses YAML beyond the subset."""


def loads(text: str) -> Any:
    lines = [(n, line.rstrip()) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    value, rest = _block(lines, 0, _indent(lines[0][1]) if lines else 0)
    if rest < len(lines):
        raise Unsupported(f"line {lines[rest][0]}: unexpected indentation")
    return value


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1].lstrip().startswith("- "):
        return _list(lines, i, indent)
    return _map(lines, i, indent)


def _map(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    while i < len(lines) and _indent(lines[i][1]) == indent:
        number, line = lines[i]
        match = _KEY.match(line.strip())
        if not match:
            raise Unsupported(f"line {number}: not a 'key: value' line: {line.strip()}")
        key, value = match.group(1), match.group(2)
        out[key], i = _value(lines, i, indent, value)
    return out, i


def _list(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[list[Any], int]:
    out: list[Any] = []
    while i < len(lines) and _indent(lines[i][1]) == indent and \
            lines[i][1].lstrip().startswith("- "):
        number, line = lines[i]
        inner = line[:indent] + "  " + line[indent + 2:]
        lines[i] = (number, inner)
        if _KEY.match(inner.strip()):
            item, i = _map(lines, i, indent + 2)
        else:
            item, i = _scalar(inner.strip(), number), i + 1
        out.append(item)
    return out, i


def _value(lines: list[tuple[int, str]], i: int, indent: int, value: str | None
           ) -> tuple[Any, int]:
    number = lines[i][0]
    if value in ("|", "|-", ">", ">-"):
        return _block_scalar(lines, i + 1, indent, value)
    if value:
        return _scalar(value, number), i + 1
    if i + 1 < len(lines) and _indent(lines[i + 1][1]) > indent:
        return _block(lines, i + 1, _indent(lines[i + 1][1]))
    return None, i + 1


def _block_scalar(lines: list[tuple[int, str]], i: int, indent: int, style: str
                  ) -> tuple[str, int]:
    body: list[str] = []
    inner = None
    while i < len(lines) and _indent(lines[i][1]) > indent:
        inner = inner if inner is not None else _indent(lines[i][1])
        body.append(lines[i][1][inner:])
        i += 1
    text = "\n".join(body) + ("\n" if style.startswith("|") and style != "|-" else "")
    if style.startswith(">"):
        text = " ".join(part.strip() for part in body)
    return text, i


def _scalar(text: str, number: int) -> Any:
    if text[:1] in "[{&*!":
        raise Unsupported(f"line {number}: flow collections, anchors and tags are not read")
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return {"true": True, "false": False}.get(text, text)
