"""Evidence a runtime developer can replay: the config as a diff, one shell line, --keep.

The end-to-end tests run the real runc on a case it fails (duplicate rlimits: runc accepts
a config the spec says must be refused) next to one it passes, then paste the replay line
into a shell and see runc accept the faulty bundle again.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.drivers.runtime_cli import Invocation
from oci_conform.model.outcome import Outcome
from oci_conform.report import renderers
from oci_conform.results_file import load_results
from oci_conform.suites.runtime.replay import keep_case, replay_line
from oci_conform.suites.runtime.sandbox import CGROUP_ROOT

REPO = Path(__file__).resolve().parents[2]
FAILING = "process-rlimit-duplicate-type-errors"
PASSING = "state-document-created"
needs_runc = pytest.mark.skipif(shutil.which("runc") is None or os.geteuid() != 0,
                                reason="needs runc and root")


def _run(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    results = tmp_path / "results.json"
    env = dict(os.environ, TMPDIR=str(scratch), PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "oci_conform", "runtime", "test", "--runtime",
                           "runc=runc", "--case", FAILING, "--case", PASSING,
                           "--results", str(results), "-o", str(tmp_path / "out.txt"), *extra],
                          env=env, capture_output=True, text=True, timeout=300)
    assert list(scratch.iterdir()) == [], "the run left its temp folder"
    return proc, results


def _failure(results: Path):  # type: ignore[no-untyped-def]
    saved = load_results(results)
    [bad] = [r for r in saved.results if r.outcome is Outcome.FAIL]
    assert bad.case == f"runtime:{FAILING}" and bad.clause == "rt.config.posixprocess.9"
    return saved, bad


@pytest.mark.integration
@pytest.mark.timeout(300)
@needs_runc
def test_keep_keeps_the_failing_case_and_its_replay_line_reproduces_it(tmp_path: Path) -> None:
    keep = tmp_path / "kept"
    proc, results = _run(tmp_path, "--keep", str(keep))
    assert proc.returncode == 1, proc.stderr
    assert f"are in {keep}" in proc.stderr.strip().splitlines()[-1]
    saved, bad = _failure(results)

    [folder] = list((keep / "runc").iterdir())           # the failing case only
    assert folder.name.startswith(FAILING)
    assert bad.evidence.kept == str(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["bundle", "control", "logs", "results"]
    config = json.loads((folder / "bundle" / "config.json").read_text())
    types = [r["type"] for r in config["process"]["rlimits"]]
    assert types == ["RLIMIT_NOFILE", "RLIMIT_NOFILE"]
    binds = [m["source"] for m in config["mounts"] if m["type"] == "bind"]
    assert binds and all(b.startswith(str(folder)) for b in binds), binds
    assert (folder / "bundle" / "rootfs" / "bin").is_dir()

    assert "/process/rlimits" in bad.evidence.config and "RLIMIT_NOFILE" in bad.evidence.config
    replay = bad.evidence.replay
    assert replay.startswith(f"cd {folder} && runc --root state create --bundle ")
    passing = [r for r in saved.results if r.case == f"runtime:{PASSING}"]
    assert passing and not any(r.evidence.replay or r.evidence.kept for r in passing)

    for fmt in ("text", "junit", "html"):
        shown = renderers()[fmt](saved)
        assert "/process/rlimits" in shown, fmt
        key = replay if fmt == "text" else f"--bundle bundle oc-{FAILING[:22]}"
        assert key in shown or json.dumps(key)[1:-1] in shown, fmt
    assert "replay: cd " in (tmp_path / "out.txt").read_text()

    _replay_reproduces(replay, folder)


def _replay_reproduces(replay: str, folder: Path) -> None:
    """Paste the line into a shell: runc accepts the duplicate rlimits again."""
    ids = [w for w in replay.split() if w.startswith("oc-")]
    try:
        ran = subprocess.run(["sh", "-c", replay], capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0, ran.stderr
        state = json.loads(ran.stdout[ran.stdout.index("{"):])
        assert state["id"] == ids[-1] and state["bundle"] == str(folder / "bundle")
    finally:
        for cid in set(ids):
            subprocess.run(["runc", "--root", str(folder / "state"), "delete", "--force", cid],
                           capture_output=True, timeout=30)
        for cg in [*CGROUP_ROOT.glob("*/oci-conform-*"), *CGROUP_ROOT.glob("oci-conform-*")]:
            for child in cg.iterdir():
                if child.is_dir() and child.name in ids:
                    child.rmdir()
            if cg.is_dir() and not [c for c in cg.iterdir() if c.is_dir()]:
                try:
                    cg.rmdir()
                except OSError:
                    pass


@pytest.mark.integration
@pytest.mark.timeout(300)
@needs_runc
def test_without_keep_the_failure_still_has_config_and_replay(tmp_path: Path) -> None:
    proc, results = _run(tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "--keep" not in proc.stderr
    _, bad = _failure(results)
    assert bad.evidence.kept == "" and "/process/rlimits" in bad.evidence.config
    assert " create --bundle bundle " in bad.evidence.replay


def _call(*argv: str) -> Invocation:
    return Invocation(list(argv), 0)


def test_replay_line_is_relative_to_the_case_folder_and_folds_repeats(tmp_path: Path) -> None:
    home = tmp_path / "case dir"
    calls = [_call("runc", "--root", f"{home}/state", "create", "--bundle", f"{home}/bundle",
                   "c1"),
             _call("runc", "--root", f"{home}/state", "state", "c1"),
             _call("runc", "--root", f"{home}/state", "state", "c1"),
             _call("runc", "--root", f"{home}/state", "start", "c1")]
    line = replay_line(calls, home)
    assert line == (f"cd '{home}' && runc --root state create --bundle bundle c1; "
                    "runc --root state state c1; runc --root state start c1")
    assert replay_line([], home) == ""


def test_keep_case_leaves_out_state_and_special_files_and_moves_paths(tmp_path: Path) -> None:
    case = tmp_path / "run" / "case-1"
    (case / "bundle" / "rootfs" / "state").mkdir(parents=True)
    (case / "state" / "c1").mkdir(parents=True)
    (case / "results").mkdir()
    os.mkfifo(case / "results" / "pipe")
    (case / "bundle" / "config.json").write_text(json.dumps(
        {"mounts": [{"source": f"{case}/results", "destination": "/results"}]}))
    dest, problems = keep_case(case, tmp_path / "kept", "runc")
    assert dest == tmp_path / "kept" / "runc" / "case-1"
    assert not (dest / "state").exists() and (dest / "bundle" / "rootfs" / "state").is_dir()
    assert not (dest / "results" / "pipe").exists()
    assert any("pipe" in p and "special file" in p for p in problems)
    config = json.loads((dest / "bundle" / "config.json").read_text())
    assert config["mounts"][0]["source"] == f"{dest}/results"
