"""seccomp, AppArmor, SELinux (the last two skip with a reason where the host has none)."""
from __future__ import annotations

import json
import os
import select
import socket
import threading
import uuid
from pathlib import Path

from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Observation,
    Probe,
    Unmet,
    expect,
    needs_host,
    not_offered,
    probe_case,
    run_probe,
)
from oci_conform.suites.runtime.refusal import error_case
from oci_conform.suites.runtime.sandbox import JSON, Sandbox
from oci_conform.suites.runtime.target import RuntimeTarget

G = "security"


def _seccomp(rules: list[JSON], default: str = "SCMP_ACT_ALLOW", **extra: object):
    def m(cfg: JSON, sb: Sandbox) -> None:
        cfg["linux"]["seccomp"] = {"defaultAction": default, "architectures":
                                   ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                                   "syscalls": rules, **extra}
    return m


def _no_seccomp(t: RuntimeTarget) -> str | Unmet | None:
    if not t.host.seccomp:
        return "host kernel has no seccomp"
    enabled = (t.features or {}).get("linux", {}).get("seccomp", {}).get("enabled")
    return not_offered("runtime features say seccomp is disabled") if enabled is False \
        else None


def errno_case() -> Case:
    script = "mkdir /tmp/blocked 2> /results/err; echo $? > /results/rc"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("rc").strip() != "0" and "not permitted" in obs.get("err"),
                      "a syscall with SCMP_ACT_ERRNO fails with EPERM", "EPERM",
                      obs.get("err").strip())
    return probe_case("seccomp-errno-default-eperm", G, ("rt.config-linux.seccomp.1",
                                                         "rt.config-linux.seccomp.15",
                                                         "rt.config-linux.seccomp.17",
                                                         "rt.config-linux.seccomp.19"),
                      script, judge,
                      _seccomp([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]),
                      (_no_seccomp,))


def errno_ret_case() -> Case:
    script = "mkdir /tmp/blocked 2> /results/err; echo $? > /results/rc"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        err = obs.get("err").lower()
        return expect("not implemented" in err or "function not" in err,
                      "errnoRet picks the errno (38, ENOSYS)", "ENOSYS", obs.get("err").strip())
    return probe_case("seccomp-errno-ret", G, ("rt.config-linux.seccomp.20",), script, judge,
                      _seccomp([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                                 "errnoRet": 38}]), (_no_seccomp,), since="1.0.2")


def kill_case() -> Case:
    script = "sh -c 'mkdir /tmp/killed'; echo $? > /results/rc"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        rc = obs.get("rc").strip()
        return expect(rc == str(128 + 31), "SCMP_ACT_KILL ends the caller with SIGSYS",
                      "exit 159", rc)
    return probe_case("seccomp-kill", G, ("rt.config-linux.seccomp.19",), script, judge,
                      _seccomp([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]),
                      (_no_seccomp,))


def args_case() -> Case:
    # personality(0xffffffff) only queries; block it only for that argument value
    script = ("setarch linux32 true 2> /results/err32; echo $? > /results/rc32; "
              "mkdir /tmp/ok 2> /results/err; echo $? > /results/rc")

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("rc").strip() == "0", "an args rule does not block other calls "
                      "(mkdir of mode 0777 allowed, only mode 0700 blocked)", "0",
                      obs.get("rc").strip() + " " + obs.get("err").strip())
    rule = {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
            "args": [{"index": 1, "value": 0o700, "op": "SCMP_CMP_EQ"}]}
    return probe_case("seccomp-args-filter", G, ("rt.config-linux.seccomp.22",
                                                 "rt.config-linux.seccomp.23",
                                                 "rt.config-linux.seccomp.24",
                                                 "rt.config-linux.seccomp.26"), script,
                      judge, _seccomp([rule]), (_no_seccomp,))


def status_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        line = next((ln for ln in obs.lines("st") if ln.startswith("Seccomp:")), "")
        return expect(line.split()[-1:] == ["2"], "the process runs under a seccomp filter",
                      "Seccomp: 2", line)
    return probe_case("seccomp-filter-installed", G, ("rt.config-linux.seccomp.1",
                                                      "rt.config-linux.seccomp.2"),
                      "cat /proc/1/status > /results/st", judge,
                      _seccomp([{"names": ["reboot"], "action": "SCMP_ACT_ERRNO"}]),
                      (_no_seccomp,))


