"""process: args, env, cwd, user and groups, umask, rlimits, capabilities, nnp, oom, terminal.

The container process is busybox ``sh`` as PID 1 of a new pid namespace, so
``/proc/1`` inside is the configured process itself (not a child that exec'd).
"""
from __future__ import annotations

import os
import re
import resource
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from oci_conform.drivers.host_probes import caps_from_mask
from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Observation,
    Probe,
    bad,
    broke,
    expect,
    ok,
    probe_case,
    run_probe,
)
from oci_conform.suites.runtime.refusal import error_case, set_rlimits
from oci_conform.suites.runtime.sandbox import JSON, Sandbox

G = "process"
# /proc first; the shell's own getrlimit and umask calls too (sh is PID 1 here), for
# runtimes whose kernel has no /proc/PID/limits or no Umask row (gVisor's sentry).
SNAPSHOT = ("cat /proc/1/status > /results/status; cat /proc/1/limits > /results/limits; "
            "cat /proc/1/environ > /results/environ; cat /proc/1/cmdline > /results/cmdline; "
            "readlink /proc/1/cwd > /results/cwd; cat /proc/1/oom_score_adj > /results/oom; "
            "ulimit -S -a > /results/ulimit-soft; ulimit -H -a > /results/ulimit-hard; "
            "umask > /results/umask; pwd > /results/pwd")


def status(obs: Probe) -> dict[str, str]:
    out = {}
    for line in obs.lines("status"):
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


def _proc(mut):
    def m(cfg: JSON, sb: Sandbox) -> None:
        mut(cfg["process"])
    return m


# -- args, env, cwd, user ---------------------------------------------------------------------
def args_case() -> Case:
    extra = ["first", "two  words", "", "*", "$HOME"]

    def mutate(cfg: JSON, sb: Sandbox) -> None:
        cfg["process"]["args"] = [*cfg["process"]["args"], *extra]

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        got = obs.get("cmdline").split("\0")[:-1]
        return expect(got[3:] == extra and got[:2] == ["sh", "-c"],
                      "process.args reach the program exactly", repr(["sh", "-c", "...", *extra]),
                      repr(got))
    return probe_case("process-args-exact", G, ("rt.config.process.11", "rt.config.process.12"),
                      SNAPSHOT, judge, mutate)


def env_case() -> Case:
    env = ["PATH=/bin", "OC_A=1", "OC_SPACE=a  b", "OC_EMPTY=", "OC_EQ=x=y"]

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        got = [ln for ln in obs.get("environ").split("\0") if ln]
        return expect(sorted(got) == sorted(env), "process.env is the environment exactly",
                      repr(env), repr(got))
    return probe_case("process-env-exact", G, ("rt.config.process.10",), SNAPSHOT, judge,
                      _proc(lambda p: p.__setitem__("env", list(env))))


def cwd_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        got, source = obs.get("cwd").strip(), "/proc/1/cwd"
        if not got:
            # gVisor refuses readlink of /proc/1/cwd; PID 1's own getcwd still answers
            got, source = obs.get("pwd").strip(), "PID 1's getcwd (/proc/1/cwd unreadable)"
        return expect(got == "/home/tester", f"process.cwd is the working dir (read from "
                      f"{source})", "/home/tester", got)
    return probe_case("process-cwd", G, ("rt.config.process.8",), SNAPSHOT, judge,
                      _proc(lambda p: p.__setitem__("cwd", "/home/tester")))


def user_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> list[Judgment]:
        st = status(obs)
        uids, gids = st.get("Uid", "").split(), st.get("Gid", "").split()
        return [expect(bool(uids) and set(uids) == {"1000"},
                       "uid applies (real, effective, saved, fs)",
                       "1000", st.get("Uid"), "/process/user/uid", "rt.config.posixuser.1"),
                expect(bool(gids) and set(gids) == {"1001"}, "gid applies", "1001", st.get("Gid"),
                       "/process/user/gid", "rt.config.posixuser.2")]
    return probe_case("process-user-uid-gid", G, ("rt.config.posixuser.1",
                      "rt.config.posixuser.2"), SNAPSHOT, judge,
                      _proc(lambda p: p.__setitem__("user", {"uid": 1000, "gid": 1001})))


