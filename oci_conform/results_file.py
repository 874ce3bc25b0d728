"""Read and write results.json and reports: bounded, validated reads and one output encoder.

Reading: a regular file (or stdin) of at most ``MAX_RESULTS_BYTES``, nesting at most
``MAX_DEPTH`` deep (checked in one linear pass before parsing), valid against
``schemas/results.schema.json`` and consistent (every result names a declared
implementation). Any problem is one ``ResultsFileError`` line naming the file and the JSON
pointer. The schema is checked by a compiled yes/no check (``schema_compile``, ~20x faster
than jsonschema); jsonschema itself runs on the part that failed, to say why, or on
everything with ``strict``.

Writing: every report and results file goes through ``encode_output``, the one place that
turns text into bytes; what UTF-8 cannot hold (a lone surrogate from an undecodable file
name or a peer's bytes) is written as a ``\\uXXXX`` escape instead of crashing the writer.
``output_stream`` gives a writer that streams (large merges) with the same atomic rename.
"""
from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from oci_conform.drivers.files import UnsafePath, read_regular
from oci_conform.jsonpos import MAX_OPENERS, depth_exceeds, openers
from oci_conform.model.results import Results
from oci_conform.report._shared import encode_output
from oci_conform.schema_compile import Unsupported, compile_schema

SCHEMA_PATH = Path(__file__).parent / "schemas" / "results.schema.json"
MAX_RESULTS_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 64                # results nest ~8 deep; evidence facts get the rest
MAX_MESSAGE = 240             # characters of one problem shown
# a results entry opens an object or array every 30 bytes or more; a text denser than one in
# OPENER_BYTES (past MAX_OPENERS) is a hostile heap of containers: a 4 MB one of two million
# nested arrays parsed to 226 MB before the schema refused it
OPENER_BYTES = 8


class ResultsFileError(ValueError):
    """A results file that cannot be read or does not follow the schema."""


@lru_cache(maxsize=1)
def results_validator() -> Any:
    """The schema's validator (jsonschema is imported here: writers never pay for it)."""
    import jsonschema
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _schema() -> dict[str, Any]:
    return results_validator().schema


@lru_cache(maxsize=1)
def _fast_checks() -> tuple[Callable[[Any], bool], Callable[[Any], bool]] | None:
    """Compiled yes/no checks of (a whole document, one item of its results); None when the
    schema uses a keyword the compiler does not know (jsonschema then does everything)."""
    schema = _schema()
    formats = results_validator().format_checker
    try:
        whole = compile_schema(schema, formats=formats.conforms, max_depth=MAX_DEPTH)
        item = compile_schema(schema["properties"]["results"]["items"], schema,
                              formats=formats.conforms, max_depth=MAX_DEPTH)
    except (Unsupported, KeyError, TypeError):
        return None
    return whole, item


@lru_cache(maxsize=1)
def _item_validator() -> Any:
    """jsonschema for one item of ``results`` (its ``$ref``s kept resolvable)."""
    import jsonschema
    schema = _schema()
    sub = {"$schema": schema["$schema"], "$defs": schema.get("$defs", {}),
           **schema["properties"]["results"]["items"]}
    cls = jsonschema.validators.validator_for(sub)
    return cls(sub, format_checker=cls.FORMAT_CHECKER)


