"""Negative cases run a control first and refuse for the reason under test (#15 item 5)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.model.judging import Judge
from oci_conform.model.outcome import Outcome
from oci_conform.suites.registry.judging import refused
from oci_conform.suites.registry.runner import CASES
from tests.support.hostile_registry import HostileRegistry, json_answer, ok

# every "must refuse / must error" case of the suite (the ones judging a 4xx as the outcome)
NEGATIVE = {
    "single-post-digest-mismatch", "monolithic-digest-mismatch", "chunked-out-of-order",
    "chunked-first-not-zero", "chunked-range-size-mismatch", "chunked-close-wrong-digest",
    "chunked-close-without-digest", "chunked-final-out-of-order", "push-invalid-digest",
    "manifest-digest-mismatch", "manifest-missing-blobs", "index-missing-manifest",
    "manifest-too-many-tag-parameters", "manifest-oversized", "manifest-unknown",
    "repository-unknown", "blob-unknown", "blob-range-unsatisfiable", "tags-unknown-repository",
    "referrers-invalid-digest", "delete-manifest-missing-repository", "delete-blob-unknown",
    "name-invalid", "tag-invalid", "reference-invalid", "digest-invalid",
    "error-unknown-upload", "error-invalid-manifest", "path-traversal", "push-path-traversal",
}


def test_every_negative_case_has_a_control() -> None:
    names = {c.name for c in CASES}
    assert NEGATIVE <= names
    assert sorted(c.name for c in CASES if c.name in NEGATIVE and c.control is None) == []


class _Resp:
    """A response value for the pure judgment (a fake: no HTTP behind it)."""

    def __init__(self, status: int, body: bytes):
        self.status_code, self.content, self.request = status, body, None


@pytest.mark.parametrize("status, body, outcome", [
    (400, b'{"errors":[{"code":"DIGEST_INVALID","message":"x"}]}', Outcome.PASS),
    (400, b"bad request", Outcome.PASS),                         # says nothing: status only
    (400, b'{"errors":[{"code":"NAME_UNKNOWN","message":"x"}]}', Outcome.FAIL),
    (201, b"", Outcome.FAIL),
])
def test_refusal_must_name_the_fault(status: int, body: bytes, outcome: Outcome) -> None:
    j = Judge(("dist.spec.single-post.3",), strict=True)
    refused(j, "dist.spec.single-post.3", _Resp(status, body), (400,),  # type: ignore[arg-type]
            "digest mismatch", ("DIGEST_INVALID",))
    assert j.verdicts()["dist.spec.single-post.3"].outcome == outcome


def test_a_status_only_refusal_says_so_and_judges_the_status() -> None:
    """Where no row of the code table describes the fault, the status alone is judged and
    the message says so (the codes given are shown, not judged)."""
    j = Judge(("dist.spec.pulling-blobs.7",), strict=True)
    refused(j, "dist.spec.pulling-blobs.7",  # type: ignore[arg-type]
            _Resp(416, b'{"errors":[{"code":"DENIED","message":"x"}]}'), (416,), "range",
            (), status_only="no code for a range past the end")
    verdict = j.verdicts()["dist.spec.pulling-blobs.7"]
    assert verdict.outcome == Outcome.PASS
    assert "status only: no code for a range past the end" in verdict.message
    assert "DENIED" in verdict.message
    j = Judge(("dist.spec.pulling-blobs.7",), strict=True)
    refused(j, "dist.spec.pulling-blobs.7", _Resp(200, b""), (416,),  # type: ignore[arg-type]
            "range", (), status_only="no code")
    assert j.verdicts()["dist.spec.pulling-blobs.7"].outcome == Outcome.FAIL


def test_a_registry_refusing_everything_is_error_not_pass(tmp_path: Path) -> None:
    """Every upload answered 400 DIGEST_INVALID: the digest-mismatch cases used to pass;
    their control (the same upload with the right digest) fails, so they are error."""
    cases = ["single-post-digest-mismatch", "monolithic-digest-mismatch",
             "chunked-close-wrong-digest"]
    with HostileRegistry() as reg:
        reg.on("GET", "/v2/", ok())
        reg.on("*", r"/v2/.+/blobs/uploads/.*", json_answer(
            400, {"errors": [{"code": "DIGEST_INVALID", "message": "always"}]}))
        args = [sys.executable, "-m", "oci_conform", "registry", "test", reg.url,
                "--format", "json", "--results", str(tmp_path / "r.json"),
                "--request-timeout", "10"]
        for case in cases:
            args += ["--case", case]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    results = json.loads((tmp_path / "r.json").read_text())["results"]
    judged = [r for r in results if r["case"].removeprefix("registry:") in cases]
    assert {r["case"].removeprefix("registry:") for r in judged} == set(cases)
    assert {r["outcome"] for r in judged} == {"error"}, judged
    assert all("control failed" in r["message"] for r in judged)
    assert proc.returncode == 3


def _run_cases(url: str, cases: set[str], out: Path) -> tuple[subprocess.CompletedProcess,
                                                               list[dict]]:
    args = [sys.executable, "-m", "oci_conform", "registry", "test", url, "--profile", "dev",
            "--format", "json", "--results", str(out), "--request-timeout", "20"]
    for case in sorted(cases):
        args += ["--case", case]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=out.parent)
    return proc, json.loads(out.read_text())["results"]


def test_every_refusal_is_judged_by_its_reason(tmp_path: Path) -> None:
    """The reference registry behind a proxy that keeps each status but names DENIED: every
    negative case whose fault has a row in the spec's error code table now fails (the refusal
    names another fault); the others say they judged the status only. Without the proxy the
    same cases pass, so the failures come from the codes alone."""
    from oci_conform.reference.registry import RegistryConfig, RegistryServer
    from tests.support.wrong_reason_proxy import WrongReasonProxy
    with RegistryServer(RegistryConfig(tmp_path / "storage")) as server:
        proc, straight = _run_cases(server.url, NEGATIVE, tmp_path / "straight.json")
        assert "Traceback" not in proc.stderr, proc.stderr
        with WrongReasonProxy(server.url) as proxy:
            proc, proxied = _run_cases(proxy.url, NEGATIVE, tmp_path / "proxied.json")
            assert proxy.rewritten > 0
    assert "Traceback" not in proc.stderr, proc.stderr
    assert {r["outcome"] for r in straight if r["case"].startswith("registry:")
            and r["case"].removeprefix("registry:") in NEGATIVE} <= {"pass", "n/a"}, straight
    by_case: dict[str, list[dict]] = {}
    for r in proxied:
        by_case.setdefault(r["case"].removeprefix("registry:"), []).append(r)
    status_only, wrong, other = set(), set(), {}
    for case in NEGATIVE:
        rows = by_case.get(case, [])
        if any(r["outcome"] == "fail" and ("name another fault" in r["message"]
                                           or "DENIED" in r["message"]) for r in rows):
            wrong.add(case)
        elif any("status only" in r["message"] for r in rows) \
                and not any(r["outcome"] == "fail" for r in rows):
            status_only.add(case)
        else:
            other[case] = [(r["clause"], r["outcome"], r["message"][:120]) for r in rows]
    assert status_only == STATUS_ONLY, (status_only, other)
    # a 414 is allowed, not required, and is no refusal of a fault: what it judges is that
    # no tag of the refused request was applied
    assert set(other) == {"manifest-too-many-tag-parameters"}, other
    assert wrong == NEGATIVE - STATUS_ONLY - set(other)


# negative cases whose fault no row of the spec's error code table describes (reasons.py)
STATUS_ONLY = {"blob-range-unsatisfiable", "manifest-oversized", "tag-invalid",
               "reference-invalid"}
