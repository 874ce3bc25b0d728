"""The runtime-spec part of the clause catalog, loaded fast.

Parsing the catalog's TOML files costs more than the validation of a config, so the
runtime-spec clauses are kept in a JSON cache keyed by the data files' names, sizes
and modification times (``$OCI_CONFORM_CACHE`` or ``$XDG_CACHE_HOME/oci-conform``;
``OCI_CONFORM_CACHE=off`` disables it). Any problem with the cache means a normal load.
The file is named by a CRC of the key and holds the whole key, compared on reading (no
hashlib: its import is a tenth of a ``config validate`` start-up).
"""
from __future__ import annotations

import json
import os
import zlib
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from oci_conform.catalog.loader import DATA_DIR, SPECS_FILE, Catalog, load_catalog
from oci_conform.catalog.model import Clause, Spec
from oci_conform.model.outcome import Level

SPEC_DIR = DATA_DIR / "runtime-spec"
FORMAT = 2


def cache_dir() -> Path | None:
    setting = os.environ.get("OCI_CONFORM_CACHE", "")
    if setting.lower() in ("off", "0", "no"):
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "oci-conform"


def _key() -> str:
    """Every data file's path, size and modification time, one line each."""
    lines = [f"format {FORMAT}"]
    for path in [SPECS_FILE, *sorted(SPEC_DIR.rglob("*.toml"))]:
        stat = path.stat()
        lines.append(f"{path}|{stat.st_size}|{stat.st_mtime_ns}")
    return "\n".join(lines)


def _name(key: str) -> str:
    return f"runtime-spec-{zlib.crc32(key.encode('utf-8', 'surrogateescape')):08x}.json"


def _to_json(catalog: Catalog, key: str) -> dict[str, Any]:
    return {"format": FORMAT, "key": key, "version": catalog.version,
            "specs": {n: asdict(s) for n, s in catalog.specs.items()},
            "clauses": [{**asdict(c), "level": c.level.value} for c in catalog.clauses.values()]}


def _from_json(data: dict[str, Any]) -> Catalog:
    specs = {n: Spec(**{**s, "versions": tuple(s["versions"])}) for n, s in data["specs"].items()}
    clauses = {}
    for raw in data["clauses"]:
        clause = Clause(**{**raw, "level": Level(raw["level"]), "tags": tuple(raw["tags"])})
        clauses[clause.id] = clause
    return Catalog(data["version"], specs, clauses)


@lru_cache(maxsize=1)
def runtime_catalog() -> Catalog:
    """The catalog restricted to runtime-spec (raises CatalogError like load_catalog)."""
    folder = cache_dir()
    try:
        key = _key() if folder else ""
    except OSError:
        key = ""
    path = folder / _name(key) if folder and key else None
    if path is not None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") == FORMAT and data.get("key") == key:
                return _from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            pass
    catalog = load_catalog(SPEC_DIR, SPECS_FILE)
    if path is not None:
        _store(path, _to_json(catalog, key))
    return catalog


def _store(path: Path, data: dict[str, Any]) -> None:
    """Write the cache entry through a file of this process's own (no ``tempfile`` import:
    a cold cache must not slow the start-up further), renamed into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("runtime-spec-*.json"):
            old.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
