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

Exit status: 0 when every difference is explained, 1 when some is not, 2 on bad usage.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
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
    args = p.parse_args(argv)
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
    counts = compare(args.folder, args.spec, args.text, catalog,
                     DEFAULT_EXCLUDES + tuple(args.exclude))
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
