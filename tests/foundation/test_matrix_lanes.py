"""Independent matrix columns run at once without changing any outcome.

A small matrix is run at ``--jobs 1`` (every column in turn, as before) and ``--jobs 2``
(lanes in child processes): the results files hold the same outcomes for the same cells in
the same order, and the same implementations (timings aside). The runtime case runs runc
and crun, each a lane of its own, on the ``state`` group, and checks the two lanes were
running at the same time.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from oci_conform.lanes import column_costs, lanes_of, longest_first
from oci_conform.model.results import Implementation

REPO = Path(__file__).resolve().parents[2]


def _matrix(tmp: Path, jobs: int, *args: str) -> tuple[dict, str]:
    reports = tmp / f"jobs{jobs}"
    proc = subprocess.run([sys.executable, "-m", "oci_conform", "matrix", *args, "--jobs",
                           str(jobs), "--reports", str(reports), "-o", os.devnull],
                          capture_output=True, text=True, timeout=900, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode in (0, 1, 3), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    return json.loads((reports / "results.json").read_text()), proc.stderr


def _cells(results: dict) -> list[tuple[str, str, str, str]]:
    return [(r["clause"], r["implementation"], r.get("case", ""), r["outcome"])
            for r in results["results"]]


def _columns(results: dict) -> list[tuple[str, str, str, bool]]:
    return [(i["name"], i["kind"], i.get("version", ""), i.get("available", True))
            for i in results["implementations"]]


def _same(one: dict, two: dict) -> None:
    assert _columns(one) == _columns(two)
    assert _cells(one) == _cells(two)
    assert one["harness_errors"] == two["harness_errors"]


def test_lanes_cut_the_plan_by_what_columns_share() -> None:
    def item(name: str, *impls: str) -> SimpleNamespace:
        return SimpleNamespace(suite=SimpleNamespace(name=name),
                               implementations=[Implementation(i, "x") for i in impls])
    plan = [item("runtime", "ref", "runc", "crun"), item("image-formats", "oci", "docker"),
            item("config-generators", "runc-spec")]
    lanes = lanes_of(plan)
    assert [[(c.position, c.impl.name) for c in lane] for lane in lanes] == [
        [(0, "ref")], [(1, "runc")], [(2, "crun")], [(3, "oci"), (4, "docker")],
        [(5, "runc-spec")]]


def test_an_earlier_run_puts_the_longest_lanes_first() -> None:
    def item(name: str, *impls: str) -> SimpleNamespace:
        return SimpleNamespace(suite=SimpleNamespace(name=name),
                               implementations=[Implementation(i, "x") for i in impls])
    lanes = lanes_of([item("runtime", "ref", "runc", "runsc"), item("images", "a", "b")])
    earlier = {"results": [{"implementation": "runsc", "duration": 600.0},
                           {"implementation": "ref", "duration": 200.0},
                           {"implementation": "runc", "duration": 100.0},
                           {"implementation": "a", "duration": 90.0},
                           {"implementation": "a", "duration": 30.0}, {"implementation": "b"}]}
    costs = column_costs(earlier)
    assert costs == {"runsc": 600.0, "ref": 200.0, "runc": 100.0, "a": 120.0, "b": 0.0}
    order = [[c.impl.name for c in lane] for lane in longest_first(lanes, costs)]
    assert order == [["runsc"], ["ref"], ["a", "b"], ["runc"]]
    assert longest_first(lanes, {}) == lanes                  # no history: the plan's order


def test_recorded_column_wall_times_win_over_case_durations() -> None:
    """A column whose setup (daemons, image builds) dwarfs its cases: the wall time the run
    recorded orders the lanes, not the sum of case durations (which left it to start last)."""
    earlier = {"column_seconds": {"oras": 151.0, "runc": 51.0},
               "results": [{"implementation": "oras", "duration": 2.0},
                           {"implementation": "runc", "duration": 40.0}]}
    assert column_costs(earlier) == {"oras": 151.0, "runc": 51.0}
    assert column_costs({"column_seconds": {"x": "junk"}, "results": [
        {"implementation": "x", "duration": 3.0}]}) == {"x": 3.0}


@pytest.mark.skipif(not (shutil.which("runc") and shutil.which("crun")),
                    reason="runc and crun are not installed")
def test_document_suites_give_the_same_results_at_jobs_1_and_2(tmp_path: Path) -> None:
    args = ("--suite", "config-generators", "--suite", "features-documents")
    one, _ = _matrix(tmp_path, 1, *args)
    two, log = _matrix(tmp_path, 2, *args)
    assert log.count("[matrix] lane started") == 2
    assert len(one["results"]) > 500
    _same(one, two)
    for run in (one, two):       # each column's wall time is kept for the next run's order
        assert set(run["column_seconds"]) == {i["name"] for i in run["implementations"]}
        assert all(v > 0 for v in run["column_seconds"].values())


@pytest.mark.skipif(os.geteuid() != 0 or not (shutil.which("runc") and shutil.which("crun")),
                    reason="the runtime suite needs root, runc and crun")
def test_runtime_columns_run_at_once_with_the_same_outcomes(tmp_path: Path) -> None:
    args = ("--suite", "runtime", "--runtime", "runc=runc", "--runtime", "crun=crun",
            "--only-given", "--group", "state")
    one, _ = _matrix(tmp_path, 1, *args)
    two, log = _matrix(tmp_path, 2, *args)
    second = log.find("[matrix] lane started", log.find("[matrix] lane started") + 1)
    done = re.search(r"\[runtime\] (runc|crun): \d+ outcomes", log)
    first_done = done.start() if done else len(log)
    assert 0 <= second < first_done, log[-3000:]              # both lanes were running
    assert len(one["results"]) > 100
    _same(one, two)
