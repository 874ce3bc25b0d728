"""Consumer cases (accept / reject / apply / convert) and the conversion.md judge."""
from __future__ import annotations

import copy
import shutil

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.checks.image import conversion as V
from oci_conform.checks.image import declarations
from oci_conform.drivers.image_sources.tool_cases import cases, clause_ids
from oci_conform.model.outcome import Outcome
from oci_conform.orchestrate import PlanItem, run_plan
from oci_conform.suites import RunContext, Selection
from oci_conform.suites.image_tools import SUITE as TOOLS

IMAGE = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
         "author": "Ann",
         "config": {"Env": ["PATH=/bin", "A=b c"], "Entrypoint": ["/bin/app"], "Cmd": ["x"],
                    "WorkingDir": "/srv", "User": "10:20", "ExposedPorts": {"80/tcp": {}},
                    "Volumes": {"/data": {}}, "Labels": {"com.example.k": "v"},
                    "StopSignal": "SIGTERM"}}
MANIFEST = {"annotations": {"com.example.from-manifest": "m"}}
RUNTIME = {"process": {"args": ["/bin/app", "x"], "env": ["PATH=/bin", "TERM=xterm", "A=b c"],
                       "cwd": "/srv", "user": {"uid": 10, "gid": 20}},
           "mounts": [{"destination": "/proc"}, {"destination": "/data"}],
           "annotations": {"org.opencontainers.image.os": "linux",
                           "org.opencontainers.image.architecture": "amd64",
                           "org.opencontainers.image.author": "Ann",
                           "org.opencontainers.image.created": "2024-01-01T00:00:00Z",
                           "org.opencontainers.image.stopSignal": "SIGTERM",
                           "org.opencontainers.image.exposedPorts": "80/tcp",
                           "com.example.k": "v"}}


def _judge(image=IMAGE, manifest=MANIFEST, runtime=RUNTIME, **kw):
    return V.judge_conversion(image, manifest, runtime, **kw)


def test_a_faithful_conversion_passes_every_touched_clause():
    r = _judge()
    assert not r.failed, r.problems
    assert {"image.conversion.verbatim-fields.1", "image.conversion.verbatim-fields.3",
            "image.conversion.configuser.1", "image.conversion.to-oci-runtime-configuration.1",
            "image.conversion.annotations.4",
            "image.conversion.annotations.1", "image.conversion.optional-fields.3",
            "image.conversion.configexposedports.1"} <= r.observed
    conversion = next(d for d in declarations() if d.name == "image:conversion")
    assert r.observed <= set(conversion.clauses)


@pytest.mark.parametrize("change, clause", [
    (lambda rt: rt["process"].update(args=["/bin/app"]), "image.conversion.verbatim-fields.3"),
    (lambda rt: rt["process"].update(cwd="/"), "image.conversion.verbatim-fields.1"),
    (lambda rt: rt["process"]["env"].append("A=other"), "image.conversion.verbatim-fields.2"),
    (lambda rt: rt["process"]["user"].update(uid=0), "image.conversion.configuser.1"),
    (lambda rt: rt["process"]["user"].update(additionalGids=[5]), "image.conversion.configuser.6"),
    (lambda rt: rt["annotations"].pop("org.opencontainers.image.author"),
     "image.conversion.annotation-fields.7"),
    (lambda rt: rt["annotations"].update({"com.example.from-manifest": "m"}),
     "image.conversion.annotations.1"),
    (lambda rt: rt["annotations"].update({"com.example.k": "V"}), "image.conversion.annotations.4"),
    (lambda rt: rt["mounts"].pop(), "image.conversion.optional-fields.3"),
    (lambda rt: rt["annotations"].pop("org.opencontainers.image.exposedPorts"),
     "image.conversion.configexposedports.1"),
])
def test_each_departure_is_caught_with_its_clause(change, clause):
    runtime = copy.deepcopy(RUNTIME)
    change(runtime)
    assert clause in _judge(runtime=runtime).failed


def test_label_precedence_and_named_users():
    image = copy.deepcopy(IMAGE)
    image["config"]["Labels"] = {"org.opencontainers.image.os": "custom"}
    runtime = copy.deepcopy(RUNTIME)
    assert {"image.conversion.annotations.2",
            "image.conversion.annotation-fields.1"} <= _judge(image, runtime=runtime).failed
    runtime["annotations"]["org.opencontainers.image.os"] = "custom"
    assert not ({"image.conversion.annotations.2",
                 "image.conversion.annotation-fields.1"} & _judge(image, runtime=runtime).failed)
    image["config"]["User"] = "alice"
    passwd = V.parse_passwd("alice:x:7:8::/:/bin/sh\n")
    groups = V.parse_group("staff:x:30:alice,bob\n")
    runtime["process"]["user"] = {"uid": 7, "gid": 8}
    r = _judge(image, runtime=runtime, passwd=passwd, groups=groups)
    assert "image.conversion.configuser.4" in r.failed
    assert "image.conversion.configuser.2" not in r.failed
    runtime["process"]["user"]["additionalGids"] = [30]
    assert "image.conversion.configuser.4" not in _judge(image, runtime=runtime, passwd=passwd,
                                       groups=groups).failed


