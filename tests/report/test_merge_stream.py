"""``report merge`` streams its inputs: same merge as the in-memory rules, bounded memory.

- the streamed merge gives exactly what ``model.merge.merge`` gives over the same files
  (cases, their order, the head), whatever the files' layout (indented, compact, results
  before the implementations, escapes);
- merging 30 files holds one at a time: the peak RSS of the merge stays under a cap that is
  smaller than the inputs themselves, while a process that loads every input at once goes
  over the same cap (so the cap can fail);
- what is not one results document is one line, exit 2, no output.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from oci_conform.merge_files import merge_files
from oci_conform.model.evidence import Evidence, HttpExchange
from oci_conform.model.merge import Source, merge
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Implementation, Results
from oci_conform.results_file import load_results, save_results

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def _exchange(n: int) -> HttpExchange:
    return HttpExchange.recorded(
        "GET", f"http://127.0.0.1:5000/v2/r/manifests/t{n}", 200,
        request_headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        response_headers={"Docker-Content-Digest": "sha256:" + "ab" * 32,
                          "Content-Type": "application/json"},
        response_body='{"schemaVersion": 2, ' + '"k": "v", ' * 60 + '"é": "\\ud800"}')


def _run(job: str, finished: str, outcomes: int, seed: int = 0, every: int = 2) -> Results:
    impl = Implementation(job, "registry", "cmd", "1.0")
    cases = [CaseResult(f"c.{n % 40}", job, [Outcome.PASS, Outcome.FAIL, Outcome.ERROR][
        (n + seed) % 3], case=f"k{n // 40}", message=f"m{n}" + "\u00e9" * (n % 3),
        evidence=Evidence(exchanges=[_exchange(n)]) if n % every == every - 1 else Evidence())
        for n in range(outcomes)]
    return Results("0.1.0", "cat", "2026-11-29T10:00:00Z", finished, host={"hostname": job},
                   implementations=[impl], results=cases)


def _normal(results: Results) -> dict:
    data = results.to_dict()
    data.pop("command")
    return data


def _reordered(results: Results) -> str:
    """The same document with ``results`` before everything else (a layout this tool does
    not write, which the merge must still take)."""
    data = results.to_dict()
    return json.dumps({"results": data.pop("results"), **data}, separators=(",", ":"))


def test_streamed_merge_equals_the_in_memory_rules(tmp_path: Path) -> None:
    runs = [_run("a", "2026-11-29T10:10:00Z", 90), _run("b", "2026-11-29T10:20:00Z", 60),
            _run("a", "2026-11-29T10:30:00Z", 70, seed=1),      # the same column, later
            _run("a", "2026-11-29T10:30:00Z", 50, seed=2)]      # equal finish: later wins
    paths = []
    for n, run in enumerate(runs):
        path = tmp_path / f"r{n}.json"
        if n == 0:
            save_results(path, run)                             # indented
        elif n == 1:
            path.write_text(_reordered(run), encoding="utf-8")  # results first
        else:
            path.write_text(json.dumps(run.to_dict()), encoding="utf-8")
        paths.append(str(path))
    out = tmp_path / "merged.json"
    count = merge_files(paths, out, ["oci-conform", "report", "merge"])
    expected = merge([Source(p, load_results(p)) for p in paths])
    got = load_results(out)
    assert count == len(expected.results) == len(got.results)
    assert _normal(got) == _normal(expected)
    # the error rule and the finish-time rule both had work to do
    assert {r.outcome for r in got.results} >= {Outcome.PASS, Outcome.FAIL, Outcome.ERROR}


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forking process (the
# test runner's own size), VmHWM belongs to the program's own memory.
PEAK = ("import runpy, sys\n"
        "try:\n"
        "    sys.argv = sys.argv[1:]\n"
        "    runpy.run_path(sys.argv[0], run_name='__main__') if sys.argv[0].endswith('.py') "
        "else runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
        "finally:\n"
        "    hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
        "    print('PEAK', hwm[0], file=sys.stderr)\n")


def _peak_rss_kib(argv: list[str]) -> tuple[int, int]:
    """Exit status and peak RSS (KiB) of a Python module or script run in a child (the
    child reports its own peak as it exits)."""
    proc = subprocess.run([sys.executable, "-c", PEAK, *argv], env=ENV, capture_output=True,
                          text=True, timeout=600, check=False)
    peak = re.findall(r"^PEAK (\d+)$", proc.stderr, re.M)
    assert peak, proc.stderr[-2000:]
    return proc.returncode, int(peak[-1])


LOAD_ALL = ("import json, sys\n"
            "docs = [json.load(open(p, 'rb')) for p in sys.argv[1:]]\n"
            "print(sum(len(d['results']) for d in docs))\n")
LOAD_ALL_SCRIPT = "load_all.py"


def test_merging_50_files_holds_one_at_a_time(tmp_path: Path) -> None:
    text = json.dumps(_run("JOB", "2026-11-29T10:10:00Z", 1000, every=1).to_dict())
    paths = []
    for n in range(50):
        path = tmp_path / f"r{n:02d}.json"
        path.write_text(text.replace('"JOB"', f'"job{n:02d}"'), encoding="utf-8")
        paths.append(str(path))
    rest_mib = sum(os.path.getsize(p) for p in paths[1:]) / 2**20
    merge_cmd = ["oci_conform", "report", "merge", "-o", str(tmp_path / "all.json")]
    load_all = tmp_path / LOAD_ALL_SCRIPT
    load_all.write_text(LOAD_ALL, encoding="utf-8")
    code, one_kib = _peak_rss_kib([*merge_cmd, paths[0]])
    assert code == 0
    code, fifty_kib = _peak_rss_kib([*merge_cmd, *paths])
    assert code == 0
    _, load_one_kib = _peak_rss_kib([str(load_all), paths[0]])
    _, load_all_kib = _peak_rss_kib([str(load_all), *paths])
    # The cap: 49 more inputs may add less than half their own size (the index of cases
    # grows with them; their text and parsed values must not). Holding them breaks it.
    cap_mib = rest_mib / 2
    assert (load_all_kib - load_one_kib) / 1024 > cap_mib, "this cap could not fail"
    print(f"merge: +{(fifty_kib - one_kib) / 1024:.0f} MiB for {rest_mib:.0f} MiB more input; "
          f"load all: +{(load_all_kib - load_one_kib) / 1024:.0f} MiB")
    assert (fifty_kib - one_kib) / 1024 < cap_mib, ((fifty_kib - one_kib) / 1024, rest_mib)
    assert len(json.loads((tmp_path / "all.json").read_text())["results"]) == 50 * 1000


BAD = {
    "twice": ('{"results": [], "results": []}', "member 'results' given twice"),
    "trailing": (None, "extra data after the document"),
    "not-object": ("[1, 2]", "expected '{'"),
    "results-not-array": (None, "/results: 5 is not of type 'array'"),
    "no-results": (None, "'results' is a required property"),
    "bad-item": (None, "/results/1/outcome: 'maybe' is not one of"),
    "undeclared": (None, "/results/0/implementation: 'nobody' is not one of the "
                         "implementations the file declares"),
    "truncated": (None, "not JSON"),
}


def _bad(kind: str) -> str:
    text, _ = BAD[kind]
    if text is not None:
        return text
    data = _run("a", "t", 3).to_dict()
    if kind == "trailing":
        return json.dumps(data) + " {}"
    if kind == "results-not-array":
        data["results"] = 5
    elif kind == "no-results":
        del data["results"]
    elif kind == "bad-item":
        data["results"][1]["outcome"] = "maybe"
    elif kind == "undeclared":
        data["results"][0]["implementation"] = "nobody"
    elif kind == "truncated":
        return json.dumps(data)[:-40]
    return json.dumps(data)


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_input_is_one_line_and_nothing_is_written(tmp_path: Path, kind: str) -> None:
    good, bad, out = tmp_path / "good.json", tmp_path / "bad.json", tmp_path / "out.json"
    save_results(good, _run("g", "t", 5))
    bad.write_text(_bad(kind), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "oci_conform", "report", "merge", str(good),
                           str(bad), "-o", str(out)], capture_output=True, text=True,
                          timeout=120, env=ENV, check=False)
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert str(bad) in line and BAD[kind][1] in line, line
    assert not out.exists()


def test_strict_runs_jsonschema_on_everything(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    save_results(good, _run("g", "t", 5))
    for extra in ([], ["--strict"]):
        proc = subprocess.run([sys.executable, "-m", "oci_conform", "report", "merge",
                               str(good), str(good), *extra], capture_output=True, text=True,
                              timeout=120, env=ENV, check=False)
        assert proc.returncode == 0, proc.stderr
        assert len(json.loads(proc.stdout)["results"]) == 5