def _errno_on_kill(cfg: JSON, sb: Sandbox) -> None:
    _seccomp([{"names": ["uname"], "action": "SCMP_ACT_KILL", "errnoRet": 5}])(cfg, sb)


def _kill_uname(cfg: JSON, sb: Sandbox) -> None:
    _seccomp([{"names": ["uname"], "action": "SCMP_ACT_KILL"}])(cfg, sb)


def _empty_names(cfg: JSON, sb: Sandbox) -> None:
    _seccomp([{"names": [], "action": "SCMP_ACT_ERRNO"}])(cfg, sb)


def _named_uname(cfg: JSON, sb: Sandbox) -> None:
    _seccomp([{"names": ["uname"], "action": "SCMP_ACT_ERRNO"}])(cfg, sb)


def apparmor_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect("oci-conform-test" in obs.get("cur"), "apparmorProfile applies",
                      "oci-conform-test", obs.get("cur").strip())
    return probe_case("apparmor-profile", G, ("rt.config.linux-process.1",),
                      "cat /proc/self/attr/current > /results/cur", judge,
                      lambda c, s: c["process"].__setitem__("apparmorProfile", "oci-conform-test"),
                      (needs_host("apparmor", "AppArmor"),))


def selinux_case() -> Case:
    label = "system_u:system_r:container_t:s0:c1,c2"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(label in obs.get("cur"), "selinuxLabel applies", label,
                      obs.get("cur").strip())
    return probe_case("selinux-process-label", G, ("rt.config.linux-process.22",),
                      "cat /proc/self/attr/current > /results/cur", judge,
                      lambda c, s: c["process"].__setitem__("selinuxLabel", label),
                      (needs_host("selinux", "SELinux"),))


def mount_label_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect("s0:c1,c2" in obs.get("mi"), "mountLabel applies to mounts",
                      "context=...s0:c1,c2", obs.get("mi")[:300])
    return probe_case("selinux-mount-label", G, ("rt.config-linux.mount-label.1",),
                      "cat /proc/self/mountinfo > /results/mi", judge,
                      lambda c, s: c["linux"].__setitem__(
                          "mountLabel", "system_u:object_r:container_file_t:s0:c1,c2"),
                      (needs_host("selinux", "SELinux"),))


class SeccompAgent:
    """A seccomp agent stand-in: receives the container process state and the notify fd."""

    def __init__(self) -> None:
        self.path = Path(f"/tmp/oc-seccomp-{uuid.uuid4().hex[:10]}.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(self.path))
        self.sock.listen(2)
        self.sock.settimeout(15)
        self.payload = b""
        self.fds: list[int] = []
        self.connections = 0
        self.error = ""
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        # a blocking wait on the socket and on close()'s word, the socket first: a runtime
        # that connected is always served, however late close() spoke
        ready = select.select([self.sock.fileno(), self._wake_r], [], [], 15)[0]
        if self.sock.fileno() not in ready:
            self.error = ("no connection while the container existed" if ready
                          else "no connection: timed out")
            return
        try:
            conn, _ = self.sock.accept()
        except OSError as exc:
            self.error = f"no connection: {exc}"
            return
        self.connections += 1
        with conn:
            conn.settimeout(10)
            try:
                while True:
                    data, fds, _, _ = socket.recv_fds(conn, 65536, 4)
                    self.fds += list(fds)
                    if not data:
                        break
                    self.payload += data[: max(0, 1 << 20 - len(self.payload))]
            except OSError as exc:
                self.error = f"receive failed: {exc}"
        for fd in self.fds:       # closing the notify fd makes the blocked call fail
            try:
                os.close(fd)
            except OSError:
                pass

    def close(self) -> None:
        """Stop waiting once the container is gone: a runtime connects before the
        container's program runs, so no connection by now means none is coming (waiting
        out the 15 s would not change the outcome)."""
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=15)
        self.sock.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        self.path.unlink(missing_ok=True)