def test_case_clauses_are_in_the_catalog_and_declared():
    catalog = default_catalog()
    assert clause_ids() <= set(catalog.clauses)
    assert clause_ids() <= TOOLS.clause_ids()
    names = [c.name for c in cases()]
    assert len(names) == len(set(names))


@pytest.mark.integration
def test_tool_cases_on_real_umoci_and_skopeo(tmp_path):
    if not all(shutil.which(t) for t in ("umoci", "skopeo")):
        pytest.skip("umoci/skopeo missing")
    ctx = RunContext(catalog=default_catalog(), workdir=tmp_path,
                     selection=Selection(clauses=("image.conversion", "image.layer",
                                                  "image.config.properties.45",
                                                  "image.config.layer-diffid",
                                                  "image.considerations.canonicalization",
                                                  "image.image-index.property-descriptions.11")))
    results = run_plan([PlanItem(TOOLS, TOOLS.default_implementations(ctx))], ctx)
    assert results.complete, results.harness_errors
    by = {}
    for r in results.results:
        by.setdefault((r.case, r.clause, r.implementation), r)
        if r.outcome is Outcome.NA:
            assert r.message, r
        else:
            assert r.outcome in (Outcome.PASS, Outcome.FAIL), (r.clause, r.message)
            assert r.evidence.runs and r.evidence.runs[-1].argv
    get = lambda case, clause, tool: by[(f"tool:{case}", clause, tool)].outcome  # noqa: E731
    U, S = "umoci-unpack", "skopeo-copy"
    # umoci writes Env/Entrypoint/Cmd/WorkingDir/User as conversion.md says ...
    assert get("convert-fields", "image.conversion.verbatim-fields.1", U) is Outcome.PASS
    assert get("convert-fields", "image.conversion.configuser.1", U) is Outcome.PASS
    assert get("convert-unknown-user", "image.conversion.configuser.7", U) is Outcome.PASS
    # a refusal counts only after the same image without the fault was accepted
    refusal = by[("tool:convert-unknown-user", "image.conversion.configuser.7", U)]
    assert refusal.evidence.facts["own_control"] and refusal.evidence.runs[0].exit_code == 0
    assert "alice" not in refusal.evidence.runs[-1].stderr
    # ... but umoci 0.4.7 lets its derived org.opencontainers.image.os win over the label
    # (conversion.md: the Config.Labels value must take precedence) and writes no
    # variant/os.version/os.features annotations.
    assert get("convert-label-precedence", "image.conversion.annotations.2", U) is Outcome.FAIL
    assert get("convert-fields", "image.conversion.annotation-fields.4", U) is Outcome.FAIL
    # Layers are applied with whiteouts honoured; skopeo cannot be judged on that.
    assert get("whiteouts-applied", "image.layer.whiteouts.1", U) is Outcome.PASS
    assert get("whiteouts-applied", "image.layer.whiteouts.1", S) is Outcome.NA
    assert get("config-unknown-fields", "image.config.properties.45", S) is Outcome.PASS
    assert get("nested-index", "image.image-index.property-descriptions.11", U) is Outcome.PASS
    # skopeo 1.9 treats a plain gzip layer with urls as foreign and does not copy it
    # (layer.md: urls alone must not make a layer non-distributable).
    urls = by[("tool:layer-with-urls", "image.layer.non-distributable-layers.4", S)]
    assert urls.outcome is Outcome.FAIL and "missing from the copy" in urls.message
    # umoci insert packs the same folder to the same DiffID, but writes Go-ordered JSON.
    assert get("pack-same-folder-twice", "image.config.layer-diffid.1", U) is Outcome.PASS
    assert get("pack-same-folder-twice", "image.considerations.canonicalization.1",
               U) is Outcome.FAIL
    # skopeo uploads a layer whose media type says non-distributable (layer.md: SHOULD NOT);
    # an error here means no docker-registry binary.
    push = by[("tool:push-nondistributable-layer", "image.layer.non-distributable-layers.3", S)]
    assert push.outcome in (Outcome.FAIL, Outcome.ERROR), push.message


def test_every_must_refuse_case_has_its_own_control():
    """The same image without the fault, which the tool must accept first."""
    rejecting = [c for c in cases() if c.expect == "reject"]
    assert rejecting and all(c.control is not None for c in rejecting), \
        [c.name for c in rejecting if c.control is None]
