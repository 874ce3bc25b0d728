"""Property tests: generated valid images pass; each mutation is caught with its clause id."""
from __future__ import annotations

import shutil
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oci_conform.drivers.image_sources.build import Entry, ImageSpec, sha256, write_layout
from tests.image.helpers import explain, outcome_sets, validate

NAME = st.text(alphabet=string.ascii_lowercase + string.digits + "_-", min_size=1, max_size=12)


@st.composite
def layers(draw) -> list[list[Entry]]:
    out = []
    for _ in range(draw(st.integers(1, 3))):
        folder = draw(NAME)
        names = draw(st.lists(NAME, min_size=1, max_size=6, unique=True))
        entries = [Entry(folder, "dir")]
        for n in names:
            if n.startswith(".wh."):
                continue
            entries.append(Entry(f"{folder}/{n}", data=draw(st.binary(max_size=300))))
        if len(entries) > 2 and draw(st.booleans()):
            entries.append(Entry(f"{folder}/hard.link", "hardlink", link=entries[1].name))
        out.append(entries)
    return out


specs = st.builds(
    ImageSpec, layers=layers(), compression=st.sampled_from(["gzip", "none"]),
    architecture=st.sampled_from(["amd64", "arm64", "ppc64le", "s390x"]),
    os=st.sampled_from(["linux", "windows", "freebsd"]))

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _run(spec: ImageSpec, index_hook=None, multi=False):
    folder = Path(tempfile.mkdtemp(prefix="oci-prop-"))
    try:
        return validate(write_layout(folder / "img", spec, index_hook, multi))
    finally:
        shutil.rmtree(folder)


@SETTINGS
@given(spec=specs, multi=st.booleans())
def test_generated_valid_images_pass(spec, multi):
    results = _run(spec, multi=multi)
    failed, errors = outcome_sets(results)
    assert not failed and not errors, explain(results)


def _mut_size(spec):
    def hook(m):
        m["layers"][-1]["size"] += 7
        return m
    spec.manifest_hook = hook


def _mut_diff_id(spec):
    spec.config_hook = lambda c: (c["rootfs"]["diff_ids"].__setitem__(0, sha256(b"nope")), c)[1]


def _mut_duplicate(spec):
    spec.layers[0] = spec.layers[0] + [Entry(spec.layers[0][-1].name, data=b"dup")]


def _mut_arch(spec):
    spec.config_hook = lambda c: (c.pop("architecture"), c)[1]


def _mut_schema(spec):
    spec.manifest_hook = lambda m: (m.__setitem__("schemaVersion", 3), m)[1]


def _mut_rootfs_type(spec):
    spec.config_hook = lambda c: (c["rootfs"].__setitem__("type", "zfs"), c)[1]


def _mut_escape(spec):
    spec.layers[-1] = spec.layers[-1] + [Entry("../../outside", data=b"x")]


def _mut_whiteout(spec):
    target = spec.layers[0][-1].name
    head, _, base = target.rpartition("/")
    # first in the layer, so that it comes before its siblings (whiteouts.3)
    spec.layers[0] = [Entry(f"{head}/.wh.{base}" if head else f".wh.{base}")] + spec.layers[0]


def _mut_whiteout_late(spec):
    target = spec.layers[0][-1].name
    head = target.rpartition("/")[0]
    name = ".wh.zz-absent-name"
    spec.layers[0] = spec.layers[0] + [Entry(f"{head}/{name}" if head else name)]


def _mut_history(spec):
    spec.config_hook = lambda c: (c.__setitem__("history", c["history"] + [{}]), c)[1]


MUTATIONS = {
    "image.descriptor.properties.5": _mut_size,
    "image.config.properties.38": _mut_diff_id,
    "image.layer.distributable-format.2": _mut_duplicate,
    "image.config.properties.4": _mut_arch,
    "image.manifest.image-manifest-property-descriptions.2": _mut_schema,
    "image.config.properties.36": _mut_rootfs_type,
    "docker.layer.paths-inside-root": _mut_escape,
    "image.layer.whiteouts.2": _mut_whiteout,
    "image.layer.whiteouts.3": _mut_whiteout_late,
    "image.config.properties.44": _mut_history,
}


@SETTINGS
@given(spec=specs, clause=st.sampled_from(sorted(MUTATIONS)))
def test_each_mutation_is_caught_with_its_clause(spec, clause):
    MUTATIONS[clause](spec)
    results = _run(spec)
    failed, errors = outcome_sets(results)
    assert failed == {clause}, explain(results)
    assert not errors


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20)
KINDS = ["", "manifest", "index", "config", "descriptor", "oci-layout", "docker-manifest",
         "docker-manifest-list", "docker-config", "docker-schema1", "appc-manifest"]


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES, kind=st.sampled_from(KINDS))
def test_any_json_document_gives_outcomes_never_a_traceback(value, kind):
    import json

    from oci_conform.checks.image.document import validate_document
    report, _ = validate_document(json.dumps(value).encode(), "x.json", "main", kind)
    assert report.outcomes("x", (), "doc") is not None


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=2000), mt=st.sampled_from([
    "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd"]))
def test_any_layer_bytes_give_a_clean_outcome(data, mt):
    import io

    from oci_conform.checks.image.layer import Limits, scan_layer
    from oci_conform.checks.image.report import Report
    report = Report()
    scan = scan_layer(report, io.BytesIO(data), "sha256", mt, "/layers/0", "main", set(),
                      Limits())
    assert scan.size == len(data)
    assert report.observed
