"""``update`` (flags and --resources), ``ps``, ``events --stats`` and the global options
engines pass, on real containers; limits compared with runc's on an identical one."""
from __future__ import annotations

import json

import pytest

from oci_conform.reference.runtime import argv, update
from tests.reference_runtime.conftest import cgroup_dirs

pytestmark = pytest.mark.integration


def _running(runtime, name, script="sleep 120"):
    bundle, cfg = runtime.bundle(name, ["sh", "-c", script])
    cfg["linux"]["resources"].update({"memory": {"limit": 128 << 20}, "pids": {"limit": 100}})
    runtime.write(bundle, cfg)
    assert runtime.create(name, bundle).code == 0
    assert runtime("start", name).code == 0
    return runtime("state", name).json()["pid"], cfg


def _limits(rel):
    dirs = {p.parents[len(rel.split("/")) - 1].name: p for p in cgroup_dirs(rel)}
    read = lambda c, f: (dirs[c] / f).read_text().strip()  # noqa: E731
    return {"mem": read("memory", "memory.limit_in_bytes"), "pids": read("pids", "pids.max"),
            "quota": read("cpu", "cpu.cfs_quota_us"), "period": read("cpu", "cpu.cfs_period_us"),
            "shares": read("cpu", "cpu.shares")}


def _v1():
    if not cgroup_dirs(""):
        pytest.skip("no cgroup hierarchy")
    from oci_conform.reference.runtime import cgroups
    if cgroups.mode() == "v2":
        pytest.skip("a cgroup v2 host: the v1 files read here are not there")


def test_update_flags_like_runc(rt, runc):
    _v1()
    _running(rt, "up")
    _running(runc, "up")
    flags = ["update", "--memory", "64m", "--pids-limit", "50", "--cpu-quota", "50000",
             "--cpu-period", "100000", "--cpu-share", "512", "up"]
    theirs = runc(*flags)
    assert theirs.code == 0, theirs.err
    ours = rt(*flags)
    assert ours.code == 0, ours.err
    from tests.reference_runtime.conftest import CGROUP_PARENT
    mine, control = _limits(f"{CGROUP_PARENT}/up"), _limits(f"{CGROUP_PARENT}/runc-up")
    assert mine == control == {"mem": str(64 << 20), "pids": "50", "quota": "50000",
                               "period": "100000", "shares": "512"}


def test_update_resources_file_and_stdin(rt, tmp_path):
    _v1()
    _running(rt, "uf")
    from tests.reference_runtime.conftest import CGROUP_PARENT
    path = tmp_path / "res.json"
    path.write_text(json.dumps({"memory": {"limit": 96 << 20}, "pids": {"limit": 60}}))
    res = rt("update", "--resources", str(path), "--pids-limit", "70", "uf")
    assert res.code == 0, res.err
    got = _limits(f"{CGROUP_PARENT}/uf")
    assert got["mem"] == str(96 << 20) and got["pids"] == "70"     # the flag wins
    with path.open() as fh:
        res = rt("update", "--resources", "-", "uf", stdin=fh)
    assert res.code == 0, res.err
    assert _limits(f"{CGROUP_PARENT}/uf")["pids"] == "60"
    for bad, word in ((["--memory", "lots"], "not a size"), (["--pids-limit", "x"], "integer"),
                      (["--resources", "/dev/null"], "regular file"),
                      ([], "nothing to change")):
        res = rt("update", *bad, "uf")
        assert res.code != 0 and word in res.err, (bad, res.err)
        assert len(res.err.strip().splitlines()) == 1


def test_ps_lists_the_containers_processes(rt):
    init, _ = _running(rt, "ps", "sleep 120 & sleep 120 & wait")
    res = rt("ps", "--format", "json", "ps")
    assert res.code == 0, res.err
    found = json.loads(res.out)
    assert init in found and len(found) == 3
    table = rt("ps", "ps")
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert "PID" in lines[0].split() and len(lines) == 4
    col = lines[0].split().index("PID")
    assert sorted(int(ln.split()[col]) for ln in lines[1:]) == sorted(found)


def test_events_stats_once(rt):
    _running(rt, "ev")
    res = rt("events", "--stats", "ev")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert doc["type"] == "stats" and doc["id"] == "ev"
    assert doc["data"]["pids"]["current"] >= 1 and doc["data"]["pids"]["limit"] == 100
    assert doc["data"]["memory"]["usage"]["limit"] == 128 << 20
    assert doc["data"]["memory"]["usage"]["usage"] > 0
    assert doc["data"]["cpu"]["usage"]["total"] > 0
    res = rt("events", "ev")
    assert res.code != 0 and "--stats" in res.err


def test_global_options_engines_pass(rt, tmp_path):
    log = tmp_path / "rt.log"
    res = rt("--systemd-cgroup", "state", "x")
    assert res.code != 0 and "--systemd-cgroup" in res.err
    assert len(res.err.strip().splitlines()) == 1
    res = rt("--log", str(log), "--log-format", "json", "--debug", "state", "nope")
    assert res.code != 0
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["level"] for e in entries] == ["debug", "error"]
    assert "does not exist" in entries[-1]["msg"] and entries[-1]["time"]


def test_flag_table_is_pure():
    args = argv.parse(["update", "--memory", "1g", "--memory-swap", "-1", "--cpuset-cpus",
                       "0", "x"])
    assert update.from_flags(args) == {"memory": {"limit": 1 << 30, "swap": -1},
                                       "cpu": {"cpus": "0"}}
    assert update.parse_bytes("memory", "512K") == 512 << 10


def test_runc_ps_control(runc):
    """The control: runc's ps --format json is a JSON list of pids too."""
    _running(runc, "ps")
    res = runc("ps", "--format", "json", "ps")
    assert res.code == 0 and isinstance(json.loads(res.out), list)


def test_kill_all_reaches_every_process_without_a_pid_namespace(rt):
    bundle, cfg = rt.bundle("ka", ["sh", "-c", "sleep 300 & sleep 300 & wait"])
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]
    rt.write(bundle, cfg)
    res = rt.create("ka", bundle)
    assert res.code == 0, res.err
    assert rt("start", "ka").code == 0
    found = json.loads(rt("ps", "--format", "json", "ka").out)
    assert len(found) == 3
    res = rt("kill", "--all", "ka", "KILL")
    assert res.code == 0, res.err
    assert rt.wait_status("ka", "stopped")["status"] == "stopped"
    for pid in found:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                assert fh.read().rsplit(")", 1)[-1].split()[0] in ("Z", "X")
        except FileNotFoundError:
            pass
