"""``report merge`` as a stream: one input in memory at a time, its cases spilled to disk.

Each input is read (bounded, like every results file), then walked member by member with
the C JSON scanner (``raw_decode``): every item of ``results`` is parsed alone, checked by
the compiled schema check, offered to ``model.merge.Merger`` with its key and outcome, and
its exact JSON text is appended to a spill file (never re-encoded). Only the winners'
places in the spill are kept, so memory is one input plus a small index, however many
inputs there are. The output is the merged head (indented) and the winning items copied
from the spill, in the order their keys were first seen (as ``model.merge.merge`` orders
them). Any problem is one ``ResultsFileError`` or ``MergeError`` line; nothing is written
then.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from oci_conform.model.merge import Merger, case_key
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import Results
from oci_conform.report._shared import encode_output
from oci_conform.results_file import (
    MAX_DEPTH,
    ResultsFileError,
    document_problems,
    head_problems,
    item_problems,
    output_stream,
    parse_data,
    read_text,
)

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_CHUNK = 1 << 20
_SEPARATOR = b",\n"
Place = int             # offset << 32 | length of one item in the spill (one int per case)


class _Scanner:
    """The members of one JSON object, each item of its ``results`` array on its own."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source

    def _fail(self, what: str, at: int) -> ResultsFileError:
        return ResultsFileError(f"{self.source}: not JSON: {what}: at character {at}")

    def _ws(self, at: int) -> int:
        return _WS.match(self.text, at).end()        # type: ignore[union-attr]

    def _value(self, at: int) -> tuple[Any, int]:
        try:
            return _DECODER.raw_decode(self.text, at)
        except RecursionError:
            raise ResultsFileError(f"{self.source}: nested deeper than {MAX_DEPTH} levels "
                                   f"(near character {at}): refused") from None
        except json.JSONDecodeError as exc:
            raise ResultsFileError(f"{self.source}: not JSON: {exc}") from None

    def _expect(self, at: int, char: str) -> int:
        if self.text[at:at + 1] != char:
            raise self._fail(f"expected {char!r}", at)
        return self._ws(at + 1)

    def scan(self, member: Callable[[str, Any], None], start_results: Callable[[], None],
             item: Callable[[int, Any, str], None]) -> None:
        """Call ``member`` for each member but ``results``; for that one ``start_results``
        once, then ``item(index, value, text)`` per item."""
        text, at, seen = self.text, self._expect(self._ws(0), "{"), set()
        if text[at:at + 1] == "}":
            at = self._ws(at + 1)
        else:
            while True:
                if text[at:at + 1] != '"':
                    raise self._fail("expected a member name", at)
                key, at = self._value(at)
                if key in seen:
                    raise ResultsFileError(f"{self.source}: not an oci-conform results file: "
                                           f"member {key!r} given twice")
                seen.add(key)
                at = self._expect(self._ws(at), ":")
                if key == "results" and text[at:at + 1] == "[":
                    start_results()
                    at = self._items(at, item)
                else:
                    value, at = self._value(at)
                    member(key, value)
                at = self._ws(at)
                if text[at:at + 1] == ",":
                    at = self._ws(at + 1)
                    continue
                at = self._expect(at, "}")
                break
        if at != len(text):
            raise self._fail("extra data after the document", at)

    def _items(self, at: int, item: Callable[[int, Any, str], None]) -> int:
        text, at, n = self.text, self._ws(at + 1), 0
        if text[at:at + 1] == "]":
            return at + 1
        while True:
            value, end = self._value(at)
            item(n, value, text[at:end])
            n += 1
            at = self._ws(end)
            if text[at:at + 1] == ",":
                at = self._ws(at + 1)
            elif text[at:at + 1] == "]":
                return at + 1
            else:
                raise self._fail("expected ',' or ']'", at)


