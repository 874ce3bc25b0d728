"""Hostile JSON: any JSON value at any place of any document (or image) gives outcomes,
never a traceback; the crashes found before are pinned as regressions."""
from __future__ import annotations

import io
import json
import lzma
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oci_conform.checks.image.document import validate_document
from oci_conform.drivers.image_sources.build import ImageSpec, write_layout
from tests.image.helpers import FIXTURES, explain, validate

GOOD = FIXTURES / "documents" / "good"
KIND_OF = {"manifest.json": "manifest", "index.json": "index", "config.json": "config",
           "descriptor-empty.json": "descriptor", "oci-layout.json": "oci-layout",
           "docker-manifest.json": "docker-manifest",
           "docker-manifest-list.json": "docker-manifest-list",
           "appc-manifest.json": "appc-manifest", "artifact-manifest.json": "manifest"}
EXTRA_KEYS = ["mediaType", "schemaVersion", "config", "layers", "manifests", "platform",
              "rootfs", "history", "annotations", "subject", "urls", "data", "artifactType",
              "labels", "app", "dependencies", "os", "variant", "os.features", "Env", "User",
              "Labels", "diff_ids", "size", "digest"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(EXTRA_KEYS)
                                                                | st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8)
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _places(doc, here=()):
    """Every (container path, key) in ``doc``, plus absent well-known keys of each object."""
    if isinstance(doc, dict):
        for key in list(doc) + [k for k in EXTRA_KEYS if k not in doc]:
            yield here, key
        for key, value in doc.items():
            yield from _places(value, here + (key,))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield here, i
            yield from _places(value, here + (i,))


def _put(doc, path, key, value):
    target = doc
    for p in path:
        target = target[p]
    target[key] = value
    return doc


def _docs():
    return [(name, kind, json.loads((GOOD / name).read_text())) for name, kind in
            sorted(KIND_OF.items())]


DOCS = _docs()


@SETTINGS
@given(which=st.integers(0, len(DOCS) - 1), pick=st.integers(0, 10_000), value=JSON_VALUES,
       as_kind=st.booleans())
def test_any_value_at_any_place_of_any_document_never_raises(which, pick, value, as_kind):
    name, kind, doc = DOCS[which]
    doc = json.loads(json.dumps(doc))
    places = list(_places(doc))
    path, key = places[pick % len(places)]
    _put(doc, path, key, value)
    report, _ = validate_document(json.dumps(doc).encode(), name, "main",
                                  kind if as_kind else "")
    assert report.outcomes(name, (), "doc") is not None


IMAGE_SPOTS = [("manifest", "mediaType"), ("manifest", "config"), ("manifest", "layers"),
               ("manifest", "schemaVersion"), ("manifest", "subject"), ("config", "rootfs"),
               ("config", "config"), ("config", "history"), ("config", "os"),
               ("index", "manifests"), ("index", "mediaType"), ("layer0", "mediaType"),
               ("layer0", "size"), ("layer0", "digest"), ("layer0", "urls"),
               ("config-desc", "mediaType"), ("index0", "mediaType"), ("index0", "platform"),
               ("index0", "annotations")]


def _image_with(spot: str, key: str, value) -> Path:
    def put(target):
        target[key] = value
    spec = ImageSpec()
    index_hook = None
    if spot == "manifest":
        spec.manifest_hook = lambda m: (put(m), m)[1]
    elif spot == "config":
        spec.config_hook = lambda c: (put(c), c)[1]
    elif spot == "layer0":
        spec.manifest_hook = lambda m: (put(m["layers"][0]), m)[1]
    elif spot == "config-desc":
        spec.manifest_hook = lambda m: (put(m["config"]), m)[1]
    elif spot == "index":
        index_hook = lambda i: (put(i), i)[1]   # noqa: E731
    else:
        index_hook = lambda i: (put(i["manifests"][0]), i)[1]   # noqa: E731
    folder = Path(tempfile.mkdtemp(prefix="oci-hostile-"))
    return write_layout(folder / "img", spec, index_hook)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spot=st.sampled_from(IMAGE_SPOTS), value=JSON_VALUES)
