"""The image area's declarations: explicit, whole ids, all in the catalog, all judged."""
from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path

from oci_conform.catalog.loader import default_catalog
from oci_conform.checks.image import declarations
from oci_conform.suites import image_formats, image_tools

ROOT = Path(__file__).resolve().parents[2]
ID = re.compile(r"^(image|docker|appc)\.[a-z0-9][A-Za-z0-9.-]*$")
AREA = [ROOT / "oci_conform" / "checks" / d for d in ("image", "docker", "appc")] + [
    ROOT / "oci_conform" / "drivers" / "image_sources"]


def _literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and ID.match(n.value)}


def _module_file(where: str) -> Path:
    module = importlib.import_module(where.partition(":")[0])
    return Path(module.__file__ or "")


def test_each_declaration_lists_exactly_the_ids_written_in_its_module():
    for d in declarations():
        path = _module_file(d.where)
        fn = d.where.partition(":")[2].split(".")[0]
        assert fn in path.read_text(), d.where
        assert set(d.clauses) == _literals(path), (d.name, sorted(set(d.clauses)
                                                                  ^ _literals(path)))


def test_every_declared_id_is_in_the_catalog():
    catalog = default_catalog()
    for decl in (*declarations(), *image_formats.declarations(), *image_tools.declarations()):
        missing = [c for c in decl.clauses if c not in catalog.clauses]
        assert not missing, (decl.name, missing)
        assert decl.where and decl.select.startswith("oci-conform "), decl


def test_no_clause_id_is_assembled_from_pieces():
    """Ids are whole literals where judged: no ``PREFIX + "x"`` and no clause-constant tables."""
    pieces = re.compile(r'"(image|docker|appc)\.[A-Za-z0-9.-]*\.?"\s*\+|\+\s*"[0-9]+"')
    for folder in AREA:
        for path in folder.rglob("*.py"):
            text = path.read_text()
            assert not pieces.search(text), path
            assert not re.search(r"^[A-Z_]+ = \"(image|docker|appc)\.", text, re.M), path
    assert not (ROOT / "oci_conform/checks/image/clauses.py").exists()
    assert not (ROOT / "oci_conform/checks/docker/clauses.py").exists()


def test_judged_set_kept_its_ids_but_drops_the_never_judged_ones():
    """The reflection-based set of before held three ids no check judged; the two rules
    reserving org.opencontainers keys bind other specifications, not images (#15.7)."""
    judged = {c for d in declarations() for c in d.clauses}
    before = set(json.loads((ROOT / "tests/image/data/judged-before.json").read_text()))
    assert before - judged == {"docker.image.diff-ids", "image.descriptor.verification.1",
                               "image.image-index.property-descriptions.16",
                               "image.annotations.rules.5", "image.annotations.rules.6"}


def test_formats_and_tools_suites_declare_what_they_report():
    assert image_formats.SUITE.clause_ids() == {
        c for d in image_formats.declarations() for c in d.clauses}
    assert image_tools.SUITE.clause_ids() == {
        c for d in image_tools.declarations() for c in d.clauses}