def groups_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        groups = set(status(obs).get("Groups", "").split())
        return expect({"2001", "2002"} <= groups and groups <= {"2001", "2002", "1000"},
                      "additionalGids are the supplementary groups", "2001 2002",
                      " ".join(sorted(groups)))
    return probe_case("process-additional-gids", G, ("rt.config.posixuser.4",), SNAPSHOT, judge,
                      _proc(lambda p: p.__setitem__("user", {"uid": 1000, "gid": 1000,
                                                             "additionalGids": [2001, 2002]})))


def umask_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        got, source = status(obs).get("Umask", ""), "/proc/1/status"
        if not got:
            got, source = obs.get("umask").strip(), "the umask call of PID 1 (no Umask row in " \
                "/proc/1/status)"
        if not got or not got.isdigit():
            return broke("neither /proc/1/status nor the umask call showed the umask")
        return expect(int(got, 8) == 0o027, f"user.umask applies (read from {source})", "0027",
                      got)
    return probe_case("process-umask", G, ("rt.config.posixuser.3",), SNAPSHOT, judge,
                      _proc(lambda p: p["user"].__setitem__("umask", 0o027)), since="1.1.0")


def unlisted_uid_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        uids = status(obs).get("Uid", "").split()
        return expect(set(uids) == {"4242"}, "a uid without a passwd entry still applies",
                      "4242", " ".join(uids))
    return probe_case("process-uid-not-in-passwd", G, ("rt.config.posixuser.1",), SNAPSHOT,
                      judge, _proc(lambda p: p.__setitem__("user", {"uid": 4242, "gid": 4242})))


# -- rlimits -----------------------------------------------------------------------------------
LIMIT_ROWS = {"RLIMIT_NOFILE": "Max open files", "RLIMIT_NPROC": "Max processes",
              "RLIMIT_CORE": "Max core file size", "RLIMIT_CPU": "Max cpu time",
              "RLIMIT_FSIZE": "Max file size", "RLIMIT_MSGQUEUE": "Max msgqueue size"}


