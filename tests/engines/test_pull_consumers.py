"""Engines as consumers by pull: ``podman pull``, ``ctr images pull --plain-http`` and
``docker pull`` of the OCI corpus from a read-only loopback registry that serves each layout
as it is (``drivers/layout_registry.py``).  Judged only on consumer-binding clauses, each
case after its control; the server itself is checked over real HTTP."""
from __future__ import annotations

import glob
import hashlib
import http.client
import json
import os
import shutil
import tempfile

import pytest

from oci_conform.catalog.loader import default_catalog
from oci_conform.drivers.dockerd import dockerd_path
from oci_conform.drivers.image_sources.build import write_layout
from oci_conform.drivers.image_sources.corpus import LAYOUT_CASES
from oci_conform.drivers.layout_registry import LayoutRegistry
from oci_conform.model.outcome import Outcome
from oci_conform.orchestrate import PlanItem, run_plan
from oci_conform.suites import RunContext
from oci_conform.suites.image_pull import pull_cases
from oci_conform.suites.image_tools import SUITE as TOOLS


def _get(host: str, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(host, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_the_layout_registry_serves_a_layout_as_it_is(tmp_path):
    layout = write_layout(tmp_path / "corpus" / "good")
    index = json.loads((layout / "index.json").read_bytes())
    digest = index["manifests"][0]["digest"]
    with LayoutRegistry(tmp_path) as reg:
        assert reg.reference(layout) == f"{reg.host}/corpus/good:latest"
        status, headers, body = _get(reg.host, "/v2/")
        assert status == 200 and headers["docker-distribution-api-version"] == "registry/2.0"
        status, headers, body = _get(reg.host, "/v2/corpus/good/manifests/latest")
        assert status == 200 and headers["docker-content-digest"] == digest
        assert headers["content-type"] == "application/vnd.oci.image.manifest.v1+json"
        assert "sha256:" + hashlib.sha256(body).hexdigest() == digest
        layer = json.loads(body)["layers"][0]
        status, headers, blob = _get(reg.host, f"/v2/corpus/good/blobs/{layer['digest']}")
        assert status == 200 and len(blob) == layer["size"]
        assert headers["content-type"] == "application/octet-stream"
        status, headers, body = _get(reg.host, f"/v2/corpus/good/manifests/{digest}", "HEAD")
        assert status == 200 and body == b"" and headers["docker-content-digest"] == digest
        # unknown names, tags and blobs; bad grammar; writes: JSON errors, never a traceback
        for path, status_code, code in (
                ("/v2/corpus/none/manifests/latest", 404, "NAME_UNKNOWN"),
                ("/v2/corpus/good/manifests/other", 404, "MANIFEST_UNKNOWN"),
                ("/v2/corpus/good/blobs/sha256:" + "0" * 64, 404, "BLOB_UNKNOWN"),
                ("/v2/corpus/good/blobs/sha256:xyz", 400, "DIGEST_INVALID"),
                ("/v2/corpus/../corpus/good/manifests/latest", 400, "NAME_INVALID"),
                ("/v2/Corpus/good/manifests/latest", 400, "NAME_INVALID")):
            status, _, body = _get(reg.host, path)
            assert (status, json.loads(body)["errors"][0]["code"]) == (status_code, code), path
        assert _get(reg.host, "/v2/corpus/good/blobs/uploads/", "POST")[0] == 405
        # a blob that is a symlink (or any non-regular file) is not served
        target = layout / "blobs" / "sha256" / layer["digest"][7:]
        target.unlink()
        target.symlink_to("/etc/passwd")
        assert _get(reg.host, f"/v2/corpus/good/blobs/{layer['digest']}")[0] == 404
        host = reg.host
    with pytest.raises(OSError):                       # stopped: the port is closed
        _get(host, "/v2/")


NEEDS = {"podman-pull": ("podman",), "ctr-pull": ("ctr", "containerd"),
         "docker-pull": ("dockerd", "docker")}
# how each engine names the fault when it refuses a layer whose bytes do not hash to the
# digest the manifest names (checked in the refusal's stderr)
DIGEST_WORDS = ("digest",)


@pytest.mark.integration
@pytest.mark.parametrize("column", sorted(NEEDS))
def test_engine_pulls_the_corpus(tmp_path, column, monkeypatch):
    if not all(shutil.which(t) for t in NEEDS[column]):
        pytest.skip(f"{', '.join(NEEDS[column])} missing")
    if column == "docker-pull" and (dockerd_path() is None or os.geteuid() != 0):
        pytest.skip("docker.io (dockerd, /usr/bin/docker) and root needed")
    # the temp folders this run makes (daemon sockets and state), whatever other runs on
    # the host make meanwhile; podman's runroots are oc-pull-*, made by the pull column only
    made: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def spy(*args, **kwargs):
        made.append(real_mkdtemp(*args, **kwargs))
        return made[-1]
    monkeypatch.setattr(tempfile, "mkdtemp", spy)
    before = set(glob.glob("/tmp/oc-pull-*"))
    catalog = default_catalog()
    ctx = RunContext(catalog=catalog, workdir=tmp_path)
    impl = TOOLS.parse_implementation(column)
    assert impl.available, impl.reason
    results = run_plan([PlanItem(TOOLS, [impl])], ctx)
    assert results.complete, results.harness_errors
    cases = LAYOUT_CASES + pull_cases()
    consumer = {c.consumer for c in cases if c.consumer and not c.consumer_tools}
    judged = [r for r in results.results if r.outcome is not Outcome.NA]
    assert {r.clause for r in judged} == consumer
    for r in judged:
        assert catalog.clauses[r.clause].binds == "image-tool"
        assert r.outcome in (Outcome.PASS, Outcome.FAIL), (r.clause, r.message)
        control, case = r.evidence.runs[0], r.evidence.runs[-1]
        assert control.exit_code == 0, control.stderr
        ref = case.argv[-1]
        assert ref.startswith("127.0.0.1:") and ref.endswith(f"/corpus/{r.case[5:]}:latest")
        assert (r.outcome is Outcome.PASS) == (case.exit_code != 0)
    # every engine refuses a layer whose bytes do not match its digest, and says why
    lie = next(r for r in judged if r.case == "tool:layer-digest-lies")
    assert lie.outcome is Outcome.PASS, lie.message
    assert any(w in lie.evidence.runs[-1].stderr.lower() for w in DIGEST_WORDS), \
        lie.evidence.runs[-1].stderr
    for r in results.results:
        if r.outcome is Outcome.NA:
            assert "a rule on the image" in r.message or "binds" in r.message or \
                "does not read docker-archive" in r.message, r.message
    assert set(glob.glob("/tmp/oc-pull-*")) <= before
    assert [p for p in made if os.path.exists(p)] == []
    if column != "podman-pull":
        assert made, "the daemon's temp folders were not seen"
    assert not _processes_naming(str(tmp_path))


def _processes_naming(text: str) -> list[str]:
    """Command lines of live processes that name ``text`` (daemons or shims left behind)."""
    found = []
    for entry in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(entry, "rb") as f:
                line = f.read(8192).replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in line and str(os.getpid()) != entry.split("/")[2]:
            found.append(line)
    return found


@pytest.mark.integration
@pytest.mark.parametrize("column", sorted(NEEDS))
def test_a_puller_that_refuses_the_control_gives_error(tmp_path, column):
    if not all(shutil.which(t) for t in NEEDS[column]):
        pytest.skip(f"{', '.join(NEEDS[column])} missing")
    if column == "docker-pull" and (dockerd_path() is None or os.geteuid() != 0):
        pytest.skip("docker.io (dockerd, /usr/bin/docker) and root needed")
    ctx = RunContext(catalog=default_catalog(), workdir=tmp_path)
    impl = TOOLS.parse_implementation(f"{column}=/bin/false")
    results = run_plan([PlanItem(TOOLS, [impl])], ctx)
    judged = [r for r in results.results if r.outcome is not Outcome.NA]
    assert judged and all(r.outcome is Outcome.ERROR for r in judged)


def test_a_puller_that_accepts_everything_fails_the_reader_rules(tmp_path):
    """A scripted fake consumer (``/bin/true`` in place of podman: every pull "succeeds"
    without reading anything) fails exactly the consumer-binding clauses of the cases that
    reach it, and nothing else: the fail path of the pull columns, without an engine."""
    ctx = RunContext(catalog=default_catalog(), workdir=tmp_path)
    impl = TOOLS.parse_implementation("podman-pull=/bin/true")
    results = run_plan([PlanItem(TOOLS, [impl])], ctx)
    assert results.complete, results.harness_errors
    failed = {(r.case, r.clause) for r in results.results if r.outcome is Outcome.FAIL}
    assert failed == {("tool:layer-digest-lies", "image.descriptor.verification.1"),
                      ("tool:layer-size-lies", "image.descriptor.properties.6")}
    assert {r.outcome for r in results.results} == {Outcome.FAIL, Outcome.NA}


def test_the_layout_registry_cuts_off_idle_and_dripping_peers(tmp_path):
    import socket
    import time
    write_layout(tmp_path / "good")
    with LayoutRegistry(tmp_path, timeout=0.5, lifetime=2.0) as reg:
        host, port = reg.host.split(":")
        idle = socket.create_connection((host, int(port)), timeout=10)
        idle.sendall(b"GET /v2/ HT")                  # then nothing
        started = time.monotonic()
        assert idle.recv(100) == b""                  # closed by the server
        assert time.monotonic() - started < 5
        idle.close()
        drip = socket.create_connection((host, int(port)), timeout=10)
        started = time.monotonic()
        closed = False
        for byte in b"GET /v2/ HTTP/1.1\r\nX-Slow: " + b"a" * 200:
            try:
                drip.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            time.sleep(0.3)                           # inside the idle deadline each time
            if time.monotonic() - started > 8:
                break
        if not closed:
            drip.settimeout(5)
            try:
                closed = drip.recv(100) == b""
            except OSError:
                closed = True
        drip.close()
        assert closed and time.monotonic() - started < 8
        # and the server still answers afterwards
        assert _get(reg.host, "/v2/good/manifests/latest")[0] == 200
