"""``oci-conform config validate`` end to end: files, folders, stdin, formats, exit codes."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.cli import main

from .helpers import BAD, GOOD, REPO

CLI = [sys.executable, "-m", "oci_conform"]


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(["config", "validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_good_file_exits_0(capsys) -> None:
    code, out, _ = run([str(GOOD / "full.json")], capsys)
    assert code == 0 and "0 fail" not in out and "pass" in out


def test_must_failure_exits_1_with_place_line_and_link(capsys) -> None:
    path = BAD / "rt.config.process.9.json"
    code, out, _ = run([str(path)], capsys)
    assert code == 1
    assert "rt.config.process.9" in out and "/process/cwd" in out
    assert f"{path}:" in out and "spec: https://github.com/opencontainers/runtime-spec" in out


def test_fail_on_threshold(capsys) -> None:
    path = BAD / "rt.config.root.7.json"          # a SHOULD clause
    assert run([str(path)], capsys)[0] == 0
    assert run([str(path), "--fail-on", "should"], capsys)[0] == 1


def test_json_output_and_results_file(capsys, tmp_path) -> None:
    results = tmp_path / "results.json"
    code, out, _ = run([str(BAD / "rt.config-linux.devices.4.json"), "--format", "json",
                        "--results", str(results)], capsys)
    doc = json.loads(out)
    assert code == 1 and json.loads(results.read_text())["results"]
    fail = [r for r in doc["results"] if r["outcome"] == "fail"]
    assert [r["clause"] for r in fail] == ["rt.config-linux.devices.4"]
    assert fail[0]["findings"][0]["line"] > 0
    assert doc["implementations"][0]["kind"] == "config"


def test_sarif_carries_line_and_column(capsys) -> None:
    path = BAD / "rt.config-linux.masked-paths.2.json"
    code, out, _ = run([str(path), "--format", "sarif"], capsys)
    sarif = json.loads(out)
    located = [loc["physicalLocation"] for run_ in sarif["runs"] for res in run_["results"]
               for loc in res.get("locations", [])]
    regions = [p["region"] for p in located if "region" in p]
    text = path.read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if '"proc/keys"' in t)
    assert code == 1 and any(r["startLine"] == line for r in regions)


def test_bundle_folder_checks_root_directory(tmp_path, capsys) -> None:
    shutil.copy(GOOD / "minimal.json", tmp_path / "config.json")
    code, out, _ = run([str(tmp_path), "--format", "json"], capsys)
    by_clause = {r["clause"]: r for r in json.loads(out)["results"]}
    assert code == 1 and by_clause["rt.config.root.8"]["outcome"] == "fail"
    (tmp_path / "rootfs").mkdir()
    code, out, _ = run([str(tmp_path), "--format", "json"], capsys)
    by_clause = {r["clause"]: r for r in json.loads(out)["results"]}
    assert code == 0 and by_clause["rt.config.root.8"]["outcome"] == "pass"
    assert by_clause["rt.bundle.container-format.1"]["outcome"] == "pass"


def test_folder_without_config_json(tmp_path, capsys) -> None:
    code, out, _ = run([str(tmp_path), "--format", "json"], capsys)
    results = json.loads(out)["results"]
    assert code == 1 and [r["clause"] for r in results] == ["rt.bundle.container-format.1"]


def test_unreadable_path_is_a_usage_error(tmp_path, capsys) -> None:
    code, _, err = run([str(tmp_path / "missing.json")], capsys)
    assert code == 2 and "cannot read" in err


def test_not_json_is_a_failure_not_a_traceback(tmp_path, capsys) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b'{"ociVersion": "1.0.0", "root": ')
    code, out, err = run([str(path)], capsys)
    assert code == 1 and "not valid JSON" in out and "Traceback" not in err


def test_platform_and_version_options(capsys) -> None:
    path = GOOD / "minimal.json"
    code, out, _ = run([str(path), "--platform", "windows", "--format", "json"], capsys)
    by_clause = {r["clause"]: r for r in json.loads(out)["results"]}
    assert by_clause["rt.config.platform-specific-configuration.10"]["outcome"] == "fail"
    assert by_clause["rt.config.root.4"]["outcome"] == "n/a"
    code, out, _ = run([str(BAD / "rt.config.mounts.4.json"), "--spec-version", "1.1.0",
                        "--format", "json"], capsys)
    by_clause = {r["clause"]: r for r in json.loads(out)["results"]}
    assert by_clause["rt.config.mounts.4-pre-1.2"]["outcome"] == "fail"
    assert by_clause["rt.config.mounts.4"]["outcome"] == "n/a"


def test_stdin_in_a_subprocess() -> None:
    data = (BAD / "rt.config.hooks.4.json").read_bytes()
    done = subprocess.run([*CLI, "config", "validate", "-"], input=data, capture_output=True,
                          cwd=REPO, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert b"<stdin>" in done.stdout and b"rt.config.hooks.4" in done.stdout


def test_features_kind_from_runc(tmp_path, capsys) -> None:
    if not shutil.which("runc"):
        pytest.skip("runc is not installed")
    done = subprocess.run(["runc", "features"], capture_output=True, timeout=30, check=False)
    if done.returncode != 0:
        pytest.skip("this runc has no features command")
    path = tmp_path / "features.json"
    path.write_bytes(done.stdout)
    code, out, _ = run(["--kind", "features", str(path), "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 0, [r for r in doc["results"] if r["outcome"] == "fail"]
    assert any(r["outcome"] == "pass" for r in doc["results"])


@pytest.mark.integration
def test_state_kind_piped_from_real_runc_state(tmp_path) -> None:
    """runc create a busybox container, pipe `runc state` into --kind state -."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    if not shutil.which("runc") or not Path(busybox).exists():
        pytest.skip("runc or busybox is not installed")
    bundle, root = tmp_path / "bundle", tmp_path / "state"
    (bundle / "rootfs" / "bin").mkdir(parents=True)
    shutil.copy(busybox, bundle / "rootfs" / "bin" / "busybox")
    (bundle / "rootfs" / "bin" / "sh").symlink_to("busybox")
    subprocess.run(["runc", "spec"], cwd=bundle, check=True, timeout=30)
    config = json.loads((bundle / "config.json").read_text())
    config["process"]["args"], config["process"]["terminal"] = ["sh", "-c", "sleep 30"], False
    (bundle / "config.json").write_text(json.dumps(config))
    cid = f"oci-conform-cfg-{tmp_path.name[-12:]}"
    log = (tmp_path / "runc.log").open("w")
    runc = ["runc", "--root", str(root)]
    try:
        created = subprocess.run([*runc, "create", "--bundle", str(bundle), cid], stdout=log,
                                 stderr=log, stdin=subprocess.DEVNULL, timeout=60, check=False)
        if created.returncode != 0:
            pytest.skip(f"runc create failed here: {(tmp_path / 'runc.log').read_text()[-300:]}")
        state = subprocess.run([*runc, "state", cid], capture_output=True, timeout=30,
                               check=True).stdout
        done = subprocess.run([*CLI, "config", "validate", "--kind", "state", "-", "--format",
                               "json"], input=state, capture_output=True, cwd=REPO, timeout=120,
                              check=False)
    finally:
        subprocess.run([*runc, "delete", "--force", cid], capture_output=True, timeout=60,
                       check=False)
        log.close()
    doc = json.loads(done.stdout)
    outcomes = {r["clause"]: r["outcome"] for r in doc["results"]}
    assert done.returncode == 0, [r for r in doc["results"] if r["outcome"] == "fail"]
    assert outcomes["rt.runtime.state.7"] == "pass"      # created: pid present and positive
    assert outcomes["rt.runtime.state.8"] == "pass"      # bundle is absolute
    # The state-layout rule of the version the state declares (runc 1.1 says 1.0.2-dev:
    # the 1.0.x clause); the other version's clause is n/a.
    layout = {outcomes["rt.runtime.state.12"], outcomes["rt.runtime.state.12-pre-1.1"]}
    assert layout == {"pass", "n/a"}
