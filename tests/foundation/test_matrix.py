"""``oci-conform matrix`` end to end on real registries: every exit code, and the files it
writes validate (results schema, JUnit XSD) or parse back (TAP) with the same counts."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from oci_conform.model.outcome import Outcome
from oci_conform.model.results import Results
from oci_conform.model.rollup import cell_outcomes
from oci_conform.reference.registry import RegistryConfig, RegistryServer
from oci_conform.reference.registry.server import free_port
from oci_conform.results_file import schema_problems

pytestmark = pytest.mark.integration

# A handful of pull-side clauses: enough to be real, quick to run.
CLAUSES = ["--clause", "dist.spec.pulling-manifests", "--clause", "dist.spec.pulling-blobs"]


@pytest.fixture(scope="module")
def reference_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with RegistryServer(RegistryConfig(tmp_path_factory.mktemp("ref") / "s")) as server:
        yield server.url


@pytest.fixture(scope="module")
def docker_registry_url() -> Iterator[str]:
    """Debian's docker-registry 2.8: it accepts chunks out of order (a real MUST failure)."""
    from oci_conform.drivers.docker_registry import DockerRegistry, binary_path
    if not binary_path():
        pytest.skip("docker-registry (Debian package) is not installed")
    with DockerRegistry() as registry:
        yield registry.url


CHUNKS = ["--clause", "dist.spec.pushing-a-blob-in-chunks.4"]


def matrix(tmp_path: Path, *args: str) -> tuple[int, Path, str]:
    reports = tmp_path / "reports"
    proc = subprocess.run([sys.executable, "-m", "oci_conform", "matrix", "--only-given",
                           "--reports", str(reports), *args], capture_output=True, text=True,
                          timeout=600)
    assert "Traceback" not in proc.stderr
    return proc.returncode, reports, proc.stdout + proc.stderr


def test_exit_0_and_every_report_file_is_valid(tmp_path: Path, reference_url: str,
                                               shared_dir: Path) -> None:
    code, reports, out = matrix(tmp_path, "--registry", f"ref={reference_url}", *CLAUSES)
    assert code == 0, out
    data = json.loads((reports / "results.json").read_text())
    assert schema_problems(data) == []
    outcomes = Counter(r["outcome"] for r in data["results"])
    assert outcomes["pass"] >= 5 and not outcomes["fail"] and not outcomes["error"]
    assert [i["name"] for i in data["implementations"]] == ["ref"]

    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema (test extra) is not installed")
    junit = xmlschema.XMLSchema(str(shared_dir / "formats" / "junit-10.xsd"))
    junit.validate(str(reports / "junit.xml"))
    cases = junit.to_dict(str(reports / "junit.xml"))
    suites = cases["testsuite"] if "testsuite" in cases else [cases]
    testcases = [c for s in suites for c in s.get("testcase", [])]
    cells = {(r["clause"], r["implementation"]) for r in data["results"]}
    assert len(testcases) == len(cells)

    tap_parser = pytest.importorskip("tap.parser", reason="tap.py (test extra) is not installed")
    text = (reports / "results.tap").read_text()
    assert text.startswith("TAP version 14")
    sub = "\n".join(ln[4:] for ln in text.splitlines() if ln.startswith("    "))
    tests = [ln for ln in tap_parser.Parser().parse_text(sub) if ln.category == "test"]
    assert len(tests) == len(cells)
    per_cell = Counter(cell_outcomes(Results.from_dict(data)).values())
    assert sum(t.skip for t in tests) == per_cell[Outcome.SKIP] + per_cell[Outcome.NA]
    assert sum(not t.ok for t in tests) == per_cell[Outcome.FAIL] + per_cell[Outcome.ERROR]


def test_exit_1_when_a_must_fails(tmp_path: Path, docker_registry_url: str) -> None:
    code, reports, out = matrix(tmp_path, "--registry", f"docker={docker_registry_url}", *CHUNKS)
    data = json.loads((reports / "results.json").read_text())
    assert any(r["outcome"] == "fail" for r in data["results"]), out
    assert code == 1, out


def test_expectations_turn_that_fail_into_xfail(tmp_path: Path, docker_registry_url: str
                                                ) -> None:
    first, reports, _ = matrix(tmp_path, "--registry", f"docker={docker_registry_url}", *CHUNKS)
    failing = sorted({r["clause"] for r in json.loads((reports / "results.json").read_text())
                      ["results"] if r["outcome"] == "fail"})
    expectations = tmp_path / "expect.json"
    expectations.write_text(json.dumps({"expectations": [
        {"implementation": "docker", "clause": c,
         "reason": "distribution 2.8 ignores Content-Range",
         "link": "https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md"}
        for c in failing]}))
    code, reports, out = matrix(tmp_path, "--registry", f"docker={docker_registry_url}", *CHUNKS,
                                "--expectations", str(expectations))
    outcomes = Counter(r["outcome"] for r in json.loads((reports / "results.json").read_text())
                       ["results"])
    assert first == 1 and outcomes["xfail"] == len(failing) and not outcomes["fail"], out
    assert code == 0, out


def test_exit_3_when_the_registry_is_not_there(tmp_path: Path) -> None:
    code, reports, out = matrix(tmp_path, "--registry", f"gone=http://127.0.0.1:{free_port()}",
                                *CLAUSES)
    assert code == 3, out
    data = json.loads((reports / "results.json").read_text())
    outcomes = Counter(r["outcome"] for r in data["results"])
    assert outcomes["error"] and not outcomes["fail"], outcomes


def test_exit_4_when_nothing_is_selected(tmp_path: Path, reference_url: str) -> None:
    code, _reports, out = matrix(tmp_path, "--registry", f"ref={reference_url}",
                                 "--clause", "no.such.clause")
    assert code == 4, out


def test_exit_2_on_a_bad_implementation(tmp_path: Path) -> None:
    code, _reports, out = matrix(tmp_path, "--registry", "no-equals-sign")
    assert code == 2 and "error:" in out
