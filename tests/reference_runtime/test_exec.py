"""``exec``: one more process in a running busybox container, compared with ``runc exec``
on an identical container (same config, same rootfs, runc's own state folder)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from tests.reference_runtime.conftest import RUNTIME

pytestmark = pytest.mark.integration

NS = ("ipc", "mnt", "net", "pid", "uts", "cgroup", "user")


def _running(runtime, name, change=None):
    bundle, cfg = runtime.bundle(name, ["sh", "-c", "sleep 120"])
    cfg["process"]["env"].append("FROM_CONFIG=yes")
    if change is not None:
        change(cfg)
    runtime.write(bundle, cfg)
    res = runtime.create(name, bundle)
    assert res.code == 0, res.err
    res = runtime("start", name)
    assert res.code == 0, res.err
    return runtime("state", name).json()["pid"], cfg


def _both(rt, runc, name, change=None):
    return (_running(rt, name, change)[0], _running(runc, name, change)[0])


def test_exit_status_output_and_namespaces(rt, runc, tmp_path):
    ours_pid, theirs_pid = _both(rt, runc, "ns")
    script = "echo out; echo err >&2; exit 7"
    ours, theirs = rt("exec", "ns", "sh", "-c", script), runc("exec", "ns", "sh", "-c", script)
    assert theirs.code == 7 and theirs.out == "out\n"          # the control
    assert (ours.code, ours.out, ours.err) == (theirs.code, theirs.out, theirs.err)
    for runtime, init in ((rt, ours_pid), (runc, theirs_pid)):
        pidfile = tmp_path / f"{runtime.prefix}pid"
        res = runtime("exec", "--pid-file", str(pidfile), "ns", "sh", "-c",
                      "for f in /proc/self/ns/*; do readlink $f; done | sort > /results/ns; "
                      "cat /proc/self/cgroup > /results/cg; sleep 0.5")
        assert res.code == 0, res.err
        assert pidfile.read_text().strip().isdigit()
        inside = (runtime.results("ns") / "ns").read_text().split()
        want = sorted(os.readlink(f"/proc/{init}/ns/{n}") for n in
                      ("cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
                       "time_for_children", "user", "uts"))
        assert inside == want
        with open(f"/proc/{init}/cgroup") as fh:
            assert (runtime.results("ns") / "cg").read_text() == fh.read()


def test_process_options_like_runc(rt, runc):
    _both(rt, runc, "opts")
    argv = ["exec", "--user", "1000:1000", "--additional-gids", "2001", "--cwd", "/tmp",
            "--env", "EXTRA=1", "--env", "FROM_CONFIG=over", "--cap", "CAP_NET_RAW",
            "--no-new-privs", "opts", "sh", "-c",
            "id; pwd; env | sort | grep -E 'EXTRA|FROM_CONFIG|PATH'; "
            "grep -E '^(Cap|NoNewPrivs)' /proc/self/status; ulimit -n"]
    ours, theirs = rt(*argv), runc(*argv)
    assert theirs.code == 0, theirs.err
    assert ours.code == 0, ours.err
    assert ours.out == theirs.out
    assert "uid=1000" in ours.out and "/tmp" in ours.out


def test_process_file_like_runc(rt, runc, tmp_path):
    _both(rt, runc, "pfile")
    proc = {"terminal": False, "user": {"uid": 1000, "gid": 1000, "additionalGids": [2002],
                                         "umask": 0o077},
            "args": ["sh", "-c", "id; umask; pwd; echo $ONLY; ulimit -n; ulimit -Hn; "
                                 "grep -E '^(Cap|NoNewPrivs)' /proc/self/status; "
                                 "cat /proc/self/oom_score_adj"],
            "env": ["PATH=/bin", "ONLY=file"], "cwd": "/home/tester",
            "capabilities": {k: ["CAP_KILL", "CAP_CHOWN"] for k in
                             ("bounding", "effective", "permitted", "inheritable",
                              "ambient")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 77, "hard": 88}],
            "noNewPrivileges": True, "oomScoreAdj": 55}
    path = tmp_path / "process.json"
    path.write_text(json.dumps(proc))
    ours = rt("exec", "--process", str(path), "pfile")
    theirs = runc("exec", "--process", str(path), "pfile")
    assert theirs.code == 0, theirs.err
    assert ours.code == 0, ours.err
    # runc 1.1 leaves out user.umask and oomScoreAdj for exec'd processes (its umask is
    # 0022 and its score the runtime's), and its exec races the Go runtime over the NOFILE
    # soft limit (opencontainers/runc#4195, fixed in 1.1.13: now and then its soft limit
    # is the hard one). The spec applies all three: those are compared with the file,
    # everything else with runc.
    mine, control = ours.out.splitlines(), theirs.out.splitlines()
    assert mine[1] == "0077" and mine[-1] == "55"
    assert mine[4:6] == ["77", "88"] and control[4:6] in (["77", "88"], ["88", "88"])
    assert mine[:1] + mine[2:4] + mine[6:-1] == control[:1] + control[2:4] + control[6:-1]


def test_detach_with_pid_file(rt, tmp_path):
    init, _ = _running(rt, "det")
    pidfile = tmp_path / "exec.pid"
    t0 = time.monotonic()
    res = rt("exec", "--detach", "--pid-file", str(pidfile), "det", "sh", "-c",
             "sleep 2; echo late > /results/late")
    assert res.code == 0, res.err
    assert time.monotonic() - t0 < 1.5                     # did not wait for the process
    pid = int(pidfile.read_text())
    assert os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(f"/proc/{init}/ns/pid")
    deadline = time.monotonic() + 10
    while not (rt.results("det") / "late").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (rt.results("det") / "late").read_text() == "late\n"


def test_tty_through_console_socket(rt, tmp_path):
    _running(rt, "tty")
    path = tmp_path / "console.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    got: dict = {}

    def accept() -> None:
        conn, _ = server.accept()
        with conn:
            _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
            got["fd"] = fds[0]

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        res = rt("exec", "--tty", "--console-socket", str(path), "tty", "sh", "-c",
                 "tty; [ -t 0 ] && echo IS-A-TTY")
        assert res.code == 0, res.err
        thread.join(10)
        out = b""
        while "fd" in got:
            try:
                chunk = os.read(got["fd"], 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        assert "/dev/pts/" in out.decode() and "IS-A-TTY" in out.decode()
    finally:
        server.close()
        if "fd" in got:
            os.close(got["fd"])
    res = rt("exec", "--tty", "tty", "true")
    assert res.code != 0 and "console-socket" in res.err


def test_errors_are_one_line(rt, runc):
    _both(rt, runc, "err")
    missing, theirs = rt("exec", "err", "no-such-cmd"), runc("exec", "err", "no-such-cmd")
    assert theirs.code != 0 and "executable file not found" in theirs.err
    assert missing.code != 0 and "executable file not found" in missing.err
    for argv, word in ((("exec", "err"), "command"),
                       (("exec", "--user", "bob", "err", "true"), "--user"),
                       (("exec", "--process", "/nonexistent", "err"), "--process"),
                       (("exec", "--process", "/dev/null", "err"), "regular file"),
                       (("exec", "gone", "true"), "does not exist")):
        res = rt(*argv)
        assert res.code != 0 and word in res.err, (argv, res.err)
        assert len(res.err.strip().splitlines()) == 1
    rt("kill", "err", "KILL")
    rt.wait_status("err", "stopped")
    res = rt("exec", "err", "true")
    assert res.code != 0 and "stopped" in res.err


def test_exec_in_a_user_namespace_container(rt_open):
    rt = rt_open                # the container's root (host uid 100000) reaches the rootfs

    def userns(cfg):
        cfg["linux"]["namespaces"].append({"type": "user"})
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    init, _ = _running(rt, "uns", userns)
    res = rt("exec", "uns", "sh", "-c", "id -u; cat /proc/self/uid_map; "
             "readlink /proc/self/ns/user")
    assert res.code == 0, res.err
    lines = res.out.split("\n")
    assert lines[0] == "0" and lines[1].split() == ["0", "100000", "65536"]
    assert lines[2] == os.readlink(f"/proc/{init}/ns/user")


def test_signals_are_passed_on_and_status_returned(rt, tmp_path):
    _running(rt, "sig")
    out = tmp_path / "sig.out"
    with out.open("w") as fh:
        proc = subprocess.Popen([*RUNTIME, "--root", str(rt.root), "exec", "sig", "sh", "-c",
                                 "trap 'echo got-term; exit 9' TERM; echo ready; "
                                 "while :; do sleep 0.05; done"], stdout=fh,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while "ready" not in out.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 9
        finally:
            proc.kill()
            proc.wait()
    assert "got-term" in out.read_text()


@pytest.mark.parametrize("preserve", [0, 1])
def test_preserve_fds_like_runc(rt, runc, tmp_path, preserve):
    _both(rt, runc, "fds")
    extra = tmp_path / "extra"
    extra.write_text("x")
    got = {}
    for runtime in (rt, runc):
        # fd 3 is opened by a shell in the runtime's own process only (never in pytest's)
        res = subprocess.run(["sh", "-c", f'exec "$@" 3<{extra}', "sh", *runtime.cmd,
                              "--root", str(runtime.root), "exec", "--preserve-fds",
                              str(preserve), "fds", "ls", "/proc/self/fd"],
                             capture_output=True, text=True, timeout=60, check=False)
        assert res.returncode == 0, res.stderr
        got[runtime.prefix] = sorted(int(n) for n in res.stdout.split())
    assert got[""] == got["runc-"]
    # ls's own directory fd takes the lowest free number: 3 without the kept one, 4 with
    assert got[""] == ([0, 1, 2, 3, 4] if preserve else [0, 1, 2, 3])
