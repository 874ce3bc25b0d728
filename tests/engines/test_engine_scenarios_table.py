"""scripts/engine_scenarios.py: tables and control comparison from a junit report."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "engine_scenarios.py"
SPEC = importlib.util.spec_from_file_location("engine_scenarios", SCRIPT)
assert SPEC and SPEC.loader
ES = importlib.util.module_from_spec(SPEC)
sys.modules.setdefault("engine_scenarios", ES)        # dataclasses look their module up
SPEC.loader.exec_module(ES)

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.engines.test_docker_reference_runtime"
  name="test_healthcheck[runc]" time="1"/>
<testcase classname="tests.engines.test_docker_reference_runtime"
  name="test_healthcheck[oci-conform]" time="1"><failure message="boom"/></testcase>
<testcase classname="tests.engines.test_podman_reference_runtime"
  name="test_healthcheck[runc]" time="1"/>
<testcase classname="tests.engines.test_podman_reference_runtime"
  name="test_healthcheck[reference]" time="1"/>
<testcase classname="tests.engines.test_docker_reference_runtime"
  name="test_limits_read_back_inside[runc]" time="0">
  <skipped message="a cgroup v2 host"/></testcase>
<testcase classname="tests.engines.test_docker_reference_runtime"
  name="test_limits_read_back_inside[oci-conform]" time="0">
  <skipped message="a cgroup v2 host"/></testcase>
<testcase classname="tests.engines.test_docker_registry_clients"
  name="test_docker_login_push_pull[docker-registry-token]" time="1"/>
<testcase classname="tests.engines.test_docker_registry_clients"
  name="test_docker_login_push_pull[reference-token]" time="1"/>
<testcase classname="tests.engines.test_docker_registry_clients"
  name="test_podman_search_lists_the_catalog[reference-none]" time="1"/>
<testcase classname="tests.other.test_x" name="test_y[runc]" time="1"/>
</testsuite></testsuites>"""


def _found(tmp_path: Path):
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    return ES.cells(path), path


def test_tables_show_each_outcome_in_its_column(tmp_path):
    found, _ = _found(tmp_path)
    assert len(found) == 9                        # the unrelated module is left out
    runtime = ES.runtime_table(found).splitlines()
    assert runtime[0] == ("| scenario | podman + runc | podman + reference | docker + runc "
                          "| docker + reference | containerd + runc | containerd + reference |")
    assert "| healthcheck | pass | pass | pass | FAIL | - | - |" in runtime
    assert any(r.startswith("| limits read back inside | - | - | skip: a cgroup v2 host")
               for r in runtime)
    registry = ES.registry_table(found).splitlines()
    assert "| docker login push pull (token auth) | pass | pass |" in registry
    assert "| podman search lists the catalog | - | pass |" in registry


def test_a_reference_unlike_its_control_or_without_one_is_reported(tmp_path):
    found, path = _found(tmp_path)
    unlike = ES.differences(found)
    assert any("healthcheck [docker, oci-conform]: failed" in u for u in unlike)
    assert any(u.startswith("healthcheck [docker]: oci-conform 'FAIL', runc 'pass'")
               for u in unlike)
    assert any("podman search lists the catalog" in u and "no control run" in u
               for u in unlike)
    assert not any("limits" in u or "login" in u for u in unlike)
    assert ES.main(["--junit", str(path)]) == 1
