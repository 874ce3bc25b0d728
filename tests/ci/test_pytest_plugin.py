"""The pytest plugin, run inside pytester sessions on real fixtures and a real runc."""
from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[2]
GOOD_CONFIG = REPO / "fixtures/config/good/full.json"
BAD_CONFIG = REPO / "fixtures/config/bad/rt.config-linux.block-io.1.json"
GOOD_IMAGE = REPO / "fixtures/image/good/oci-single"
BAD_IMAGE = REPO / "fixtures/image/bad/image.config.properties.4--config-arch-missing"


def test_inert_without_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["plugins:*oci-conform-*", "collected 1 item"])
    helped = pytester.runpytest("--help")
    helped.stdout.fnmatch_lines(["*--oci-runtime=NAME=CMD*", "*--oci-config=PATH*"])


def test_good_config_gives_passing_items(pytester: pytest.Pytester) -> None:
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--oci-config={GOOD_CONFIG}",
                                f"--junitxml={junit}")
    counts = result.parseoutcomes()
    assert counts.get("passed", 0) > 50, counts
    assert "failed" not in counts and "errors" not in counts, counts
    cases = ET.parse(junit).getroot().iter("testcase")
    props = [{p.get("name"): p.get("value") for p in case.iter("property")} for case in cases]
    assert all(p["clause"] and p["implementation"] == str(GOOD_CONFIG) for p in props)
    assert any(p["level"] == "MUST" and p["link"].startswith("https://") for p in props)


def test_bad_config_fails_naming_the_clause(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", f"--oci-config={BAD_CONFIG}")
    result.assert_outcomes(failed=1, passed=result.parseoutcomes()["passed"],
                           skipped=result.parseoutcomes()["skipped"])
    result.stdout.fnmatch_lines(["*rt.config.property-values fail on*rt.config-linux.block-io.1*",
                                 f"*{BAD_CONFIG.name}:*expected object*"])
    assert "Traceback" not in result.stdout.str()
    # -m on the level markers and -k on the clause id select through pytest itself
    should = pytester.runpytest("-p", "no:cacheprovider", f"--oci-config={BAD_CONFIG}",
                                "-m", "oci_should")
    assert "failed" not in should.parseoutcomes()
    only = pytester.runpytest("-p", "no:cacheprovider", f"--oci-config={BAD_CONFIG}",
                              "-k", "rt.config.property-values")
    only.assert_outcomes(failed=1)


PASSING = "rt.config-linux.cgroups-path.1"


def test_expected_failure_is_strict_xfail(pytester: pytest.Pytester) -> None:
    def expect(clause: str) -> Path:
        path = pytester.path / f"exp-{clause}.json"
        path.write_text(json.dumps({"expectations": [{
            "implementation": str(BAD_CONFIG), "clause": clause,
            "reason": "known", "link": "https://example.invalid/issue/1"}]}))
        return path
    known = pytester.runpytest("-p", "no:cacheprovider", f"--oci-config={BAD_CONFIG}",
                               f"--oci-expectations={expect('rt.config.property-values')}",
                               "-k", f"rt.config.property-values or config[{PASSING}]")
    known.assert_outcomes(xfailed=1, passed=1, deselected=known.parseoutcomes()["deselected"])
    # an expectation on a clause that passes: strict xfail turns the pass red
    stale = pytester.runpytest("-p", "no:cacheprovider", f"--oci-config={BAD_CONFIG}",
                               f"--oci-expectations={expect(PASSING)}",
                               "-k", f"config[{PASSING}]")
    stale.assert_outcomes(failed=1)
    stale.stdout.fnmatch_lines(["*XPASS(strict)*"])


def test_images_good_and_bad(pytester: pytest.Pytester) -> None:
    good = pytester.runpytest("-p", "no:cacheprovider", f"--oci-image=oci:{GOOD_IMAGE}", "-x")
    counts = good.parseoutcomes()
    assert counts.get("passed", 0) > 10 and "failed" not in counts, counts
    bad = pytester.runpytest("-p", "no:cacheprovider", f"--oci-image=oci:{BAD_IMAGE}", "-x")
    counts = bad.parseoutcomes()
    assert counts.get("failed") == 1, counts      # -x stops at the first
    bad.stdout.fnmatch_lines(["*image.config.*fail on*"])


def test_bad_option_is_one_line(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--oci-runtime=nonsense")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--oci-runtime nonsense: --runtime wants NAME=COMMAND*"])
    assert "Traceback" not in result.stderr.str()
    missing = pytester.runpytest("-p", "no:cacheprovider", "--oci-config=/no/such/file.json")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["*--oci-config /no/such/file.json: cannot read*"])


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("runc") is None or os.geteuid() != 0,
                    reason="needs runc and root")
