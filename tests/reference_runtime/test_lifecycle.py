"""Lifecycle and error cases of the reference runtime, driven through its CLI as root."""
from __future__ import annotations

import json
import os
import time

import pytest

from tests.reference_runtime.conftest import CGROUP_PARENT, cgroup_dirs, processes_rooted_in

pytestmark = pytest.mark.integration


def test_create_start_state_delete(rt):
    bundle, _ = rt.bundle("c1", ["sh", "-c", "hostname > /results/host; echo ran > /results/ran"])
    created = rt.create("c1", bundle)
    assert created.code == 0, created.err
    doc = rt("state", "c1").json()
    assert doc["status"] == "created" and doc["id"] == "c1"
    assert doc["bundle"] == str(bundle)
    root = os.stat(f"/proc/{doc['pid']}/root")
    want = os.stat(bundle / "rootfs")
    assert (root.st_dev, root.st_ino) == (want.st_dev, want.st_ino)   # pivot_root done
    assert not (bundle.parent / "results" / "ran").exists()           # not run before start
    assert cgroup_dirs(f"{CGROUP_PARENT}/c1")
    assert rt("start", "c1").code == 0
    assert rt.wait_status("c1", "stopped")["status"] == "stopped"
    assert (bundle.parent / "results" / "host").read_text().strip() == "oci-conform"
    assert rt("delete", "c1").code == 0
    assert rt("state", "c1").code != 0
    assert not (rt.root / "c1").exists()
    assert not cgroup_dirs(f"{CGROUP_PARENT}/c1")
    assert not processes_rooted_in(bundle)


def test_kill_and_force_delete(rt):
    bundle, _ = rt.bundle("k1", ["sh", "-c", "trap 'echo TERM > /results/sig; exit 0' TERM; "
                                 "while :; do sleep 0.1; done"])
    assert rt.create("k1", bundle).code == 0
    assert rt("start", "k1").code == 0
    assert rt("state", "k1").json()["status"] == "running"
    assert rt("delete", "k1").code != 0                    # running: not without --force
    time.sleep(0.3)
    assert rt("kill", "k1", "TERM").code == 0
    assert rt.wait_status("k1", "stopped")["status"] == "stopped"
    assert (bundle.parent / "results" / "sig").read_text().strip() == "TERM"
    assert rt("kill", "k1", "KILL").code != 0              # stopped: kill is an error
    assert rt.create("k2", bundle).code == 0
    assert rt("delete", "--force", "k2").code == 0
    assert not (rt.root / "k2").exists()


@pytest.mark.parametrize("op", [("state",), ("start",), ("kill",), ("delete",)])
def test_unknown_id_errors(rt, op):
    res = rt(*op, "never-created")
    assert res.code != 0
    assert len(res.err.strip().splitlines()) == 1 and "does not exist" in res.err


def test_duplicate_and_invalid_id(rt):
    bundle, _ = rt.bundle("d1", ["sh", "-c", "sleep 30"])
    assert rt.create("d1", bundle).code == 0
    pid = rt("state", "d1").json()["pid"]
    again = rt("create", "--bundle", str(bundle), "d1")
    assert again.code != 0 and "already exists" in again.err
    assert rt("state", "d1").json()["pid"] == pid
    bad = rt("create", "--bundle", str(bundle), "../escape")
    assert bad.code != 0 and not (rt.dir / "escape").exists()
    assert rt("start", "d1").code == 0
    assert rt("start", "d1").code != 0                     # running: start again is an error


def test_run_returns_exit_status(rt):
    bundle, _ = rt.bundle("r1", ["sh", "-c", "exit 7"])
    rt.ids.add("r1")
    res = rt("run", "--bundle", str(bundle), "r1")
    assert res.code == 7, res.err
    assert not (rt.root / "r1").exists()


def test_features_and_spec(rt, tmp_path):
    doc = rt("features").json()
    assert doc["ociVersionMax"] and "poststop" in doc["hooks"]
    assert doc["linux"]["apparmor"]["enabled"] is False
    assert rt("spec", "--bundle", str(tmp_path)).code == 0
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["ociVersion"] == doc["ociVersionMax"] and cfg["root"]["path"] == "rootfs"
    assert rt("spec", "--bundle", str(tmp_path)).code != 0   # never overwrites


