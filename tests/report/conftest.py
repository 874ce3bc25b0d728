"""Shared fixtures for the report tests.

The Results here are SYNTHETIC (built with the model classes, not from a run): renderers are pure
functions of Results, so hand-made data covering every outcome is the right input for them.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from oci_conform.model.evidence import Evidence, HttpExchange, ProcessRun
from oci_conform.model.outcome import Level, Outcome
from oci_conform.model.results import (
    CaseResult,
    ClauseInfo,
    Finding,
    Implementation,
    Results,
)

REPO = Path(__file__).resolve().parents[2]
# ../shared next to the clone; OCI_CONFORM_SHARED points elsewhere (a worktree's shared folder)
SHARED = Path(os.environ.get("OCI_CONFORM_SHARED") or REPO.parent / "shared")
FORMATS = SHARED / "formats"


def shared_file(name: str) -> Path:
    """A file of ../shared/formats, or skip the test saying what is missing."""
    path = FORMATS / name
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared format schemas live next to the repo); "
                    "cannot validate against it here")
    return path


def _clause(cid: str, spec: str, doc: str, level: Level, summary: str) -> ClauseInfo:
    link = f"https://example.invalid/{spec}/{doc}#{cid.rsplit('.', 1)[0]}"
    return ClauseInfo(id=cid, spec=spec, document=doc, section="", level=level, summary=summary,
                      link=link)


def sample_results() -> Results:
    """Three implementations, every outcome, file findings, HTTP and runtime evidence."""
    clauses = [
        _clause("rt.runtime.state.1", "runtime-spec", "runtime", Level.MUST,
                "state reports the container id"),
        _clause("rt.runtime.state.2", "runtime-spec", "runtime", Level.MUST,
                "state reports status <created|running> & more"),
        _clause("rt.config.process.1", "runtime-spec", "config", Level.SHOULD,
                "process.cwd should be absolute"),
        _clause("img.manifest.layers.1", "image-spec", "manifest", Level.MUST,
                "layers entries are descriptors"),
        _clause("img.config.created.1", "image-spec", "config", Level.MAY,
                "created may hold a date-time"),
        _clause("dist.pull.manifest.1", "distribution-spec", "spec", Level.MUST,
                "GET on a manifest returns it"),
    ]
    impls = [Implementation("runc", "runtime", "/usr/sbin/runc", "1.1.5", "1.0.2"),
             Implementation("crun", "runtime", "crun (unshare wrapper)", "1.8.1", "1.0.0"),
             Implementation("registry", "registry", "http://127.0.0.1:5000", "2.8.2"),
             Implementation("youki", "runtime", "youki", available=False,
                            reason="not installed")]
    http = Evidence(exchanges=[HttpExchange.recorded(
        "GET", "http://127.0.0.1:5000/v2/x/manifests/latest", 404,
        request_headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        response_headers={"Content-Type": "application/json"},
        response_body='{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')])
    runtime_ev = Evidence(runs=[ProcessRun(
        ["runc", "--root", "/tmp/r", "state", "c1"], 1, stdout="",
        stderr="line 1\nerror: container <c1> does not exist\n")])
    results = [
        CaseResult("rt.runtime.state.1", "runc", Outcome.PASS, "state-basic", duration=0.12),
        CaseResult("rt.runtime.state.1", "crun", Outcome.FAIL, "state-basic",
                   "id missing from state output",
                   [Finding("id is absent", "/id", "c1", "(missing)")], runtime_ev, 0.2),
        CaseResult("rt.runtime.state.2", "runc", Outcome.XFAIL, "state-status",
                   "status was 'stopped'", expectation="runc 1.1.5 reports stopped; known bug"),
        CaseResult("rt.runtime.state.2", "crun", Outcome.XPASS, "state-status",
                   expectation="expected to fail in crun 1.8"),
        CaseResult("rt.config.process.1", "runc", Outcome.FAIL, "config-static", "cwd relative",
                   [Finding("cwd is not absolute", "/process/cwd", "absolute path", "tmp",
                            file="bundle/config.json", line=7, column=12)]),
        CaseResult("rt.config.process.1", "crun", Outcome.ERROR, "config-static",
                   "runtime crashed: <script>alert(1)</script>", evidence=runtime_ev),
        CaseResult("rt.runtime.state.1", "youki", Outcome.SKIP, message="youki is not installed"),
        CaseResult("img.manifest.layers.1", "runc", Outcome.NA, message="not an image tool"),
        CaseResult("img.manifest.layers.1", "crun", Outcome.NA, message="not an image tool"),
        CaseResult("img.config.created.1", "runc", Outcome.FAIL, "image-static", "bad date",
                   [Finding("created is not RFC 3339", "/created", "date-time", "yesterday",
                            file="blobs/sha256/abc", line=3, column=14)]),
        CaseResult("dist.pull.manifest.1", "registry", Outcome.FAIL, "pull", "404 on pull",
                   [Finding("manifest not found", "GET /v2/x/manifests/latest", "200", "404")],
                   http, 0.05),
        CaseResult("dist.pull.ghost.9", "registry", Outcome.PASS, "pull",
                   "clause not in the snapshot"),
    ]
    return Results(tool_version="0.1.0", catalog_version="2026.11", started="2026-11-29T10:00:00Z",
                   finished="2026-11-29T10:05:00Z",
                   host={"hostname": "ci-1", "kernel": "6.1.0", "machine": "x86_64", "cpus": 2},
                   specs={"runtime-spec": "1.2.0", "image-spec": "1.1.0",
                          "distribution-spec": "1.1.1"},
                   implementations=impls, clauses={c.id: c for c in clauses}, results=results,
                   command=["oci-conform", "matrix"])


@pytest.fixture
def results() -> Results:
    return sample_results()
