"""Read and write results.json and reports: bounded, validated reads and one output encoder.

Reading: a regular file (or stdin) of at most ``MAX_RESULTS_BYTES``, nesting at most
``MAX_DEPTH`` deep (checked in one linear pass before parsing), valid against
``schemas/results.schema.json`` and consistent (every result names a declared
implementation). Any problem is one ``ResultsFileError`` line naming the file and the JSON
pointer.

Writing: every report and results file goes through ``encode_output``, the one place that
turns text into bytes; what UTF-8 cannot hold (a lone surrogate from an undecodable file
name or a peer's bytes) is written as a ``\\uXXXX`` escape instead of crashing the writer.
"""
from __future__ import annotations

import json
import os
import stat
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from oci_conform.drivers.files import UnsafePath, read_regular
from oci_conform.jsonpos import depth_exceeds
from oci_conform.model.results import Results
from oci_conform.report._shared import encode_output

SCHEMA_PATH = Path(__file__).parent / "schemas" / "results.schema.json"
MAX_RESULTS_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 64                # results nest ~8 deep; evidence facts get the rest
MAX_MESSAGE = 240             # characters of one problem shown


class ResultsFileError(ValueError):
    """A results file that cannot be read or does not follow the schema."""


@lru_cache(maxsize=1)
def results_validator() -> Any:
    """The schema's validator (jsonschema is imported here: writers never pay for it)."""
    import jsonschema
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


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


def parse_results(text: str, source: str = "results") -> Results:
    """A Results from JSON text; raise ResultsFileError naming ``source`` and the place."""
    deep = depth_exceeds(text, MAX_DEPTH)
    if deep is not None:
        raise ResultsFileError(f"{source}: nested deeper than {MAX_DEPTH} levels "
                               f"(at character {deep}): refused")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsFileError(f"{source}: not JSON: {exc}") from None
    except ValueError as exc:    # an integer past the interpreter's digit limit
        raise ResultsFileError(f"{source}: a number in it cannot be read: "
                               f"{str(exc).split(';')[0]}") from None
    problems = schema_problems(data) or consistency_problems(data)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ResultsFileError(f"{source}: not an oci-conform results file: {problems[0]}{more}")
    return Results.from_dict(data)


def load_results(path: Path | str) -> Results:
    """Read and check a results file ('-' is stdin); raise ResultsFileError in one line."""
    try:
        text = _read(path)
    except UnicodeDecodeError as exc:
        raise ResultsFileError(f"{path}: not UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot read results: {exc}") from None
    return parse_results(text, str(path))


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and rename, so readers never see half.

    The folder must exist: a missing one is the caller's usage error, never created here.
    A path that exists and is not a regular file (``/dev/null``, ``/dev/stdout``, a FIFO) is
    written in place: renaming over it would replace the device node itself."""
    try:
        special = not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        special = False
    if special:
        with open(path, "wb") as handle:
            handle.write(encode_output(text))
        return
    import tempfile  # only when writing a file (start-up of the read-only commands)

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(encode_output(text))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)      # mkstemp makes 0600; reports are for reading
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
