"""Declarations as the one source of the judged set and of ``clauses --where``.

- every declared id exists in the catalog;
- every id counted as judged has a declaration that can give it a non-skip outcome, and the
  coverage count is exactly that set;
- no provider is left ``(undeclared)``: xfail (strict) only while some provider has no
  ``declarations()`` yet, computed when the tests are collected, so the test turns into a real
  failure (or a real pass) by itself once the areas land;
- ``oci-conform clauses --where`` answers for a runtime case and an image check in one command.
"""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.catalog.coverage import coverage, judged_clause_ids
from oci_conform.catalog.judges import (
    UNDECLARED,
    all_declarations,
    doc_section,
    judged_ids,
    judges_of,
    matches,
    undeclared_providers,
)
from oci_conform.catalog.loader import default_catalog
from oci_conform.model.declaration import Declaration

REPO = Path(__file__).resolve().parents[2]
PENDING = undeclared_providers()


def test_every_declared_id_is_in_the_catalog() -> None:
    known = set(default_catalog().clauses)
    unknown = sorted({(d.name, cid) for d in all_declarations() for cid in d.clauses
                      if cid not in known})
    assert not unknown, f"declared ids missing from the catalog: {unknown[:20]}"


def test_judged_count_is_the_declared_set_that_can_judge() -> None:
    can = {cid for d in all_declarations() if d.can_judge for cid in d.clauses}
    assert judged_clause_ids() == can
    catalog = default_catalog()
    rows = coverage(catalog, judged_clause_ids())
    assert sum(r.judged for r in rows) == len(can & set(catalog.clauses))


def test_every_declared_where_names_real_code() -> None:
    bad = []
    for d in all_declarations():
        if d.where == UNDECLARED:
            continue
        module, _, func = d.where.partition(":")
        try:
            target = importlib.import_module(module)
            for part in func.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError) as exc:
            bad.append(f"{d.name}: {d.where} ({exc})")
    assert not bad, bad[:20]


@pytest.mark.xfail(bool(PENDING), strict=True,
                   reason=f"providers without declarations() yet: {', '.join(PENDING)}")
def test_no_undeclared_entries() -> None:
    undeclared = [d.name for d in all_declarations() if d.where == UNDECLARED]
    assert not undeclared, f"entries without a declaration: {undeclared}"


def test_pure_lookups_over_explicit_declarations() -> None:
    decls = [Declaration("runtime:delete-running", "m:f", ("rt.runtime.delete.2",), "runtime"),
             Declaration("runtime:other-platform", "m:g", ("rt.x.1",), "runtime",
                         can_judge=False)]
    assert judged_ids(decls) == {"rt.runtime.delete.2"}
    found = judges_of("rt.runtime.delete.2", decls)
    assert [j.declaration.name for j in found] == ["runtime:delete-running"]
    assert found[0].select == "oci-conform runtime test --clause rt.runtime.delete.2"
    assert judges_of("rt.runtime.delete.3", decls) == []
    assert matches("rt.runtime.delete.2", "rt.runtime.delete")
    assert matches("rt.runtime.delete.2", "rt.runtime.")
    assert not matches("rt.runtime.delete.22", "rt.runtime.delete.2")


def test_doc_section_finds_the_heading_that_mentions_the_id_or_case(tmp_path: Path) -> None:
    (tmp_path / "runtime.md").write_text(
        "# Runtime\n\n```sh\n# not a heading: rt.runtime.kill.1\n```\n\n"
        "## Deleting a container\n\nThe case `delete-running` judges rt.runtime.delete.2.\n"
        "\n## Killing\n\nsee rt.runtime.kill.1\n", encoding="utf-8")
    delete = Declaration("runtime:delete-running", "m:f", ("rt.runtime.delete.2",), "runtime")
    assert doc_section("rt.runtime.delete.2", delete, tmp_path) \
        == "docs/runtime.md#deleting-a-container"
    assert doc_section("rt.runtime.delete.3", delete, tmp_path) \
        == "docs/runtime.md#deleting-a-container"          # through its case name
    kill = Declaration("runtime:kill-signal", "m:f", ("rt.runtime.kill.1",), "runtime")
    assert doc_section("rt.runtime.kill.1", kill, tmp_path) == "docs/runtime.md#runtime"
    assert doc_section("rt.runtime.delete.22", Declaration("y", "m:f", (), "registry"),
                       tmp_path) == "docs/registry.md"
    (tmp_path / "architecture.md").write_text("# Path\n\nrt.runtime.delete.2 as an example\n",
                                              encoding="utf-8")        # general: never asked
    (tmp_path / "config.md").write_text("# Config\n\n## Bundles\n\nrt.runtime.delete.2\n",
                                        encoding="utf-8")
    assert doc_section("rt.runtime.delete.2", delete, tmp_path) \
        == "docs/runtime.md#deleting-a-container"          # the suite's own doc first
    assert doc_section("rt.runtime.delete.2", Declaration("z", "m:f", (), "image"),
                       tmp_path) == "docs/config.md#bundles"


def _where(*ids: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "oci_conform", "clauses", "--format", "json",
                           "--where", *ids], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_where_answers_for_a_runtime_case_and_an_image_check() -> None:
    out = _where("rt.runtime.delete.2", "image.descriptor.sha-256.2")
    by_id = {c["id"]: c for c in out["clauses"]}
    assert set(by_id) == {"rt.runtime.delete.2", "image.descriptor.sha-256.2"}
    runtime = by_id["rt.runtime.delete.2"]["judges"]
    assert any(j["suite"] == "runtime" and "runtime test" in j["select"] for j in runtime)
    assert all(j["docs"].startswith("docs/runtime.md") for j in runtime
               if j["suite"] == "runtime")
    image = by_id["image.descriptor.sha-256.2"]["judges"]
    assert any(j["suite"] == "image" for j in image)
    for entry in by_id.values():
        assert entry["status"] == "judged"
        assert all(j["where"] for j in entry["judges"])


def test_where_takes_a_prefix_and_refuses_an_unknown_id() -> None:
    out = _where("rt.runtime.delete")
    ids = [c["id"] for c in out["clauses"]]
    assert "rt.runtime.delete.2" in ids and all(i.startswith("rt.runtime.delete.") for i in ids)
    proc = subprocess.run([sys.executable, "-m", "oci_conform", "clauses", "--where",
                           "no.such.clause"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert proc.returncode == 4
    assert "no clause matches 'no.such.clause'" in proc.stderr
