#!/usr/bin/env python3
"""Count the normative lines of a folder of spec texts and compare them with the catalog.

    python scripts/count_normative.py SPEC_FOLDER --spec image-spec --text v1.1.1

For each Markdown document of SPEC_FOLDER (subfolders included, except those that hold a
``spec.md`` of their own: another copy of the spec), the RFC 2119 lines found by
``oci_conform.catalog.normative`` are matched, by line number, with the catalog entries of
that spec, document and reference text (``text`` of the data file or clause):

- lines: normative lines in the document;
- clauses: catalog clauses that refer to this text of the document;
- omitted: ``[[omitted]]`` lines (a normative line that is no rule, with the reason);
- split: clauses beyond the first on the same line (one sentence holding two rules);
- unexplained: normative lines with neither clause nor omission, entries whose line is not
  a normative line, a line both omitted and claimed by a clause, extra clauses on a line
  without a ``note``, and documents with normative lines but no catalog entry at all.

With ``--previous FOLDER --previous-text TEXT`` (e.g. the main text against the v1.1.1
release) the script also lines up the two texts by wording and reports, per document, the
normative lines that are new, dropped, or whose keywords changed. Each needs an entry:
a new line a clause or omission of the current text; a dropped line a clause of the previous
text with ``until`` (or an omission); a line whose keywords changed one of the two.

Exit status: 0 when every difference is explained, 1 when some is not, 2 on bad usage.
"""
from __future__ import annotations

import argparse
import difflib
import fnmatch
import json
import re
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oci_conform.catalog.loader import Catalog, CatalogError, load_catalog  # noqa: E402
from oci_conform.catalog.normative import normative_lines  # noqa: E402

# Project documents that use RFC 2119 words about governance, not about the format.
DEFAULT_EXCLUDES = ("README.md", "GOVERNANCE.md", "RELEASES.md", "SOURCE.md", "EMERITUS.md",
                    "HACKING.md", "MAINTAINERS*", "CONTRIBUTING.md", "implementations.md",
                    "principles.md", "style.md", "project.md", "LICENSE*")


@dataclass
class DocumentCount:
    """The comparison for one document."""

    document: str
    lines: int = 0
    clauses: int = 0
    omitted: int = 0
    split: int = 0
    missing: list[int] = field(default_factory=list)        # normative, no entry
    stray: list[str] = field(default_factory=list)          # entry on a non-normative line
    conflicts: list[int] = field(default_factory=list)      # omitted and claimed
    unnoted_splits: list[str] = field(default_factory=list)  # extra clause without a note

    @property
    def unexplained(self) -> int:
        return (len(self.missing) + len(self.stray) + len(self.conflicts)
                + len(self.unnoted_splits))


def spec_documents(folder: Path, excludes: tuple[str, ...]) -> dict[str, Path]:
    """Markdown documents of ``folder`` by relative path, skipping other copies of the spec."""
    nested_copies = {p.parent for p in folder.rglob("spec.md") if p.parent != folder}
    docs = {}
    for path in sorted(folder.rglob("*.md")):
        if any(copy in path.parents for copy in nested_copies):
            continue
        rel = path.relative_to(folder).as_posix()
        if any(fnmatch.fnmatch(rel, pattern) for pattern in excludes):
            continue
        docs[rel] = path
    return docs


def compare_document(document: str, text: str, catalog: Catalog, spec: str,
                     ref_text: str) -> DocumentCount:
    """Match the normative lines of one document text with the catalog's entries."""
    count = DocumentCount(document)
    normative = {n.line for n in normative_lines(document, text)}
    count.lines = len(normative)
    by_line: dict[int, list] = defaultdict(list)
    for c in catalog.clauses.values():
        if c.spec == spec and c.document == document and c.text == ref_text:
            count.clauses += 1
            by_line[c.line].append(c)
    omitted = {o.line for o in catalog.omissions
               if o.spec == spec and o.document == document and o.text == ref_text}
    count.omitted = len(omitted)
    for line, clauses in sorted(by_line.items()):
        if line not in normative:
            count.stray.extend(f"{c.id} (line {line})" for c in clauses)
            continue
        if line in omitted:
            count.conflicts.append(line)
        ordered = sorted(clauses, key=lambda c: (bool(c.note), c.id))
        count.split += len(ordered) - 1
        count.unnoted_splits.extend(c.id for c in ordered[1:] if not c.note)
    count.stray.extend(f"omitted line {line}" for line in sorted(omitted - normative))
    count.missing = sorted(normative - omitted - set(by_line))
    return count


def compare(folder: Path, spec: str, ref_text: str, catalog: Catalog,
            excludes: tuple[str, ...] = DEFAULT_EXCLUDES) -> list[DocumentCount]:
    """One DocumentCount per document that has normative lines or catalog entries."""
    docs = spec_documents(folder, excludes)
    known = {c.document for c in catalog.clauses.values() if c.spec == spec}
    results = []
    for rel in sorted(set(docs) | {d for d in known if (folder / d).is_file()}):
        path = docs.get(rel, folder / rel)
        count = compare_document(rel, path.read_text(encoding="utf-8"), catalog, spec, ref_text)
        if count.lines or count.clauses or count.omitted:
            results.append(count)
    return results


