"""Load and validate the clause catalog (TOML data files under ``catalog/data``).

A data file holds the clauses of one spec document::

    spec = "image-spec"          # a key of specs.toml
    document = "descriptor.md"
    text = "v1.1.1"              # the reference text its line numbers refer to
    binds = "image"              # default for its clauses

    [[clause]]
    id = "image.descriptor.digests.1"
    anchor = "digests"
    level = "MUST"
    summary = "..."              # one line, our own words

    [[omitted]]                  # a normative line with no clause of its own, and why
    line = 12
    reason = "..."

Every problem in every file is collected; ``CatalogError`` lists them all.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from oci_conform.catalog.model import BINDS, PLATFORMS, Clause, Spec
from oci_conform.model.outcome import Level

PACKAGE_DIR = Path(__file__).parent
DATA_DIR = PACKAGE_DIR / "data"
SPECS_FILE = PACKAGE_DIR / "specs.toml"

ID_RE = re.compile(r"^[a-z][a-z0-9]*(\.[a-z0-9][a-z0-9-]*)+$")
ANCHOR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_CLAUSE_KEYS = {"id", "anchor", "level", "binds", "summary", "since", "until", "platform",
                "untestable", "derived", "line", "text", "note", "section", "tags", "document"}
_FILE_KEYS = {"spec", "document", "text", "binds", "platform", "derived", "clause", "omitted"}
MAX_SUMMARY = 240


class CatalogError(ValueError):
    """The catalog data is invalid; ``problems`` lists every problem with its place."""

    def __init__(self, problems: list[str]):
        super().__init__("invalid clause catalog:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Omission:
    """A normative sentence of a spec text the catalog leaves out, and why."""

    spec: str
    document: str
    text: str
    line: int
    reason: str


@dataclass
class Catalog:
    """All clauses by id, the specs they belong to, and the documented omissions."""

    version: str
    specs: dict[str, Spec]
    clauses: dict[str, Clause]
    omissions: list[Omission] = field(default_factory=list)

    def spec_of(self, clause: Clause) -> Spec:
        return self.specs[clause.spec]

    def select(self, spec: str | None = None, level: str | None = None,
               document: str | None = None, text: str | None = None,
               binds: str | None = None) -> list[Clause]:
        """Clauses matching every given filter (text matches id and summary, any case)."""
        needle = text.lower() if text else None
        chosen = []
        for c in self.clauses.values():
            if spec and c.spec != spec:
                continue
            if level and c.level.value != level.upper().replace("-", " ").replace("_", " "):
                continue
            if document and c.document != document and Path(c.document).stem != document:
                continue
            if binds and c.binds != binds:
                continue
            if needle and needle not in c.id.lower() and needle not in c.summary.lower():
                continue
            chosen.append(c)
        return chosen


def _parse_specs(data: dict[str, Any], problems: list[str]) -> dict[str, Spec]:
    specs = {}
    for name, raw in data.get("specs", {}).items():
        try:
            versions = tuple(raw["versions"])
            spec = Spec(name=name, prefix=raw["prefix"], title=raw["title"], versions=versions,
                        default_version=raw["default_version"], link=raw["link"],
                        ref=raw.get("ref", ""), derived=bool(raw.get("derived", False)))
        except (KeyError, TypeError) as exc:
            problems.append(f"specs.toml: [specs.{name}]: missing or bad field {exc}")
            continue
        if spec.default_version not in versions:
            problems.append(f"specs.toml: [specs.{name}]: default_version not among versions")
        specs[name] = spec
    return specs


def _check_clause(c: Clause, spec: Spec, where: str) -> list[str]:
    problems = []
    if not ID_RE.match(c.id):
        problems.append(f"{where}: id {c.id!r} is not dotted lower-case words")
    elif not c.id.startswith(spec.prefix + "."):
        problems.append(f"{where}: id {c.id!r} must start with {spec.prefix!r}.")
    if not ANCHOR_RE.match(c.anchor):
        problems.append(f"{where}: anchor {c.anchor!r} is malformed")
    if c.binds not in BINDS:
        problems.append(f"{where}: binds {c.binds!r} is not one of {', '.join(BINDS)}")
    if c.platform and c.platform not in PLATFORMS:
        problems.append(f"{where}: platform {c.platform!r} is not one of {', '.join(PLATFORMS)}")
    for label, version in (("since", c.since), ("until", c.until)):
        if version and version not in spec.versions:
            problems.append(f"{where}: {label} {version!r} is not a known {spec.name} version")
    if (c.since in spec.versions and c.until in spec.versions
            and spec.index(c.since) >= spec.index(c.until)):
        problems.append(f"{where}: since {c.since!r} is not before until {c.until!r}")
    if not c.summary.strip() or "\n" in c.summary or len(c.summary) > MAX_SUMMARY:
        problems.append(f"{where}: summary must be one non-empty line of at most "
                        f"{MAX_SUMMARY} characters")
    return problems


def _build_clause(raw: dict[str, Any], defaults: dict[str, Any], where: str,
                  problems: list[str]) -> Clause | None:
    unknown = set(raw) - _CLAUSE_KEYS
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    merged = {**defaults, **raw}
    try:
        level = Level(merged["level"])
    except KeyError:
        problems.append(f"{where}: missing level")
        return None
    except ValueError:
        problems.append(f"{where}: unknown level {merged['level']!r}")
        return None
    try:
        return Clause(id=str(merged["id"]), spec=merged["spec"], document=merged["document"],
                      anchor=str(merged["anchor"]), level=level, binds=str(merged["binds"]),
                      summary=str(merged["summary"]), since=str(merged.get("since", "")),
                      until=str(merged.get("until", "")), platform=str(merged.get("platform", "")),
                      untestable=str(merged.get("untestable", "")),
                      derived=bool(merged.get("derived", False)), line=int(merged.get("line", 0)),
                      text=str(merged.get("text", "")), note=str(merged.get("note", "")),
                      section=str(merged.get("section", "")),
                      tags=tuple(merged.get("tags", ())))
    except KeyError as exc:
        problems.append(f"{where}: missing {exc.args[0]}")
    except (TypeError, ValueError) as exc:
        problems.append(f"{where}: bad value: {exc}")
    return None


def _load_file(path: Path, specs: dict[str, Spec], problems: list[str]
               ) -> tuple[list[Clause], list[Omission]]:
    rel = path.relative_to(path.parents[1]) if len(path.parents) > 1 else path
    # imported before the try: an interrupt arriving before the import would otherwise meet
    # an unbound ``tomllib`` in the except clause and turn into an UnboundLocalError
    import tomllib  # only when the cache cannot serve the catalog
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        problems.append(f"{rel}: cannot parse: {exc}")
        return [], []
    unknown = set(data) - _FILE_KEYS
    if unknown:
        problems.append(f"{rel}: unknown top-level keys {sorted(unknown)}")
    spec = specs.get(data.get("spec", ""))
    if spec is None:
        problems.append(f"{rel}: spec {data.get('spec')!r} is not in specs.toml")
        return [], []
    defaults: dict[str, Any] = {k: data[k] for k in ("spec", "document", "text", "binds",
                                                     "platform", "derived") if k in data}
    clauses = []
    for n, raw in enumerate(data.get("clause", [])):
        where = f"{rel}: clause[{n}] {raw.get('id', '?')}"
        clause = _build_clause(raw, defaults, where, problems)
        if clause:
            problems.extend(_check_clause(clause, spec, where))
            clauses.append(clause)
    omissions = [Omission(spec.name, data.get("document", ""), data.get("text", ""),
                          int(o.get("line", 0)), str(o.get("reason", "")))
                 for o in data.get("omitted", [])]
    for o in omissions:
        if not o.reason:
            problems.append(f"{rel}: omitted line {o.line} has no reason")
    return clauses, omissions


def load_catalog(data_dir: Path = DATA_DIR, specs_file: Path = SPECS_FILE) -> Catalog:
    """Load every data file under ``data_dir``; raise CatalogError listing all problems."""
    problems: list[str] = []
    import tomllib  # before the try: see _load_file
    try:
        spec_data = tomllib.loads(specs_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError([f"{specs_file.name}: cannot parse: {exc}"]) from None
    specs = _parse_specs(spec_data, problems)
    clauses: dict[str, Clause] = {}
    omissions: list[Omission] = []
    for path in sorted(data_dir.rglob("*.toml")):
        found, omitted = _load_file(path, specs, problems)
        omissions.extend(omitted)
        for clause in found:
            if clause.id in clauses:
                problems.append(f"{path.name}: duplicate clause id {clause.id!r}")
            clauses[clause.id] = clause
    if problems:
        raise CatalogError(problems)
    return Catalog(str(spec_data.get("catalog_version", "0")), specs, clauses, omissions)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog shipped with the package (loaded once per process, through the cache of
    ``catalog/cache.py``)."""
    from oci_conform.catalog.cache import cached_catalog
    return cached_catalog(DATA_DIR, SPECS_FILE, "catalog")


def clause_infos(catalog: Catalog, ids: Iterable[str],
                 versions: dict[str, str] | None = None) -> dict[str, Any]:
    """ClauseInfo for each known id, with links built for the chosen spec versions."""
    versions = versions or {}
    out = {}
    for cid in ids:
        clause = catalog.clauses.get(cid)
        if clause:
            spec = catalog.specs[clause.spec]
            out[cid] = clause.info(spec, versions.get(clause.spec))
    return out