def test_process_properties(rt):
    script = ("id -u > /results/uid; id -G > /results/gids; umask > /results/umask; "
              "pwd > /results/cwd; echo $FOO > /results/env; ulimit -n > /results/nofile; "
              "grep -E 'CapBnd|CapEff|NoNewPrivs' /proc/self/status > /results/status; "
              "cat /proc/self/oom_score_adj > /results/oom")
    bundle, cfg = rt.bundle("p1", ["sh", "-c", script])
    proc = cfg["process"]
    proc["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [2001], "umask": 0o027}
    proc["cwd"] = "/home/tester"
    proc["env"].append("FOO=bar baz")
    proc["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 512}]
    proc["oomScoreAdj"] = 123
    # a non-root user keeps capabilities across exec only through the ambient set
    proc["capabilities"] = {k: ["CAP_KILL"] for k in ("bounding", "permitted", "effective",
                                                       "inheritable", "ambient")}
    rt.write(bundle, cfg)
    assert rt.create("p1", bundle).code == 0
    assert rt("start", "p1").code == 0
    rt.wait_status("p1", "stopped")
    res = bundle.parent / "results"
    read = lambda n: (res / n).read_text().strip()  # noqa: E731
    assert read("uid") == "1000" and read("gids").split() == ["1000", "2001"]
    assert read("umask") == "0027" and read("cwd") == "/home/tester"
    assert read("env") == "bar baz" and read("nofile") == "321" and read("oom") == "123"
    status = dict(line.split(":\t") for line in read("status").splitlines())
    assert status["CapBnd"] == status["CapEff"] == f"{1 << 5:016x}"
    assert status["NoNewPrivs"] == "1"


def test_hooks_get_state_and_failures_undo(rt, tmp_path):
    log = tmp_path / "hooks.log"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\necho \"$1 $(cat)\" >> {log}\nexit ${{2:-0}}\n")
    hook.chmod(0o755)
    bundle, cfg = rt.bundle("h1", ["true"])
    cfg["hooks"] = {k: [{"path": str(hook), "args": ["hook", k]}]
                    for k in ("prestart", "createRuntime", "poststart", "poststop")}
    rt.write(bundle, cfg)
    assert rt.create("h1", bundle).code == 0
    assert rt("start", "h1").code == 0
    rt.wait_status("h1", "stopped")
    assert rt("delete", "h1").code == 0
    lines = log.read_text().splitlines()
    assert [ln.split()[0] for ln in lines] == ["prestart", "createRuntime", "poststart",
                                                "poststop"]
    assert json.loads(lines[0].split(" ", 1)[1])["id"] == "h1"
    log.unlink()
    cfg["hooks"] = {"createRuntime": [{"path": str(hook), "args": ["hook", "cr", "3"]}],
                    "poststop": [{"path": str(hook), "args": ["hook", "poststop"]}]}
    rt.write(bundle, cfg)
    res = rt.create("h2", bundle)
    assert res.code != 0 and "createRuntime" in res.err
    assert not (rt.root / "h2").exists() and not cgroup_dirs(f"{CGROUP_PARENT}/h1")
    assert [ln.split()[0] for ln in log.read_text().splitlines()] == ["cr", "poststop"]


@pytest.mark.parametrize("arg0", ["no-such-program", "/bin/no-such-program"])
def test_missing_executable_fails_create_like_runc(rt, runc, arg0):
    from tests.reference_runtime.conftest import mounts_under
    for runtime in (runc, rt):
        bundle, _ = runtime.bundle("nx", [arg0])
        res = runtime.create("nx", bundle)
        assert res.code != 0, runtime.cmd                  # at create, not at start
        assert ("executable file not found" in res.err) if "/" not in arg0 else \
            ("no such file or directory" in res.err.lower()), res.err
        assert runtime("state", "nx").code != 0
    assert len(res.err.strip().splitlines()) == 1 and "[Errno" not in res.err
    assert not cgroup_dirs(f"{CGROUP_PARENT}/nx") and not mounts_under(rt.dir / "nx")
