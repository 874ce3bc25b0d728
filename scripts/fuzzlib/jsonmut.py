"""Structure-aware JSON mutation, then byte-level damage; deterministic given the Random.

A seed document is parsed, 1-4 mutations are applied at JSON pointers (wrong types, huge
numbers, long strings, lone surrogates, deep nesting, duplicate keys, amplified arrays,
deleted or renamed members), and the tree is written back by our own serializer, which can
also emit what ``json.dumps`` never would: duplicate names, raw number literals, invalid
UTF-8 inside strings, NUL, a BOM, trailing garbage.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from fuzzlib import bytemut


@dataclass(frozen=True)
class Raw:
    """Text (or bytes) written verbatim where a value goes."""

    data: bytes


@dataclass
class Dup:
    """An object written with these (possibly repeated) name/value pairs."""

    pairs: list[tuple[str, Any]]


INTERESTING_STRINGS = [
    "", " ", "a" * 257, "sha256:" + "0" * 64, "sha256:" + "A" * 64, "sha256:" + "g" * 64,
    "sha512:" + "0" * 128, "sha256:", ":", "sha256:" + "0" * 63, "md5:" + "0" * 32,
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.docker.distribution.manifest.v2+json", "text/plain; charset=utf-8",
    "../../../etc/passwd", "/etc/shadow", "..", "C:\\Windows", "\\\\server\\share",
    "http://", "https://example.com/%zz", "file:///etc/passwd", "1.0.0", "1.1.1", "v1",
    "99999999999999999999.0.0", "linux", "amd64", "arm64", "windows", "PATH", "=",
    "A=B", "=B", "A=", "\t", "\n", "\r\n", "\u2028", "\ufeff", "\u0000", "a\u0000b",
    "\ud800", "\udfff", "\udc80x", "\U0001f600", "\u00e9" * 100, "%s%n%x", "{{7*7}}",
    "<script>alert(1)</script>", "'\"`", "-1", "0x10", "1e999", "NaN", "null", "true",
    "2023-13-45T25:61:61Z", "1970-01-01T00:00:00Z", "0000-00-00T00:00:00+99:99",
    "org.opencontainers.image.ref.name", "io.k8s.x", "@", "a/b/c:tag@sha256:" + "0" * 64,
]

INTERESTING_NUMBERS = [
    0, -1, 1, 2, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 1,
    2 ** 63 - 1, 2 ** 63, 2 ** 64, -(2 ** 63) - 1, 10 ** 30, 0.5, -0.0, 1e308, 1e-320,
]

RAW_NUMBERS = [b"1" * 5000, b"-" + b"9" * 400, b"1e400", b"-1e400", b"1e-400", b"NaN",
               b"Infinity", b"-Infinity", b"0.0000000000000000000000001", b"01", b"1.",
               b".5", b"+1", b"0x10", b"1_000", b"9" * 30 + b".5e30"]


MAX_OUTPUT = 9 << 20      # bytes: past the project's 8 MiB document cap, yet bounded
BIG_SHARE = 0.05          # how often a size choice takes its large values (costly to make)


def big(rng: random.Random, small: list[Any], large: list[Any]) -> Any:
    """A size from ``small``, or one in twenty times from ``large``: every size class
    still comes up thousands of times in a large run, while the mean input stays small
    enough that the time goes to the code under test, not to making inputs."""
    return rng.choice(large if rng.random() < BIG_SHARE else small)


def deep(rng: random.Random, depth: int) -> Raw:
    """Nesting far past any sane limit, as raw text (built without recursion)."""
    opener, closer = (b"[", b"]") if rng.random() < 0.5 else (b'{"a":', b"}")
    return Raw(opener * depth + b"1" + closer * depth)


def evil_value(rng: random.Random, old: Any) -> Any:
    """A value of a wrong type, an edge value of the right type, or raw odd text."""
    roll = rng.randrange(15)
    if roll == 0:
        return rng.choice([None, True, False])
    if roll == 1:
        return rng.choice(INTERESTING_NUMBERS)
    if roll == 2:
        return Raw(rng.choice(RAW_NUMBERS))
    if roll == 3:
        return rng.choice(INTERESTING_STRINGS)
    if roll == 4:
        return "x" * big(rng, [1024], [65536, 1 << 20])
    if roll == 5:
        return Raw(b'"' + rng.choice([b"\\ud800", b"\\udfff\\ud800", b"a\\ud83dz",
                                      b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\x00",
                                      b"\x1f", b"\\u0000", b"\\x41", b"\\", b"\xe2\x82"])
                   + b'"')
    if roll == 6:
        return deep(rng, big(rng, [65, 200, 1000], [5000, 100000]))
    if roll == 7:
        return [old] * big(rng, [2, 100], [10000])
    if roll == 8:
        return {"": old, "a" * 300: old}
    if roll == 9:
        return [] if rng.random() < 0.5 else {}
    if roll == 10:
        return [old]
    if roll == 11:
        return {"k": old}
    if roll == 12:                   # str() of an amplified container could be gigabytes
        if isinstance(old, str):
            return _flip_type(old) if len(old) < 1000 else len(old)
        return str(old) if not isinstance(old, (list, dict, Dup)) else len(old) \
            if not isinstance(old, Dup) else 0
    if roll == 13:
        return Raw(rng.choice([b"", b",", b"]", b"}", b"{", b"tru", b"nul", b"'x'",
                               b"undefined", b"\"unterminated", b"[1,]", b"{\"a\":1,}"]))
    return _tweak_string(rng, old) if isinstance(old, str) else rng.choice(INTERESTING_STRINGS)


def _flip_type(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return len(text)


def _tweak_string(rng: random.Random, text: str) -> str:
    """Small changes to a real value: case, one character, padding, a suffix."""
    if not text:
        return rng.choice(INTERESTING_STRINGS)
    roll = rng.randrange(6)
    if roll == 0:
        return text.upper()
    if roll == 1:
        i = rng.randrange(len(text))
        return text[:i] + rng.choice("Z:/@.+-_ \u00e9\ud800\x00") + text[i + 1:]
    if roll == 2:
        return " " + text + " "
    if roll == 3:
        return text + rng.choice(["+json", "/../x", ":", "@sha256:", ";a=b", "\n"])
    if roll == 4:
        return text[: rng.randrange(len(text))]
    return text * (big(rng, [2], [50]) if len(text) < 10000 else 2)


def pointers(doc: Any) -> list[tuple[Any, ...]]:
    """Every path into the tree (the root is ``()``), containers before their members."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), doc)]
    while stack and len(out) < 5000:
        path, value = stack.pop()
        out.append(path)
        if isinstance(value, dict):
            stack.extend(((*path, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in enumerate(value[:50]))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def mutate_tree(rng: random.Random, doc: Any) -> Any:
    """One structural change somewhere in the tree; returns the (possibly new) root."""
    paths = pointers(doc)
    path = rng.choice(paths)
    parent = _get(doc, path[:-1]) if path else None
    roll = rng.randrange(10)
    if roll < 5 or parent is None:
        return _set(doc, path, evil_value(rng, _get(doc, path)))
    key = path[-1]
    if roll == 5 and isinstance(parent, dict):
        del parent[key]
    elif roll == 5 and isinstance(parent, list):
        del parent[key]
    elif roll == 6 and isinstance(parent, dict):
        parent[rng.choice(["unknownField", "mediaType", "digest", "size", "MediaType",
                           "schemaVersion", "annotations", "ociVersion", "\ud800", ""])] = \
            evil_value(rng, None)
    elif roll == 7 and isinstance(parent, dict):
        pairs = list(parent.items())
        pairs.insert(rng.randrange(len(pairs) + 1), (key, evil_value(rng, parent[key])))
        return _set(doc, path[:-1], Dup(pairs))
    elif roll == 8 and isinstance(parent, dict):
        value = parent.pop(key)
        parent[str(key).upper() if rng.random() < 0.5 else str(key) + " "] = value
    elif isinstance(parent, list):
        parent.extend([parent[key]] * big(rng, [1, 100], [3000]))
    else:
        _set(doc, path, evil_value(rng, _get(doc, path)))
    return doc


def dump(value: Any, limit: int = 0) -> bytes:
    """Serialize a tree that may hold Raw and Dup nodes (iterative: no recursion limit).

    With ``limit``, stop once that many bytes are out: amplified arrays share their members,
    so a small tree in memory can stand for gigabytes of text."""
    out: list[bytes] = []
    size = 0
    stack: list[Any] = [value]
    while stack:
        if limit and size > limit:
            break
        before = len(out)
        item = stack.pop()
        if isinstance(item, Raw):
            out.append(item.data)
        elif isinstance(item, bytes):
            out.append(item)
        elif isinstance(item, Dup):
            stack.extend(_object_parts(item.pairs))
        elif isinstance(item, dict):
            stack.extend(_object_parts(list(item.items())))
        elif isinstance(item, list) and len(item) > 16:
            out.append(_long_list(item, limit))
        elif isinstance(item, list):
            parts: list[Any] = [b"["]
            for i, v in enumerate(item):
                if i:
                    parts.append(b",")
                parts.append(v)
            parts.append(b"]")
            stack.extend(reversed(parts))
        else:
            out.append(_scalar(item))
        if len(out) > before:
            size += len(out[-1])
    return b"".join(out)[:limit] if limit else b"".join(out)


def _long_list(items: list[Any], limit: int) -> bytes:
    """An amplified array: each distinct member serialized once, then repeated."""
    memo: dict[int, bytes] = {}
    parts: list[bytes] = []
    size = 0
    for v in items:
        text = memo.get(id(v))
        if text is None:
            text = memo[id(v)] = dump(v, limit)
        parts.append(text)
        size += len(text) + 1
        if limit and size > limit:
            break
    return b"[" + b",".join(parts) + b"]"


def _object_parts(pairs: list[tuple[str, Any]]) -> list[Any]:
    parts: list[Any] = [b"{"]
    for i, (k, v) in enumerate(pairs):
        if i:
            parts.append(b",")
        parts.append(_scalar(str(k)) + b":")
        parts.append(v)
    parts.append(b"}")
    return list(reversed(parts))


def _scalar(value: Any) -> bytes:
    if isinstance(value, float) and value != value:
        return b"NaN"
    text = json.dumps(value, ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")


def envelope(rng: random.Random, data: bytes) -> bytes:
    """Damage around the document: BOMs, other encodings, garbage, whitespace."""
    roll = rng.randrange(12)
    if roll == 0:
        return b"\xef\xbb\xbf" + data
    if roll == 1:
        return data + rng.choice([b"\x00", b" garbage", b"{}", b"\n\n", b"]"])
    if roll == 2:
        try:
            return data.decode("utf-8").encode(rng.choice(["utf-16", "utf-32", "utf-16-be"]))
        except UnicodeError:
            return data
    if roll == 3:
        return b" \t\r\n" * big(rng, [1], [1000]) + data
    return data


def mutate_json(rng: random.Random, seed: bytes) -> bytes:
    """A hostile variant of a seed document."""
    if rng.random() < 0.1:
        return bytemut.mutate(rng, seed)
    try:
        doc = json.loads(seed)
    except ValueError:
        return bytemut.mutate(rng, seed)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 4])):
        try:
            doc = mutate_tree(rng, doc)
        except (KeyError, IndexError, TypeError):
            pass
    data = dump(doc, MAX_OUTPUT)
    if rng.random() < 0.25:
        data = envelope(rng, data)
    if rng.random() < 0.1:
        data = bytemut.mutate(rng, data)
    return data