def _lower_limits(kind: str) -> tuple[int, int]:
    """Values at or below the host's hard limit (raising needs CAP_SYS_RESOURCE)."""
    res = getattr(resource, kind)
    _, hard = resource.getrlimit(res)
    cap = hard if hard != resource.RLIM_INFINITY else 1 << 20
    hard_v = max(2, min(cap, 1 << 20) // 2)
    return hard_v // 2, hard_v


# the getrlimit view: busybox ulimit's option letter, and its unit in bytes where it scales
ULIMIT_FLAG = {"RLIMIT_NOFILE": ("n", 1), "RLIMIT_NPROC": ("u", 1), "RLIMIT_CORE": ("c", 512),
               "RLIMIT_CPU": ("t", 1), "RLIMIT_FSIZE": ("f", 512), "RLIMIT_MSGQUEUE": ("q", 1)}
ULIMIT_LINE = re.compile(r"\(-([a-z])\)\s+(\S+)\s*$")


def _limits_row(obs: Probe, kind: str) -> tuple[str, str] | None:
    for line in obs.lines("limits"):
        if line.startswith(LIMIT_ROWS[kind]):
            parts = line[len(LIMIT_ROWS[kind]):].split()
            return (parts[0], parts[1]) if len(parts) >= 2 else None
    return None


def _ulimit_value(obs: Probe, which: str, kind: str) -> str | None:
    """The limit as PID 1's getrlimit reports it (``ulimit -S/-H -a``), in bytes or units."""
    flag, unit = ULIMIT_FLAG[kind]
    for line in obs.lines(f"ulimit-{which}"):
        m = ULIMIT_LINE.search(line)
        if m and m.group(1) == flag:
            value = m.group(2)
            return value if not value.isdigit() else str(int(value) * unit)
    return None


def _rlimit_seen(obs: Probe, kind: str) -> tuple[str, str, str] | None:
    """(soft, hard, where they were read) with the expected values rounded to what the
    source can show; None when neither /proc/1/limits nor getrlimit shows the limit."""
    row = _limits_row(obs, kind)
    if row is not None:
        return row[0], row[1], "/proc/1/limits"
    got_soft, got_hard = _ulimit_value(obs, "soft", kind), _ulimit_value(obs, "hard", kind)
    if got_soft is None or got_hard is None:
        return None
    return got_soft, got_hard, "getrlimit (busybox ulimit; no row in /proc/1/limits)"


def _rounded(value: int, kind: str, source: str) -> str:
    """``value`` as ``source`` can show it (ulimit shows core and file sizes in 512-byte
    blocks)."""
    unit = ULIMIT_FLAG[kind][1] if source.startswith("getrlimit") else 1
    return str(value // unit * unit)


def rlimit_case(kind: str) -> Case:
    soft, hard = _lower_limits(kind)

    def mutate(cfg: JSON, sb: Sandbox) -> None:
        cfg["process"]["rlimits"] = [{"type": kind, "soft": soft, "hard": hard}]

    def judge(obs: Probe, sb: Sandbox) -> list[Judgment]:
        seen = _rlimit_seen(obs, kind)
        if seen is None:
            return [broke(f"neither /proc/1/limits ({LIMIT_ROWS[kind]}) nor getrlimit "
                          f"showed {kind}")]
        got_soft, got_hard, source = seen
        want_soft, want_hard = _rounded(soft, kind, source), _rounded(hard, kind, source)
        return [expect(got_soft == want_soft, f"{kind} soft limit applies (read from {source})",
                       want_soft, got_soft, "", "rt.config.posixprocess.6"),
                expect(got_hard == want_hard, f"{kind} hard limit applies (read from {source})",
                       want_hard, got_hard, "", "rt.config.posixprocess.8")]
    return probe_case(f"process-rlimit-{kind.lower()}", G, ("rt.config.posixprocess.4",
                      "rt.config.posixprocess.6", "rt.config.posixprocess.8"), SNAPSHOT,
                      lambda o, s: judge(o, s) + [ok("getrlimit succeeds for the type",
                                                     "rt.config.posixprocess.4")], mutate)


# -- capabilities --------------------------------------------------------------------------------
# At execve the kernel recomputes the sets: a uid-0 program's effective set becomes its
# permitted set, whatever was set before the exec. So the effective set a runtime can apply is
# the permitted one; a config asking for less in effective is one no runtime can realise, and
# judging it would judge the kernel. The effective case therefore asks for effective ==
# permitted (both different from the default sets).
CAPS = {"bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE", "CAP_CHOWN"],
        "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
        "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
        "inheritable": ["CAP_NET_BIND_SERVICE"],
        "ambient": ["CAP_NET_BIND_SERVICE"]}
CAP_FIELD = {"bounding": "CapBnd", "permitted": "CapPrm", "effective": "CapEff",
             "inheritable": "CapInh", "ambient": "CapAmb"}
CAP_CLAUSE = {"effective": "rt.config.linux-process.5", "bounding": "rt.config.linux-process.6",
              "inheritable": "rt.config.linux-process.7",
              "permitted": "rt.config.linux-process.8", "ambient": "rt.config.linux-process.9"}


def caps_case(which: str) -> Case:
    def mutate(cfg: JSON, sb: Sandbox) -> None:
        cfg["process"]["capabilities"] = {k: list(v) for k, v in CAPS.items()}

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        raw = status(obs).get(CAP_FIELD[which], "")
        if not raw and which == "ambient" and status(obs).get("CapPrm"):
            # Linux has shown the ambient set since 4.3; a kernel that shows the other sets
            # but not this one (gVisor's sentry) keeps no ambient set the process can see.
            return bad("the container's kernel shows no CapAmb row in /proc/1/status (the "
                       "other sets are shown): no ambient set is in effect that the process "
                       "can see", ", ".join(sorted(CAPS[which])), "no CapAmb row")
        if not raw:
            return broke(f"no {CAP_FIELD[which]} in /proc/1/status")
        got = sorted(caps_from_mask(int(raw, 16)))
        return expect(got == sorted(CAPS[which]), f"the {which} capability set is as configured",
                      ", ".join(sorted(CAPS[which])), ", ".join(got))
    return probe_case(f"process-capabilities-{which}", G, (CAP_CLAUSE[which],), SNAPSHOT, judge,
                      mutate)


def nnp_case(value: bool) -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        got = status(obs).get("NoNewPrivs", "")
        return expect(got == ("1" if value else "0"), f"noNewPrivileges={value} applies",
                      "1" if value else "0", got)
    return probe_case(f"process-no-new-privileges-{str(value).lower()}", G,
                      ("rt.config.linux-process.10",), SNAPSHOT, judge,
                      _proc(lambda p: p.__setitem__("noNewPrivileges", value)))


def oom_set_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("oom").strip() == "345", "oomScoreAdj is written", "345",
                      obs.get("oom").strip())
    return probe_case("process-oom-score-adj-set", G, ("rt.config.linux-process.12",), SNAPSHOT,
                      judge, _proc(lambda p: p.__setitem__("oomScoreAdj", 345)))


