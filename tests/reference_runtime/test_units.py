"""Pure parts of the reference runtime: the seccomp compiler (run in a small classic-BPF
interpreter written here), mount options, argv parsing, and the cgroup v2 translation
(written into a plain folder standing in for cgroupfs: a fake, since this host is hybrid)."""
from __future__ import annotations

import struct

import pytest

from oci_conform.reference.runtime import argv, bpf, cgroups_v2, mountopts, seccomp
from oci_conform.reference.runtime import syscalls as sc

ARCH = seccomp.AUDIT_ARCH.get(__import__("os").uname().machine)


def run_bpf(prog: bytes, nr: int, args: tuple[int, ...] = (), arch: int | None = None) -> int:
    """Evaluate a seccomp filter on one syscall (struct seccomp_data) and return its action."""
    words = list(args) + [0] * (6 - len(args))
    data = struct.pack("=iIQ6Q", nr, arch if arch is not None else ARCH, 0, *words)
    insns = [struct.unpack("=HBBI", prog[i:i + 8]) for i in range(0, len(prog), 8)]
    acc, pc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        if code == bpf.LD_W_ABS:
            acc = struct.unpack_from("=I", data, k)[0]
        elif code == bpf.ALU_AND_K:
            acc &= k
        elif code == bpf.RET_K:
            return k
        elif code in (bpf.JEQ_K, bpf.JGT_K, bpf.JGE_K):
            hit = {bpf.JEQ_K: acc == k, bpf.JGT_K: acc > k, bpf.JGE_K: acc >= k}[code]
            pc += jt if hit else jf
        else:
            raise AssertionError(f"unexpected opcode {code:#x}")
        pc += 1


