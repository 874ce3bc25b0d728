"""Read and write results.json (validated against schemas/results.schema.json)."""
from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from oci_conform.model.results import Results

SCHEMA_PATH = Path(__file__).parent / "schemas" / "results.schema.json"


class ResultsFileError(ValueError):
    """A results file that cannot be read or does not follow the schema."""


@lru_cache(maxsize=1)
def results_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_problems(data: Any) -> list[str]:
    """Every schema violation of a results document, as 'pointer: message' lines."""
    problems = []
    for err in sorted(results_validator().iter_errors(data), key=lambda e: list(e.path)):
        pointer = "/" + "/".join(str(p) for p in err.absolute_path)
        problems.append(f"{pointer}: {err.message}")
    return problems


def load_results(path: Path | str) -> Results:
    """Parse a results file; raise ResultsFileError naming the file and the first problem."""
    try:
        raw = Path(path).read_text(encoding="utf-8") if str(path) != "-" else __import__(
            "sys").stdin.read()
        data = json.loads(raw)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsFileError(f"{path}: cannot read results: {exc}") from None
    problems = schema_problems(data)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ResultsFileError(f"{path}: not an oci-conform results file: {problems[0]}{more}")
    return Results.from_dict(data)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and rename, so readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)      # mkstemp makes 0600; reports are for reading
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_results(path: Path, results: Results) -> None:
    write_text_atomic(path, json.dumps(results.to_dict(), indent=1, ensure_ascii=False) + "\n")