def test_runtime_cases_on_runc(pytester: pytest.Pytester) -> None:
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest("-p", "no:cacheprovider", "--oci-runtime=runc=runc",
                                "-k", "delete-unknown-id or delete-without-id",
                                f"--junitxml={junit}", "-v")
    result.assert_outcomes(passed=2, deselected=result.parseoutcomes()["deselected"])
    result.stdout.fnmatch_lines(["*oci-runtime?runc?::delete-without-id-errors"
                                 "?rt.runtime.delete.1? PASSED*"])
    names = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase")]
    assert sorted(names) == ["delete-unknown-id-errors[rt.runtime.delete.2]",
                             "delete-without-id-errors[rt.runtime.delete.1]"]
    # a runtime binary that is not installed: every item skips with the reason
    absent = pytester.runpytest("-p", "no:cacheprovider", "--oci-runtime=nope=no-such-runtime",
                                "-k", "delete-without-id", "-rs")
    absent.assert_outcomes(skipped=1, deselected=absent.parseoutcomes()["deselected"])
    absent.stdout.fnmatch_lines(["*no-such-runtime is not installed*"])


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("runc") is None or os.geteuid() != 0,
                    reason="needs runc and root")
def test_strict_xfail_is_per_case_on_runc(pytester: pytest.Pytester) -> None:
    """rt.runtime.delete.2 is judged by three cases; runc fails only delete-created-errors."""
    def expect(**entry: str) -> Path:
        path = pytester.path / f"exp-{entry.get('case', 'clause')}.json"
        path.write_text(json.dumps({"expectations": [{
            "implementation": "runc", "clause": "rt.runtime.delete.2", "reason": "known",
            **entry}]}))
        return path
    select = ("-p", "no:cacheprovider", "--oci-runtime=runc=runc", "-rxX", "-k",
              "delete-created-errors or delete-unknown-id-errors")
    # the failing case expected: it is the one xfail, its passing sibling a plain pass
    known = pytester.runpytest(*select,
                               f"--oci-expectations={expect(case='delete-created-errors')}")
    known.assert_outcomes(xfailed=1, passed=1, deselected=known.parseoutcomes()["deselected"])
    known.stdout.fnmatch_lines(["XFAIL*delete-created-errors?rt.runtime.delete.2?*known*"])
    # the passing case expected: its strict xfail turns red, the unexpected failure stays red
    wrong = pytester.runpytest(*select,
                               f"--oci-expectations={expect(case='delete-unknown-id-errors')}")
    wrong.assert_outcomes(failed=2, deselected=wrong.parseoutcomes()["deselected"])
    wrong.stdout.fnmatch_lines(["*_ delete-unknown-id-errors?rt.runtime.delete.2? _*",
                                "?XPASS(strict)? known"])
    # a clause-only entry: the clause has three cases, so the passing sibling stays a pass
    # although the plugin runs one case at a time
    clause = pytester.runpytest(*select, f"--oci-expectations={expect()}")
    clause.assert_outcomes(xfailed=1, passed=1, deselected=clause.parseoutcomes()["deselected"])


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.integration
def test_registry_cases_on_the_reference_registry(pytester: pytest.Pytester,
                                                  tmp_path: Path) -> None:
    import subprocess
    import sys
    import time
    import urllib.request
    port = _free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "oci-conform-registry"),
                               "serve", "--listen", f"127.0.0.1:{port}", "--storage",
                               str(tmp_path / "store")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        result = pytester.runpytest("-p", "no:cacheprovider",
                                    f"--oci-registry=ref=http://127.0.0.1:{port}",
                                    "-k", "manifest-get-by-tag or blob-unknown", "-v")
        counts = result.parseoutcomes()
        assert counts.get("passed", 0) >= 10 and "failed" not in counts, counts
        result.stdout.fnmatch_lines(["*oci-registry?ref?::blob-unknown?dist.spec.error-codes.1?"
                                     " PASSED*"])
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_unreachable_registry_says_why(pytester: pytest.Pytester) -> None:
    port = _free_port()       # nothing listens there
    result = pytester.runpytest("-p", "no:cacheprovider",
                                f"--oci-registry=gone=http://127.0.0.1:{port}",
                                "-k", "blob-unknown")
    counts = result.parseoutcomes()
    assert counts.get("errors", 0) >= 1 and "passed" not in counts, counts
    result.stdout.fnmatch_lines(["*not observed: harness.registry.reachable:*"])
    assert "Traceback" not in result.stdout.str()