@dataclass
class DeltaCount:
    """How one document changed between two texts, and which changes lack an entry."""

    document: str
    lines: int = 0
    previous: int = 0
    new: list[int] = field(default_factory=list)            # current lines, no counterpart
    dropped: list[int] = field(default_factory=list)        # previous lines, no counterpart
    rekeyed: list[tuple[int, int]] = field(default_factory=list)  # (previous, current)
    unexplained: list[str] = field(default_factory=list)


def _wording(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def likeness(before: str, after: str, matcher: difflib.SequenceMatcher | None = None,
             floor: float = 0.0) -> float:
    """How alike two normalised lines are (0..1); a line continued or extended in the other
    text (one sentence wrapped differently) counts as 0.95. Below ``floor`` gives 0."""
    if before == after:
        return 1.0
    short, long_ = sorted((before, after), key=len)
    contained = 0.95 if len(short) >= 30 and short in long_ else 0.0
    if matcher is None:
        matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    else:
        matcher.set_seq1(before)
    if matcher.real_quick_ratio() < max(floor, contained) or matcher.quick_ratio() < max(
            floor, contained):
        return contained
    return max(contained, matcher.ratio())


def line_up(previous: list, current: list, threshold: float = 0.8) -> dict[int, int]:
    """Map current line numbers to previous ones whose wording is close enough (greedy)."""
    pairs = []
    prev_words = [_wording(p.text) for p in previous]
    cur_words = [_wording(c.text) for c in current]
    last_prev = max((p.line for p in previous), default=1)
    last_cur = max((c.line for c in current), default=1)
    for i, cur in enumerate(current):
        matcher = difflib.SequenceMatcher(None, "", cur_words[i], autojunk=False)
        for j, prev in enumerate(previous):
            if (ratio := likeness(prev_words[j], cur_words[i], matcher, threshold)) >= threshold:
                # equal wording (e.g. a repeated sentence): prefer the pair whose preceding
                # normative lines are alike, then the one nearest in relative position
                context = likeness(prev_words[j - 1] if j else "", cur_words[i - 1] if i else "")
                drift = abs(cur.line / last_cur - prev.line / last_prev)
                pairs.append((ratio, context, -drift, cur.line, prev.line))
    mapping: dict[int, int] = {}
    used: set[int] = set()
    for *_rank, cur_line, prev_line in sorted(pairs, reverse=True):
        if cur_line not in mapping and prev_line not in used:
            mapping[cur_line] = prev_line
            used.add(prev_line)
    return mapping


def compare_versions(document: str, previous_text: str, current_text: str, catalog: Catalog,
                     spec: str, prev_ref: str, cur_ref: str) -> DeltaCount:
    """New, dropped and re-keyed normative lines of one document, checked against entries."""
    prev = normative_lines(document, previous_text)
    cur = normative_lines(document, current_text)
    delta = DeltaCount(document, len(cur), len(prev))
    mapping = line_up(prev, cur)
    entries = [c for c in catalog.clauses.values() if c.spec == spec and c.document == document]
    cur_claimed = {c.line for c in entries if c.text == cur_ref}
    prev_until = {c.line for c in entries if c.text == prev_ref and c.until}
    omitted = {(o.text, o.line) for o in catalog.omissions
               if o.spec == spec and o.document == document}
    cur_claimed |= {line for text, line in omitted if text == cur_ref}
    prev_until |= {line for text, line in omitted if text == prev_ref}
    prev_by_line = {p.line: p for p in prev}
    for line in cur:
        if line.line not in mapping:
            delta.new.append(line.line)
            if line.line not in cur_claimed:
                delta.unexplained.append(f"new line {line.line} ({cur_ref}) has no entry")
            continue
        before = prev_by_line[mapping[line.line]]
        if set(before.keywords) != set(line.keywords):
            delta.rekeyed.append((before.line, line.line))
            if line.line not in cur_claimed and before.line not in prev_until:
                delta.unexplained.append(
                    f"keywords changed at {prev_ref} line {before.line} -> {cur_ref} line "
                    f"{line.line} ({'/'.join(before.keywords)} -> {'/'.join(line.keywords)}) "
                    "with no entry for either")
    for line in sorted(set(prev_by_line) - set(mapping.values())):
        delta.dropped.append(line)
        if line not in prev_until:
            delta.unexplained.append(f"{prev_ref} line {line} is gone in {cur_ref} but no "
                                     "clause of it has until")
    return delta


def compare_folders(previous: Path, current: Path, spec: str, prev_ref: str, cur_ref: str,
                    catalog: Catalog, excludes: tuple[str, ...] = DEFAULT_EXCLUDES
                    ) -> list[DeltaCount]:
    """One DeltaCount per document present in either folder."""
    prev_docs, cur_docs = spec_documents(previous, excludes), spec_documents(current, excludes)
    out = []
    for rel in sorted(set(prev_docs) | set(cur_docs)):
        before = prev_docs[rel].read_text(encoding="utf-8") if rel in prev_docs else ""
        after = cur_docs[rel].read_text(encoding="utf-8") if rel in cur_docs else ""
        delta = compare_versions(rel, before, after, catalog, spec, prev_ref, cur_ref)
        if delta.lines or delta.previous:
            out.append(delta)
    return out


def _delta_report(deltas: list[DeltaCount], prev_ref: str, cur_ref: str) -> str:
    head = f"{'document':<28} {prev_ref:>8} {cur_ref:>8} {'new':>5} {'dropped':>8} " \
           f"{'rekeyed':>8} {'unexplained':>12}"
    out = [f"changes from {prev_ref} to {cur_ref}", head, "-" * len(head)]
    for d in deltas:
        out.append(f"{d.document:<28} {d.previous:>8} {d.lines:>8} {len(d.new):>5} "
                   f"{len(d.dropped):>8} {len(d.rekeyed):>8} {len(d.unexplained):>12}")
    for d in deltas:
        out.extend(f"{d.document}: {u}" for u in d.unexplained)
    return "\n".join(out)


def _text_report(counts: list[DocumentCount], spec: str, ref_text: str) -> str:
    head = f"{'document':<28} {'lines':>6} {'clauses':>8} {'omitted':>8} {'split':>6} " \
           f"{'unexplained':>12}"
    out = [f"{spec} {ref_text}: normative lines vs catalog", head, "-" * len(head)]
    for c in counts:
        out.append(f"{c.document:<28} {c.lines:>6} {c.clauses:>8} {c.omitted:>8} {c.split:>6} "
                   f"{c.unexplained:>12}")
    total = DocumentCount("total")
    for c in counts:
        total.lines += c.lines
        total.clauses += c.clauses
        total.omitted += c.omitted
        total.split += c.split
    out.append(f"{'total':<28} {total.lines:>6} {total.clauses:>8} {total.omitted:>8} "
               f"{total.split:>6} {sum(c.unexplained for c in counts):>12}")
    for c in counts:
        if c.missing:
            out.append(f"{c.document}: normative lines without clause or omission: "
                       + ", ".join(map(str, c.missing)))
        for s in c.stray:
            out.append(f"{c.document}: entry not on a normative line: {s}")
        for line in c.conflicts:
            out.append(f"{c.document}: line {line} is both omitted and claimed by a clause")
        for cid in c.unnoted_splits:
            out.append(f"{c.document}: {cid} shares its line with another clause but has no note")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, help="folder of spec Markdown texts")
    p.add_argument("--spec", required=True, help="catalog spec name, e.g. image-spec")
    p.add_argument("--text", required=True,
                   help="which reference text the folder holds, as the catalog names it "
                        "(e.g. v1.1.1, main)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--catalog-dir", type=Path, help="catalog data folder (default: shipped)")
    p.add_argument("--exclude", action="append", default=[],
                   help="glob of documents to skip (added to the governance defaults)")
    p.add_argument("--previous", type=Path,
                   help="folder of an earlier text of the spec, to report what changed since")
    p.add_argument("--previous-text", help="the catalog's name for the earlier text (v1.1.1)")
    args = p.parse_args(argv)
    if bool(args.previous) != bool(args.previous_text):
        print("count_normative: --previous and --previous-text go together", file=sys.stderr)
        return 2
    if args.previous and not args.previous.is_dir():
        print(f"count_normative: {args.previous} is not a folder", file=sys.stderr)
        return 2
    if not args.folder.is_dir():
        print(f"count_normative: {args.folder} is not a folder", file=sys.stderr)
        return 2
    try:
        catalog = load_catalog(args.catalog_dir) if args.catalog_dir else load_catalog()
    except CatalogError as exc:
        print(f"count_normative: {exc}", file=sys.stderr)
        return 2
    if args.spec not in catalog.specs:
        print(f"count_normative: unknown spec {args.spec!r}; known: "
              f"{', '.join(sorted(catalog.specs))}", file=sys.stderr)
        return 2
    excludes = DEFAULT_EXCLUDES + tuple(args.exclude)
    if args.previous:
        deltas = compare_folders(args.previous, args.folder, args.spec, args.previous_text,
                                 args.text, catalog, excludes)
        if args.format == "json":
            print(json.dumps({"spec": args.spec, "previous": args.previous_text,
                              "text": args.text, "documents": [asdict(d) for d in deltas],
                              "unexplained": sum(len(d.unexplained) for d in deltas)},
                             indent=1))
        else:
            print(_delta_report(deltas, args.previous_text, args.text))
        return 1 if any(d.unexplained for d in deltas) else 0
    counts = compare(args.folder, args.spec, args.text, catalog, excludes)
    if args.format == "json":
        print(json.dumps({"spec": args.spec, "text": args.text,
                          "documents": [{**asdict(c), "unexplained": c.unexplained}
                                        for c in counts],
                          "unexplained": sum(c.unexplained for c in counts)}, indent=1))
    else:
        print(_text_report(counts, args.spec, args.text))
    return 1 if any(c.unexplained for c in counts) else 0


if __name__ == "__main__":
    sys.exit(main())
