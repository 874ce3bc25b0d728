"""The clause catalog kept as JSON between runs, so a command does not parse TOML each time.

Parsing the catalog's TOML files costs more CPU than many commands' own work (0.1 to 0.2 s),
so each loaded catalog (the whole one, or the runtime-spec part) is written to a JSON file
in ``$OCI_CONFORM_CACHE`` or ``$XDG_CACHE_HOME/oci-conform`` (``OCI_CONFORM_CACHE=off``
disables it). An entry is used only when its key equals the one computed now: every data
file's path, size, modification time and CRC-32 of its bytes, plus the cache format and the
field names of the catalog's data classes. A missing, broken, foreign or stale entry means
a normal load (and a new entry); it is never trusted in part. Entries are written to a file
of the writer's own and renamed into place, so concurrent writers never leave a half file.
No ``hashlib`` or ``tempfile``: their imports alone cost a tenth of a quick command.
"""
from __future__ import annotations

import json
import os
import zlib
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from oci_conform.catalog.loader import Catalog, Omission, load_catalog
from oci_conform.catalog.model import Clause, Spec
from oci_conform.model.outcome import Level

FORMAT = 3
KEEP = 8            # entries kept per label (several checkouts on one host share the folder)


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is off."""
    setting = os.environ.get("OCI_CONFORM_CACHE", "")
    if setting.lower() in ("off", "0", "no"):
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "oci-conform"


def cache_key(data_dir: Path, specs_file: Path) -> str:
    """Every data file's path, size, modification time and content CRC, one line each
    (raises OSError when a file cannot be read)."""
    shapes = ",".join(f.name for cls in (Spec, Clause, Omission) for f in fields(cls))
    lines = [f"format {FORMAT}", f"fields {shapes}"]
    for path in [specs_file, *sorted(data_dir.rglob("*.toml"))]:
        stat = path.stat()
        crc = zlib.crc32(path.read_bytes())
        lines.append(f"{path}|{stat.st_size}|{stat.st_mtime_ns}|{crc:08x}")
    return "\n".join(lines)


def entry_name(label: str, key: str) -> str:
    return f"{label}-{zlib.crc32(key.encode('utf-8', 'surrogateescape')):08x}.json"


def to_json(catalog: Catalog, key: str) -> dict[str, Any]:
    return {"format": FORMAT, "key": key, "version": catalog.version,
            "specs": {n: asdict(s) for n, s in catalog.specs.items()},
            "clauses": [{**asdict(c), "level": c.level.value} for c in catalog.clauses.values()],
            "omissions": [asdict(o) for o in catalog.omissions]}


_CLAUSE_FIELDS = frozenset(f.name for f in fields(Clause))


def _clause(raw: dict[str, Any]) -> Clause:
    """A Clause from its entry: every field named, none other (``KeyError`` otherwise). Set
    straight into the instance: the frozen class's ``__init__`` sets each of its 17 fields
    through ``object.__setattr__``, and a runtime-spec entry holds 736 clauses: 7.5 ms of
    every ``config validate`` that way, 1.6 ms this way."""
    if raw.keys() != _CLAUSE_FIELDS:
        raise KeyError(f"clause fields {sorted(raw.keys() ^ _CLAUSE_FIELDS)}")
    clause = object.__new__(Clause)
    clause.__dict__.update(raw, level=Level(raw["level"]), tags=tuple(raw["tags"]))
    return clause


def from_json(data: dict[str, Any]) -> Catalog:
    """The catalog an entry holds (KeyError, TypeError or ValueError when it is malformed)."""
    specs = {}
    for name, raw in data["specs"].items():
        spec = Spec(**{**raw, "versions": tuple(raw["versions"])})
        if spec.name != name:
            raise ValueError(f"spec {name!r} holds {spec.name!r}")
        specs[name] = spec
    clauses = {}
    for raw in data["clauses"]:
        clause = _clause(raw)
        if clause.spec not in specs or clause.id in clauses:
            raise ValueError(f"clause {clause.id!r} is out of place")
        clauses[clause.id] = clause
    omissions = [Omission(**raw) for raw in data["omissions"]]
    if not isinstance(data["version"], str):
        raise TypeError("version is not a string")
    return Catalog(data["version"], specs, clauses, omissions)


def cached_catalog(data_dir: Path, specs_file: Path, label: str) -> Catalog:
    """``load_catalog(data_dir, specs_file)`` served from the cache when its entry is
    current (raises CatalogError like load_catalog)."""
    folder = cache_dir()
    try:
        key = cache_key(data_dir, specs_file) if folder else ""
    except OSError:
        key = ""
    path = folder / entry_name(label, key) if folder and key else None
    if path is not None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("format") == FORMAT and data.get("key") == key:
                return from_json(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            pass
    catalog = load_catalog(data_dir, specs_file)
    if path is not None:
        store(path, to_json(catalog, key), label)
    return catalog


def store(path: Path, data: dict[str, Any], label: str) -> None:
    """Write an entry through a file of this process's own, renamed into place; keep the
    ``KEEP`` newest entries of ``label``. Any failure leaves no file and is ignored."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return
    _prune(path.parent, label)


def _prune(folder: Path, label: str) -> None:
    """Remove all but the ``KEEP`` newest entries of ``label`` (best effort)."""
    aged = []
    for entry in folder.glob(f"{label}-*.json"):
        try:
            aged.append((entry.stat().st_mtime_ns, entry))
        except OSError:
            continue
    for _, entry in sorted(aged, reverse=True)[KEEP:]:
        try:
            entry.unlink()
        except OSError:
            pass