def listener_flow(sb: Sandbox) -> list[Judgment]:
    agent = SeccompAgent()
    try:
        rule = {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}
        mutate = _seccomp([rule], listenerPath=str(agent.path),
                          listenerMetadata="oci-conform-meta")
        obs = run_probe(sb, "mkdir /tmp/notified 2> /results/err; echo $? > /results/rc",
                        mutate)
    finally:
        agent.close()
    sb.notes["seccomp_agent"] = {"connections": agent.connections, "fds": len(agent.fds),
                                 "error": agent.error,
                                 "payload": agent.payload[:2000].decode("utf-8", "replace")}
    if isinstance(obs, Observation):
        return [obs]
    try:
        doc = json.loads(agent.payload or b"null")
    except ValueError:
        doc = None
    state = doc.get("state") if isinstance(doc, dict) else None
    out = [expect(agent.connections == 1 and bool(agent.fds),
                  "the runtime connects to listenerPath and passes the seccomp fd",
                  "one connection with a file descriptor",
                  f"{agent.connections} connection(s), {len(agent.fds)} fd(s) {agent.error}",
                  "", "rt.config-linux.seccomp.7", "rt.config-linux.seccomp.8",
                  "rt.config-linux.seccomp.9"),
           expect(isinstance(doc, dict) and isinstance(doc.get("ociVersion"), str)
                  and isinstance(doc.get("pid"), int) and isinstance(state, dict)
                  and state.get("id") == sb.cid,
                  "the container process state arrives as JSON", "ociVersion, pid, state.id",
                  agent.payload[:300].decode("utf-8", "replace"), "",
                  "rt.config-linux.containerprocessstate.1",
                  "rt.config-linux.containerprocessstate.4",
                  "rt.config-linux.containerprocessstate.6",
                  "rt.config-linux.containerprocessstate.8"),
           expect(isinstance(doc, dict) and "seccompFd" in (doc.get("fds") or []),
                  "the fds list names seccompFd", "seccompFd", repr((doc or {}).get("fds")),
                  "", "rt.config-linux.seccomp.12"),
           expect(isinstance(doc, dict) and doc.get("metadata") == "oci-conform-meta",
                  "listenerMetadata is passed as metadata", "oci-conform-meta",
                  repr((doc or {}).get("metadata")), "", "rt.config-linux.seccomp.13")]
    return out


def personality_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("m").strip() in ("i686", "i386"), "personality LINUX32 applies",
                      "i686", obs.get("m").strip())
    return probe_case("personality-linux32", G, ("rt.config-linux.personality.1",
                      "rt.config-linux.personality.2"), "uname -m > /results/m", judge,
                      lambda c, s: c["linux"].__setitem__("personality", {"domain": "LINUX32"}),
                      (lambda t: None if os.uname().machine == "x86_64"
                       else "LINUX32 is checked on x86_64 hosts only",))


CASES: list[Case] = [
    errno_case(), errno_ret_case(), kill_case(), args_case(), status_case(),
    error_case("seccomp-errno-on-kill-action-errors", G, ("rt.config-linux.seccomp.21",),
               _errno_on_kill, ("errnoRet", "errno", "SCMP_ACT_KILL", "action"), _kill_uname,
               (_no_seccomp,), since="1.0.2"),
    error_case("seccomp-empty-names-errors", G, ("rt.config.valid-values.1",), _empty_names,
               ("names", "empty", "syscall"), _named_uname, (_no_seccomp,)),
    apparmor_case(), selinux_case(), mount_label_case(),
    Case("seccomp-listener-receives-state-and-fd", G, ("rt.config-linux.seccomp.7",
                                                       "rt.config-linux.seccomp.8",
                                                       "rt.config-linux.seccomp.9",
                                                       "rt.config-linux.seccomp.12",
         "rt.config-linux.seccomp.13", "rt.config-linux.containerprocessstate.1",
         "rt.config-linux.containerprocessstate.4", "rt.config-linux.containerprocessstate.6",
         "rt.config-linux.containerprocessstate.8"), listener_flow, (_no_seccomp,)),
    personality_case(),
]