class _Spill:
    """Items appended to an unnamed temp file; each item's place is remembered by its owner."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle, self.size = handle, 0

    def add(self, data: bytes) -> Place:
        self.handle.write(data)
        place = self.size << 32 | len(data)
        self.size += len(data)
        return place


class _Input:
    """One input on its way through: checks its items and hands them to the merger."""

    def __init__(self, source: str, order: int, merger: Merger[Place], spill: _Spill):
        self.source, self.order, self.merger, self.spill = source, order, merger, spill
        self.head: dict[str, Any] = {}
        self.names: set[Any] = set()
        self.finished = ""
        self.count = 0
        self.saw_results = False
        self.held: list[tuple[int, Any, str]] | None = None   # items seen before a good head

    def start_results(self) -> None:
        """Items stream when the members before them make a valid head (always, for files
        this tool writes); else they wait, one input's worth, for the rest of the head."""
        self.saw_results = True
        if "implementations" in self.head and not head_problems(self.head):
            self._ready()
        else:
            self.held = []

    def _ready(self) -> None:
        self.names = {i["name"] for i in self.head.get("implementations", [])}
        self.finished = self.head.get("finished", "")

    def item(self, n: int, value: Any, text: str) -> None:
        if self.held is not None:
            self.held.append((n, value, text))
            return
        problems = item_problems(value, n)
        if problems:
            raise _refused(self.source, problems)
        impl = value["implementation"]
        if impl not in self.names:
            raise _refused(self.source, [f"/results/{n}/implementation: {impl!r} is not one "
                                         "of the implementations the file declares"])
        place = self.spill.add(text.encode("utf-8") + _SEPARATOR)
        self.count += 1
        self.merger.offer(case_key(value["clause"], impl, value.get("case", "")),
                          Outcome(value["outcome"]), self.finished, self.order, place)

    def finish(self) -> None:
        problems = head_problems(self.head) if self.saw_results \
            else document_problems(self.head)
        if problems:
            raise _refused(self.source, problems)
        if self.held is not None:
            held, self.held = self.held, None
            self._ready()
            for entry in held:
                self.item(*entry)
        run = Results.from_dict({**self.head, "results": []})
        self.merger.add_run(self.source, run, self.count)


def _refused(source: str, problems: list[str]) -> ResultsFileError:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return ResultsFileError(f"{source}: not an oci-conform results file: {problems[0]}{more}")


def _strict_check(text: str, source: str) -> None:
    problems = document_problems(parse_data(text, source, strict=True), strict=True)
    if problems:
        raise _refused(source, problems)


def _runs(places: list[Place]) -> Iterator[tuple[int, int]]:
    """The places as few (offset, length) reads as possible: neighbours in the spill joined,
    up to a chunk."""
    start = end = -1
    for place in places:
        offset, length = place >> 32, place & 0xFFFFFFFF
        if offset == end and end - start < _CHUNK:
            end += length
            continue
        if start >= 0:
            yield start, end - start
        start, end = offset, offset + length
    if start >= 0:
        yield start, end - start


def _write(out: IO[bytes], head: Results, places: list[Place], spill: IO[bytes]) -> None:
    """The head, then the winning items read back from the spill (each was spilled with
    the separator after it; the last one loses it)."""
    data = head.to_dict()
    del data["results"]
    top = json.dumps(data, indent=1, ensure_ascii=False)
    out.write(encode_output(top[:-2]) + b',\n "results": [\n')
    spill.flush()
    fd, last = spill.fileno(), b""
    for offset, length in _runs(places):
        out.write(last)
        last = os.pread(fd, length, offset)
    out.write(last[:-len(_SEPARATOR)] + b"\n ]\n}\n")


def merge_files(paths: Sequence[str], output: str | Path | None,
                command: Sequence[str] = (), strict: bool = False,
                spill_dir: str | None = None) -> int:
    """Merge the results files ``paths`` into ``output`` (stdout when empty); the number of
    cases written. Raises ResultsFileError or MergeError (and writes nothing) on a problem.
    ``strict``: every input is also checked against the whole schema by jsonschema."""
    merger: Merger[Place] = Merger()
    with tempfile.TemporaryFile(prefix="oci-conform-merge-", dir=spill_dir) as handle:
        spill = _Spill(handle)
        for order, path in enumerate(paths):
            text = read_text(path)
            if strict:
                _strict_check(text, str(path))
            one = _Input(str(path), order, merger, spill)
            _Scanner(text, str(path)).scan(one.head.__setitem__, one.start_results, one.item)
            del text
            one.finish()
        head = merger.head(command)
        places = list(merger.chosen())
        with output_stream(output) as out:
            _write(out, head, places, handle)
    return len(places)