def _pointer(parts: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _short(text: str) -> str:
    one = " ".join(text.split())
    return one if len(one) <= MAX_MESSAGE else one[: MAX_MESSAGE - 1] + "…"


def schema_problems(data: Any) -> list[str]:
    """Every schema violation of a results document, as 'pointer: message' lines."""
    problems = []
    for err in sorted(results_validator().iter_errors(data), key=lambda e: list(e.path)):
        problems.append(f"{_pointer(err.absolute_path)}: {_short(err.message)}")
    return problems


def item_problems(item: Any, index: int) -> list[str]:
    """Schema violations of one item of ``results`` (pointers from the document's root)."""
    fast = _fast_checks()
    if fast is not None and fast[1](item):
        return []
    return [f"{_pointer(['results', index, *err.absolute_path])}: {_short(err.message)}"
            for err in sorted(_item_validator().iter_errors(item), key=lambda e: list(e.path))] \
        or _depth_problems(item, ["results", index])


def _depth_problems(data: Any, prefix: list[Any]) -> list[str]:
    """What the compiled check refuses beyond the schema: a value nested too deep."""
    where = deep_pointer(data, MAX_DEPTH - len(prefix))
    if where is None:
        return []
    head = _pointer(prefix) if prefix else ""
    return [f"{head}{'' if where == '/' and prefix else where}: nested deeper than "
            f"{MAX_DEPTH} levels: refused"]


def head_problems(head: dict[str, Any]) -> list[str]:
    """Schema violations of a document's members other than ``results`` (a ``results``
    member in ``head`` is checked as it is)."""
    doc = {"results": [], **head}
    fast = _fast_checks()
    if fast is not None and fast[0](doc):
        return []
    return schema_problems(doc) or _depth_problems(doc, [])


def document_problems(data: Any, strict: bool = False) -> list[str]:
    """Schema violations, then consistency problems, of a whole document: the compiled check
    first, jsonschema on the failing part only (on everything when ``strict``)."""
    fast = _fast_checks()
    if strict or fast is None or not isinstance(data, dict) \
            or not isinstance(data.get("results"), list):
        return schema_problems(data) or consistency_problems(data)
    if not fast[0](data):
        head = {k: v for k, v in data.items() if k != "results"}
        problems = head_problems(head)
        for n, item in enumerate(data["results"]):
            if problems:
                break
            problems = item_problems(item, n)
        return problems or schema_problems(data) or _depth_problems(data, [])
    return consistency_problems(data)


def consistency_problems(data: dict[str, Any]) -> list[str]:
    """What the schema cannot say: every result names an implementation the file declares."""
    names = {i.get("name") for i in data.get("implementations", [])}
    return [f"/results/{n}/implementation: {_short(repr(r.get('implementation')))} is not "
            "one of the implementations the file declares"
            for n, r in enumerate(data.get("results", [])) if r.get("implementation") not in names]


def _read(path: Path | str) -> str:
    if str(path) == "-":
        data = sys.stdin.buffer.read(MAX_RESULTS_BYTES + 1)
        if len(data) > MAX_RESULTS_BYTES:
            raise UnsafePath(f"-: larger than {MAX_RESULTS_BYTES} bytes: refused")
    else:
        data = read_regular(path, MAX_RESULTS_BYTES)
    return data.decode("utf-8")


def deep_pointer(data: Any, limit: int = MAX_DEPTH) -> str | None:
    """The JSON pointer of a value nested deeper than ``limit`` levels, else None."""
    stack: list[tuple[Any, list[Any]]] = [(data, [])]
    while stack:
        value, path = stack.pop()
        if type(value) is dict:
            items: Any = value.items()
        elif type(value) is list:
            items = enumerate(value)
        else:
            continue
        if len(path) >= limit:
            return _pointer(path)
        stack.extend((v, [*path, k]) for k, v in items if type(v) in (dict, list))
    return None


def _problem(source: str, problems: list[str]) -> ResultsFileError:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return ResultsFileError(f"{source}: not an oci-conform results file: {problems[0]}{more}")


def _too_deep(source: str, text: str) -> ResultsFileError:
    where = depth_exceeds(text, MAX_DEPTH)
    at = f" (at character {where})" if where is not None else ""
    return ResultsFileError(f"{source}: nested deeper than {MAX_DEPTH} levels{at}: refused")


def parse_data(text: str, source: str = "results", strict: bool = False) -> Any:
    """JSON text parsed; ResultsFileError naming ``source``. The C parser refuses a document
    deeper than the interpreter's recursion limit (a RecursionError, caught here); values
    the schema leaves open are held to ``MAX_DEPTH`` by the compiled check. ``strict``: the
    per-token depth scan first (~1 s per 10 MB), as before the compiled check."""
    if strict and depth_exceeds(text, MAX_DEPTH) is not None:
        raise _too_deep(source, text)
    many = openers(text)
    if many > MAX_OPENERS and many * OPENER_BYTES > len(text):
        raise ResultsFileError(f"{source}: {many} arrays and objects in {len(text)} bytes, "
                               f"more than one in {OPENER_BYTES} bytes past the first "
                               f"{MAX_OPENERS}: not a results file (refused unparsed)")
    try:
        return json.loads(text)
    except RecursionError:
        raise _too_deep(source, text) from None
    except json.JSONDecodeError as exc:
        raise ResultsFileError(f"{source}: not JSON: {exc}") from None
    except ValueError as exc:    # an integer past the interpreter's digit limit
        raise ResultsFileError(f"{source}: a number in it cannot be read: "
                               f"{str(exc).split(';')[0]}") from None


def parse_results(text: str, source: str = "results", strict: bool = False) -> Results:
    """A Results from JSON text; raise ResultsFileError naming ``source`` and the place.
    ``strict``: jsonschema on the whole document (the default check is compiled)."""
    data = parse_data(text, source, strict)
    problems = document_problems(data, strict)
    if problems:
        raise _problem(source, problems)
    return Results.from_dict(data)


def read_text(path: Path | str) -> str:
    """The text of a results file ('-' is stdin), bounded; ResultsFileError in one line."""
    try:
        return _read(path)
    except UnicodeDecodeError as exc:
        raise ResultsFileError(f"{path}: not UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot read results: {exc}") from None


def load_results(path: Path | str, strict: bool = False) -> Results:
    """Read and check a results file ('-' is stdin); raise ResultsFileError in one line."""
    return parse_results(read_text(path), str(path), strict)


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A binary handle whose bytes appear at ``path`` only when the block ends without an
    exception (a temp file renamed over it), so readers never see half.

    The folder must exist: a missing one is the caller's usage error, never created here.
    A path that exists and is not a regular file (``/dev/null``, ``/dev/stdout``, a FIFO) is
    written in place: renaming over it would replace the device node itself."""
    try:
        special = not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        special = False
    if special:
        with open(path, "wb") as handle:
            yield handle
        return
    import tempfile  # only when writing a file (start-up of the read-only commands)

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)      # mkstemp makes 0600; reports are for reading
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through ``atomic_file``."""
    with atomic_file(path) as handle:
        handle.write(encode_output(text))


@contextmanager
def output_stream(path: str | Path | None) -> Iterator[BinaryIO]:
    """A binary handle for a report: ``path`` written atomically, or stdout when empty."""
    if path:
        with atomic_file(Path(path)) as handle:
            yield handle
        return
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:                  # a text-only stream (redirected in-process)
        import io
        collected = io.BytesIO()
        yield collected
        sys.stdout.write(collected.getvalue().decode("utf-8"))
        sys.stdout.flush()
        return
    yield buffer
    buffer.flush()


def write_output(text: str, path: str | Path | None) -> None:
    """Write a report to ``path`` (atomically), or to stdout when ``path`` is empty."""
    if path:
        write_text_atomic(Path(path), text)
        return
    data = encode_output(text)
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:                  # a text-only stream (redirected in-process)
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
        return
    buffer.write(data)
    buffer.flush()


def save_results(path: Path, results: Results) -> None:
    write_text_atomic(path, json.dumps(results.to_dict(), indent=1, ensure_ascii=False) + "\n")