def test_any_value_at_key_places_of_a_whole_image_never_raises(spot, value):
    root = _image_with(*spot, value)
    try:
        results = validate(root)
        assert results
        errors = [r for r in results if r.outcome.value == "error"]
        assert not errors, explain(results)
    finally:
        shutil.rmtree(root.parent)


# -- the crashes found before, pinned -------------------------------------------------------

def test_layout_index_with_manifests_a_number():
    root = _image_with("index", "manifests", 5)
    try:
        results = validate(root)
        failed = {r.clause for r in results if r.outcome.value == "fail"}
        assert "image.image-layout.content.8" in failed, explain(results)
    finally:
        shutil.rmtree(root.parent)


def test_walk_with_media_type_an_object():
    root = _image_with("index0", "mediaType", {"a": 1})
    try:
        results = validate(root)
        assert not [r for r in results if r.outcome.value == "error"], explain(results)
        assert any(r.outcome.value == "fail" and r.clause == "image.descriptor.property-types"
                   for r in results), explain(results)
    finally:
        shutil.rmtree(root.parent)


def test_docker_config_with_rootfs_a_string():
    doc = json.loads((GOOD / "config.json").read_text())
    doc["rootfs"] = "x"
    report, _ = validate_document(json.dumps(doc).encode(), "c.json", "1.1.1", "docker-config")
    assert report.failed == {"docker.image.property-types"}


def test_appc_manifest_with_a_list_label_value():
    doc = json.loads((GOOD / "appc-manifest.json").read_text())
    doc["labels"] = [{"name": "version", "value": ["1"]}]
    report, _ = validate_document(json.dumps(doc).encode(), "m.json", "1.1.1", "appc-manifest")
    assert "appc.manifest.labels" in report.failed


def test_corrupt_xz_aci_is_a_failure_not_a_traceback(tmp_path):
    from oci_conform.checks.appc.aci import check_aci
    from oci_conform.checks.image.layer import Limits
    from oci_conform.checks.image.report import Report
    data = lzma.compress(b"x" * 10000)
    broken = data[:40] + bytes(b ^ 0x55 for b in data[40:80]) + data[80:]
    report = Report()
    check_aci(report, io.BytesIO(broken), "bad.aci", len(broken), Limits())
    assert "appc.aci.archive.tar" in report.failed or "appc.aci.archive.tar" in report.errors


def test_findings_are_capped_at_the_source_and_counted():
    """400k findings on one clause keep 50 (plus a few) in memory and count the rest."""
    import tracemalloc

    from oci_conform.checks.image.report import Report
    tracemalloc.start()
    report = Report()
    for i in range(400_000):
        report.fail("docker.layer.paths-inside-root", "entry has an absolute path",
                    f"/layers/0 entry '/abs/{i}'")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 << 20, f"collecting findings peaked at {peak >> 20} MiB"
    [result] = report.outcomes("img", (), "image:validate")
    assert result.outcome.value == "fail"
    assert len(result.findings) == 50 and result.omitted_findings == 400_000 - 50
    assert "(and 399999 more)" in result.message


def test_oci_reserved_annotation_keys_are_valid_on_images():
    """The rules reserving org.opencontainers.* bind other specifications' authors: keys OCI
    defines elsewhere (conversion.md, the artifact keys) make no finding on an image."""
    doc = json.loads((GOOD / "manifest.json").read_text())
    doc["annotations"] = {"org.opencontainers.image.stopSignal": "SIGTERM",
                          "org.opencontainers.image.exposedPorts": "80/tcp",
                          "org.opencontainers.image.os": "linux",
                          "org.opencontainers.image.name": "x",
                          "org.opencontainers.artifact.type": "application/x",
                          "com.example.key": "v"}
    report, _ = validate_document(json.dumps(doc).encode(), "m.json", "1.1.1", "manifest")
    results = report.outcomes("m", (), "doc", version="1.1.1")
    assert not [r for r in results if r.outcome.value in ("fail", "error")], explain(results)