@pytest.mark.skipif(ARCH is None or not seccomp.syscall_table(), reason="no syscall table")
@pytest.mark.parametrize("op,value,two,cases", [
    ("SCMP_CMP_EQ", 5, None, {5: True, 4: False, (1 << 32) + 5: False}),
    ("SCMP_CMP_NE", 5, None, {5: False, 6: True, (1 << 32) + 5: True}),
    ("SCMP_CMP_GT", 1 << 33, None, {1 << 33: False, (1 << 33) + 1: True, 1 << 34: True, 7: False}),
    ("SCMP_CMP_GE", 10, None, {10: True, 9: False, 1 << 40: True}),
    ("SCMP_CMP_LT", 10, None, {9: True, 10: False, 1 << 40: False}),
    ("SCMP_CMP_LE", (1 << 32) + 3, None, {(1 << 32) + 3: True, (1 << 32) + 4: False, 3: True}),
    ("SCMP_CMP_MASKED_EQ", 0o777, 0o700, {0o700: True, 0o755: False, 0o1700: True}),
])
def test_argument_comparisons(op, value, two, cases):
    nr = seccomp.syscall_table()["chmod" if "chmod" in seccomp.syscall_table() else "fchmodat"]
    arg = {"index": 1, "value": value, "op": op}
    if two is not None:
        arg["valueTwo"] = two
    prog = seccomp.compile_filter({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO", "args": [arg]}]})
    for got, blocked in cases.items():
        action = run_bpf(prog, nr, (0, got))
        assert (action == seccomp.RET["SCMP_ACT_ERRNO"] | 1) is blocked, (op, got, hex(action))
        assert run_bpf(prog, nr + 1000, (0, got)) == seccomp.RET["SCMP_ACT_ALLOW"]


@pytest.mark.skipif(ARCH is None or not seccomp.syscall_table(), reason="no syscall table")
def test_foreign_arch_and_x32_are_refused():
    prog = seccomp.compile_filter({"defaultAction": "SCMP_ACT_ALLOW"})
    assert run_bpf(prog, 1, arch=0x40000003) == seccomp.RET["SCMP_ACT_KILL_PROCESS"]
    assert run_bpf(prog, 0x40000001) >> 16 == seccomp.RET["SCMP_ACT_ERRNO"] >> 16
    assert run_bpf(prog, 1) == seccomp.RET["SCMP_ACT_ALLOW"]


def test_mount_options():
    p = mountopts.parse(["nosuid", "ro", "rw", "noatime", "relatime", "rslave", "size=1k"])
    assert p.flags & sc.MS_NOSUID and not p.flags & sc.MS_RDONLY and p.clear & sc.MS_RDONLY
    assert p.flags & sc.MS_RELATIME and not p.flags & sc.MS_NOATIME
    assert p.propagation == [sc.MS_SLAVE | sc.MS_REC] and p.data == ["size=1k"]
    r = mountopts.parse(["rnoatime", "rro", "rstrictatime", "rsuid"])
    assert r.rec_set == sc.MOUNT_ATTR_RDONLY | sc.MOUNT_ATTR_STRICTATIME
    assert r.rec_clr == sc.MOUNT_ATTR__ATIME | sc.MOUNT_ATTR_NOSUID
    assert mountopts.parse(["tmpcopyup"]).copyup is True
    with pytest.raises(ValueError, match="idmap"):
        mountopts.parse(["idmap"])


def test_argv():
    a = argv.parse(["--root=/r", "--log", "l", "create", "-b", "bun", "--pid-file=p", "c1"])
    assert (a.root, a.log, a.command, a.bundle, a.pid_file, a.id) == ("/r", "l", "create",
                                                                       "bun", "p", "c1")
    assert argv.parse(["kill", "c1", "9"]).signal == "9"
    assert argv.parse(["delete", "-f", "c1"]).force is True
    for bad in (["state"], ["nope"], ["kill", "a", "b", "c"], ["--log-format", "xml", "list"],
                ["create", "--bundle"]):
        with pytest.raises(argv.UsageError):
            argv.parse(bad)


def test_cgroup_v2_translation(tmp_path):
    cgroups_v2.apply(tmp_path, {"memory": {"limit": 1 << 20, "swap": 3 << 20},
                                "cpu": {"shares": 1024, "quota": 50000, "period": 100000},
                                "pids": {"limit": 0}, "unified": {"io.weight": "default 50"}})
    read = lambda n: (tmp_path / n).read_text()  # noqa: E731
    assert read("memory.max") == str(1 << 20) and read("memory.swap.max") == str(2 << 20)
    assert read("cpu.weight") == str(cgroups_v2.shares_to_weight(1024)) == "39"
    assert read("cpu.max") == "50000 100000" and read("pids.max") == "max"
    assert read("io.weight") == "default 50"
    with pytest.raises(ValueError):
        cgroups_v2.apply(tmp_path, {"unified": {"../escape": "1"}})


def test_exec_command_line_is_parsed_like_runc():
    from oci_conform.reference.runtime import argv
    args = argv.parse(["--root", "/r", "exec", "-e", "A=1", "--env=B=2", "-t", "--cap",
                       "CAP_KILL", "c1", "sh", "-c", "echo -n x", "--tty"])
    assert (args.command, args.id, args.env, args.tty, args.cap) == \
        ("exec", "c1", ["A=1", "B=2"], True, ["CAP_KILL"])
    assert args.rest == ["sh", "-c", "echo -n x", "--tty"]     # after the id: the command
    assert argv.parse(["exec", "--process", "/p", "-d", "c1"]).rest == []


def test_exec_process_from_the_command_line():
    from oci_conform.reference.runtime import argv
    from oci_conform.reference.runtime.execproc import build_process
    base = {"args": ["sleep", "1"], "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0},
            "capabilities": {"bounding": ["CAP_CHOWN"], "inheritable": ["CAP_CHOWN"]},
            "terminal": True, "consoleSize": {"height": 1, "width": 1}}
    args = argv.parse(["exec", "-u", "5:6", "-g", "7", "--cwd", "/tmp", "-e", "X=1", "-c",
                       "CAP_KILL", "--no-new-privs", "c", "id"])
    proc = build_process(base, args)
    assert proc["args"] == ["id"] and proc["env"] == ["PATH=/bin", "X=1"]
    assert proc["user"] == {"uid": 5, "gid": 6, "additionalGids": [7]}
    assert proc["cwd"] == "/tmp" and proc["terminal"] is False and "consoleSize" not in proc
    assert proc["capabilities"]["bounding"] == ["CAP_CHOWN", "CAP_KILL"]
    assert proc["capabilities"]["ambient"] == ["CAP_KILL"]       # inheritable was set
    assert proc["noNewPrivileges"] is True
    assert base["env"] == ["PATH=/bin"]                          # the base is not changed