def oom_unset_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        mine = Path("/proc/self/oom_score_adj").read_text().strip()
        return expect(obs.get("oom").strip() == mine, "without oomScoreAdj the value is "
                      "inherited unchanged", mine, obs.get("oom").strip())
    return probe_case("process-oom-score-adj-unset", G, ("rt.config.linux-process.13",),
                      SNAPSHOT, judge)


# -- terminal ---------------------------------------------------------------------------------
class ConsoleReceiver:
    """Listens on a unix socket for the pty master a runtime sends with SCM_RIGHTS."""

    def __init__(self) -> None:
        self.path = Path(f"/tmp/oc-console-{uuid.uuid4().hex[:10]}.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(self.path))
        self.sock.listen(1)
        self.sock.settimeout(15)
        self.fds: list[int] = []
        self.error = ""
        self.output = bytearray()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError as exc:
            self.error = f"no connection: {exc}"
            return
        with conn:
            conn.settimeout(10)
            try:
                _, fds, _, _ = socket.recv_fds(conn, 4096, 4)
                self.fds = list(fds)
            except OSError as exc:
                self.error = f"recv_fds failed: {exc}"
                return
        if self.fds:
            os.set_blocking(self.fds[0], False)
            deadline = time.monotonic() + 12
            while time.monotonic() < deadline:
                try:
                    chunk = os.read(self.fds[0], 4096)
                    if not chunk:
                        break
                    self.output += chunk[: max(0, 8192 - len(self.output))]
                except BlockingIOError:
                    time.sleep(0.05)
                except OSError:
                    break

    def close(self) -> None:
        self._thread.join(timeout=15)
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.sock.close()
        self.path.unlink(missing_ok=True)


def terminal_flow(size: dict[str, int] | None) -> Callable[[Sandbox], list[Judgment]]:
    def flow(sb: Sandbox) -> list[Judgment]:
        recv = ConsoleReceiver()
        try:
            script = ("[ -t 0 ] && echo yes > /results/tty || echo no > /results/tty; "
                      "stty size > /results/size 2>&1; readlink /proc/self/fd/0 > /results/fd0")

            def mutate(cfg: JSON, _sb: Sandbox) -> None:
                cfg["process"]["terminal"] = True
                if size:
                    cfg["process"]["consoleSize"] = size
            original = sb.cli.create

            def create_with_socket(cid: str, bundle: Path, *extra: str):  # type: ignore
                return original(cid, bundle, "--console-socket", str(recv.path), *extra)
            sb.cli.create = create_with_socket  # type: ignore[method-assign]
            obs = run_probe(sb, script, mutate)
        finally:
            recv.close()
        sb.notes["console"] = {"fds_received": len(recv.fds), "error": recv.error,
                               "output": recv.output.decode("utf-8", "replace")[-500:]}
        if isinstance(obs, Observation):
            return [obs]
        out = [expect(bool(recv.fds), "a pty master arrives on the console socket (SCM_RIGHTS)",
                      "one file descriptor", recv.error or "none", "", "rt.config.process.3"),
               expect(obs.get("tty").strip() == "yes", "the process has a terminal as stdin",
                      "yes", obs.get("tty").strip(), "", "rt.config.process.3")]
        if size:
            want = f"{size['height']} {size['width']}"
            out.append(expect(obs.get("size").strip() == want, "consoleSize applies", want,
                              obs.get("size").strip(), "", "rt.config.process.4"))
        return out
    return flow


def console_size_ignored(obs: Probe, sb: Sandbox) -> Judgment:
    return expect(obs.get("tty").strip() == "no", "consoleSize without terminal is ignored "
                  "(no terminal, create succeeds)", "no", obs.get("tty").strip())


# Both entries only lower the limit, so neither needs a privilege this host may lack.
_bad_rlimits = set_rlimits({"type": "RLIMIT_NOFILE", "soft": 200, "hard": 200},
                           {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 100})
_one_rlimit = set_rlimits({"type": "RLIMIT_NOFILE", "soft": 100, "hard": 100})


def _unknown_rlimit(cfg: JSON, sb: Sandbox) -> None:
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_OCI_CONFORM_BOGUS", "soft": 1, "hard": 1}]


def _no_args(cfg: JSON, sb: Sandbox) -> None:
    cfg["process"]["args"] = []


CASES: list[Case] = [
    args_case(), env_case(), cwd_case(), user_case(), groups_case(), umask_case(),
    unlisted_uid_case(),
    *[rlimit_case(k) for k in ("RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CORE", "RLIMIT_CPU",
                               "RLIMIT_FSIZE", "RLIMIT_MSGQUEUE")],
    error_case("process-rlimit-duplicate-type-errors", G, ("rt.config.posixprocess.9",),
               _bad_rlimits, ("duplicate", "more than once", "twice", "already"), _one_rlimit),
    error_case("process-rlimit-unknown-type-errors", G, ("rt.config.posixprocess.3",),
               _unknown_rlimit, ("RLIMIT_OCI_CONFORM_BOGUS", "rlimit type", "unknown rlimit",
                                 "invalid rlimit"), _one_rlimit),
    error_case("process-empty-args-errors", G, ("rt.config.process.12",), _no_args,
               ("args", "argument", "executable", "command")),
    *[caps_case(w) for w in CAPS],
    nnp_case(True), nnp_case(False), oom_set_case(), oom_unset_case(),
    Case("process-terminal-console-socket", G, ("rt.config.process.3",), terminal_flow(None)),
    Case("process-terminal-console-size", G, ("rt.config.process.3", "rt.config.process.4"),
         terminal_flow({"height": 33, "width": 77}), since="1.0.2"),
    probe_case("process-console-size-ignored-without-terminal", G, ("rt.config.process.5",),
               "[ -t 0 ] && echo yes > /results/tty || echo no > /results/tty",
               console_size_ignored,
               _proc(lambda p: p.__setitem__("consoleSize", {"height": 10, "width": 10}))),
]
