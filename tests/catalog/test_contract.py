"""Contract between the checks and the catalog, and between the catalog and the spec texts.

- every clause id a suite names exists in the catalog;
- no clause a check judges is also marked untestable, and every untestable mark has a reason;
- no summary is a copy or near-copy of a spec sentence (needs ../shared/specs);
- scripts/count_normative.py finds no unexplained difference for image-spec v1.1.1,
  runtime-spec (main) and distribution-spec v1.1.1 (needs ../shared/specs).
"""
from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
import tomllib
from functools import cache, lru_cache
from pathlib import Path

import pytest

from oci_conform.catalog.coverage import judged_clause_ids
from oci_conform.catalog.loader import DATA_DIR, default_catalog
from oci_conform.catalog.normative import normative_lines

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO.parent / "shared" / "specs"
COUNT_SCRIPT = REPO / "scripts" / "count_normative.py"

# Where the reference text of each (spec, text) pair lives under ../shared/specs.
TEXT_FOLDERS = {
    ("image-spec", "v1.1.1"): "image-spec/v1.1.1",
    ("image-spec", "main"): "image-spec",
    ("distribution-spec", "v1.1.1"): "distribution-spec/v1.1.1",
    ("distribution-spec", "main"): "distribution-spec",
    ("runtime-spec", "main"): "runtime-spec",
}
# The texts the count must match exactly (issue 4: what the coverage table must show).
COUNTED = [("image-spec", "v1.1.1"), ("runtime-spec", "main"), ("distribution-spec", "v1.1.1")]

# A summary is a near-copy when its words match a spec line this closely, or when it
# repeats this many consecutive words of one (media type names alone span ~8 words).
MAX_RATIO = 0.8
MAX_RUN = 12


@lru_cache(maxsize=1)
def _judged() -> frozenset[str]:
    return frozenset(judged_clause_ids())


def test_every_judged_id_is_in_the_catalog() -> None:
    unknown = sorted(_judged() - set(default_catalog().clauses))
    assert not unknown, f"suites name clause ids the catalog does not have: {unknown}"


def test_no_judged_clause_is_marked_untestable() -> None:
    catalog = default_catalog()
    both = sorted(cid for cid in _judged()
                  if cid in catalog.clauses and catalog.clauses[cid].untestable)
    assert not both, f"clauses judged by a check but marked untestable: {both}"


def test_every_untestable_mark_has_a_reason() -> None:
    blank = []
    for path in sorted(DATA_DIR.rglob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for raw in data.get("clause", []):
            if "untestable" in raw and not str(raw["untestable"]).strip():
                blank.append(f"{path.relative_to(DATA_DIR)}: {raw.get('id')}")
    assert not blank, f"untestable without a reason: {blank}"


@cache
def _words(text: str) -> tuple[str, ...]:
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]|\[([^\]]*)\]\([^)]*\)",
                  lambda m: m.group(1) or m.group(2) or "", text)
    return tuple(re.findall(r"[a-z0-9]+", text.lower()))


@cache
def _grams(words: tuple[str, ...], n: int) -> frozenset[tuple[str, ...]]:
    return frozenset(words[i:i + n] for i in range(len(words) - n + 1))


def is_near_copy(summary: str, line: str) -> bool:
    """True when the summary's words match the line closely (ratio) or repeat a long run."""
    a, b = _words(summary), _words(line)
    if _grams(a, MAX_RUN) & _grams(b, MAX_RUN):
        return True
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= MAX_RATIO and matcher.ratio() >= MAX_RATIO


def test_near_copy_rule_flags_copies_only() -> None:
    line = "Implementations MUST support at least the following media types:"
    assert is_near_copy("Implementations must support at least the following media types.", line)
    assert not is_near_copy("Readers handle the listed media types.", line)
    long_line = ("- The content of `blobs/<alg>/<encoded>` MUST match the digest `<alg>:<encoded>` "
                 "(referenced per [descriptor](descriptor.md#digests)), as stated elsewhere.")
    assert is_near_copy("Note: the content of blobs/<alg>/<encoded> MUST match the digest "
                        "<alg>:<encoded> (referenced per descriptor) -- which we check.", long_line)


def _spec_root() -> Path:
    if not SPECS.is_dir():
        pytest.skip(f"spec texts absent ({SPECS}); cannot compare summaries with spec lines")
    return SPECS


def test_summaries_are_not_copies_of_spec_lines() -> None:
    root = _spec_root()
    lines: dict[tuple[str, str, str], list[str]] = {}
    copies = []
    for clause in default_catalog().clauses.values():
        folder = TEXT_FOLDERS.get((clause.spec, clause.text))
        if folder is None:
            continue
        key = (clause.spec, clause.text, clause.document)
        if key not in lines:
            path = root / folder / clause.document
            lines[key] = ([n.text for n in normative_lines(clause.document, path.read_text())]
                          if path.is_file() else [])
        for line in lines[key]:
            if is_near_copy(clause.summary, line):
                copies.append(f"{clause.id}: {clause.summary!r} ~ {line!r}")
                break
    assert not copies, "summaries too close to the spec text:\n" + "\n".join(copies)


@pytest.mark.parametrize("spec,text", COUNTED, ids=[f"{s}-{t}" for s, t in COUNTED])
def test_count_normative_explains_every_difference(spec: str, text: str) -> None:
    folder = _spec_root() / TEXT_FOLDERS[(spec, text)]
    if not any(c.spec == spec for c in default_catalog().clauses.values()):
        pytest.skip(f"no {spec} catalog files yet (oci_conform/catalog/data/{spec}/)")
    done = subprocess.run([sys.executable, str(COUNT_SCRIPT), str(folder), "--spec", spec,
                           "--text", text, "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    bad = {d["document"]: {k: d[k] for k in ("missing", "stray", "conflicts", "unnoted_splits")
                           if d[k]}
           for d in report["documents"] if d["unexplained"]}
    assert not bad, f"{spec} {text}: unexplained differences: {bad}"
    assert done.returncode == 0
    assert sum(d["lines"] for d in report["documents"]) > 0


CHANGED = [("image-spec", "v1.1.1", "main"), ("distribution-spec", "v1.1.1", "main")]


@pytest.mark.parametrize("spec,previous,current", CHANGED, ids=[s for s, _, _ in CHANGED])
def test_changes_since_release_have_entries(spec: str, previous: str, current: str) -> None:
    """Every normative line added, dropped or re-keyed on main has its since/until entry."""
    root = _spec_root()
    if not any(c.spec == spec for c in default_catalog().clauses.values()):
        pytest.skip(f"no {spec} catalog files yet (oci_conform/catalog/data/{spec}/)")
    done = subprocess.run([sys.executable, str(COUNT_SCRIPT),
                           str(root / TEXT_FOLDERS[(spec, current)]), "--spec", spec,
                           "--text", current, "--previous",
                           str(root / TEXT_FOLDERS[(spec, previous)]), "--previous-text",
                           previous, "--format", "json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    bad = {d["document"]: d["unexplained"] for d in report["documents"] if d["unexplained"]}
    assert not bad, f"{spec} {previous} -> {current}: changes without an entry: {bad}"
    assert sum(len(d["new"]) for d in report["documents"]) > 0
