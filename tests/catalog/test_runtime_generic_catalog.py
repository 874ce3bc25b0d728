"""The runtime-spec generic chapters of the catalog (runtime, config, bundle, runtime-linux,
glossary, spec): version ranges of rules that changed meaning, and summary wording."""
from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog

DOCUMENTS = ("runtime.md", "config.md", "bundle.md", "runtime-linux.md", "glossary.md", "spec.md")
SPEC = "runtime-spec"
SPEC_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "specs" / "runtime-spec"
PRE = re.compile(r"^(?P<base>.+)-pre-(?P<ver>[0-9.]+)$")


def _clauses():
    return [c for c in default_catalog().clauses.values()
            if c.spec == SPEC and c.document in DOCUMENTS]


def _holds(cid: str, version: str) -> bool:
    catalog = default_catalog()
    clause = catalog.clauses[cid]
    return clause.holds_for(catalog.specs[SPEC], version)


def test_every_generic_document_is_catalogued() -> None:
    docs = {c.document for c in _clauses()} | {
        o.document for o in default_catalog().omissions if o.spec == SPEC}
    assert set(DOCUMENTS) <= docs


def test_older_rule_ends_where_its_successor_begins() -> None:
    """A '-pre-X' clause holds up to the release its main-branch successor starts in."""
    catalog = default_catalog()
    pairs = 0
    for clause in _clauses():
        match = PRE.match(clause.id)
        if not match:
            continue
        successor = catalog.clauses.get(match.group("base"))
        assert successor is not None, f"{clause.id}: no successor clause"
        assert clause.until, f"{clause.id}: an older rule needs 'until'"
        assert successor.since == clause.until, (
            f"{clause.id} ends at {clause.until} but {successor.id} starts at {successor.since!r}")
        assert clause.line == successor.line and clause.anchor == successor.anchor
        pairs += 1
    assert pairs >= 7  # state, prestart x2, poststart, mounts, args, capabilities


@pytest.mark.parametrize("version", ["1.0.0", "1.0.2", "1.1.0", "1.2.0", "1.2.1", "1.3.0", "main"])
def test_old_and_new_rule_never_hold_together(version: str) -> None:
    for clause in _clauses():
        match = PRE.match(clause.id)
        if match:
            both = _holds(clause.id, version) and _holds(match.group("base"), version)
            assert not both, f"{clause.id} and its successor both hold in {version}"


@pytest.mark.parametrize(("new", "old", "first"), [
    ("rt.runtime.lifecycle.15", "rt.runtime.lifecycle.15-pre-1.3", "1.3.0"),  # poststart failure
    ("rt.config.linux-process.3", "rt.config.linux-process.3-pre-1.1", "1.1.0"),   # capabilities
    ("rt.config.mounts.4", "rt.config.mounts.4-pre-1.2", "1.2.0"),                 # relative dest
    ("rt.config.hooks-prestart.1", "rt.config.hooks-prestart.1-pre-1.1", "1.1.0"),  # prestart
    ("rt.runtime.lifecycle.5", "rt.runtime.lifecycle.5-pre-1.0.2", "1.0.2"),
])
def test_changed_rules_switch_at_the_right_release(new: str, old: str, first: str) -> None:
    versions = default_catalog().specs[SPEC].versions
    at = versions.index(first)
    for version in versions[:at]:
        assert _holds(old, version) and not _holds(new, version), version
    for version in versions[at:]:
        assert _holds(new, version) and not _holds(old, version), version


def test_poststop_failure_is_a_warning_in_every_release() -> None:
    for version in default_catalog().specs[SPEC].versions:
        assert _holds("rt.runtime.lifecycle.19", version)


def test_new_hooks_do_not_exist_before_1_0_2() -> None:
    for cid in ("rt.runtime.lifecycle.7", "rt.config.hooks.11",
                "rt.config.hooks-start-container.1"):
        assert not _holds(cid, "1.0.1") and _holds(cid, "1.0.2")


def test_platform_only_rules_are_tagged() -> None:
    catalog = default_catalog()
    assert catalog.clauses["rt.config.root.6"].platform == "windows"
    assert catalog.clauses["rt.runtime.state.7"].platform == "linux"
    assert catalog.clauses["rt.runtime-linux.dev-symbolic-links.1"].platform == "linux"
    assert all(c.platform == "linux" for c in _clauses()
               if c.id.startswith(("rt.config.linux-mount-options.", "rt.config.linux-process.")))


def test_extra_clauses_explain_themselves() -> None:
    """Clauses beyond the skeleton's one-per-line (splits, older rules, table rows) carry a note."""
    for clause in _clauses():
        if re.search(r"-(b|c|d|e|f|g|pre-[0-9.]+)$", clause.id) or ".image-" in clause.id:
            assert clause.note, f"{clause.id}: an extra clause needs a note"


def _words(text: str) -> list[str]:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.findall(r"[a-z0-9_.]+", text.lower())


def test_summaries_are_reworded() -> None:
    """Stricter than the catalog-wide contract: word ratio <= 0.6 and no 8-word run."""
    if not SPEC_DIR.is_dir():
        pytest.skip(f"spec texts absent ({SPEC_DIR})")
    texts = {d: (SPEC_DIR / d).read_text(encoding="utf-8").splitlines() for d in DOCUMENTS}
    close = []
    for clause in _clauses():
        if not clause.line:
            continue
        a, b = _words(clause.summary), _words(texts[clause.document][clause.line - 1])
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        run = max((m.size for m in matcher.get_matching_blocks()), default=0)
        if matcher.ratio() > 0.6 or run >= 8:
            close.append(clause.id)
    assert not close, f"summaries too close to the spec line: {close}"
