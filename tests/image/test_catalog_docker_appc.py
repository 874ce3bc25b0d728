"""Docker and appc catalog entries: load, link, and point at real headings of the docs."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from oci_conform.catalog.loader import default_catalog

SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"
LOCAL = {
    "distribution/distribution/blob/main/docs/content/spec/manifest-v2-2.md":
        "docker/distribution/manifest-v2-2.md",
    "distribution/distribution/blob/main/docs/content/spec/deprecated-schema-v1.md":
        "docker/distribution/deprecated-schema-v1.md",
    "moby/docker-image-spec/blob/main/spec.md": "docker/docker-image-spec/spec.md",
    "aci.md": "appc/spec/aci.md", "ace.md": "appc/spec/ace.md",
}


def _slug(heading: str) -> str:
    text = re.sub(r"[*_`]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _clauses():
    return [c for c in default_catalog().clauses.values() if c.spec in ("docker", "appc")]


def test_docker_and_appc_clauses_exist_and_link():
    clauses = _clauses()
    assert len([c for c in clauses if c.spec == "docker"]) >= 30
    assert len([c for c in clauses if c.spec == "appc"]) >= 20
    catalog = default_catalog()
    for c in clauses:
        link = catalog.specs[c.spec].link_for(c.document, c.anchor)
        assert link.startswith("https://github.com/") and link.endswith("#" + c.anchor)


@pytest.mark.skipif(not SPECS.is_dir(), reason="../shared/specs is not here")
@pytest.mark.parametrize("document", sorted(LOCAL))
def test_anchors_are_headings_of_the_document(document):
    text = (SPECS / LOCAL[document]).read_text(encoding="utf-8")
    slugs = {_slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, re.MULTILINE)}
    for c in _clauses():
        if c.document == document:
            assert c.anchor in slugs, (c.id, c.anchor)
