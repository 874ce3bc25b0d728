"""seccomp, AppArmor, SELinux (the last two skip with a reason where the host has none)."""
from __future__ import annotations

from oci_conform.suites.runtime.case import (
    Case,
    Observation,
    Verdict,
    error_case,
    expect,
    needs_host,
    probe_case,
)
from oci_conform.suites.runtime.sandbox import JSON, Sandbox

G = "security"
S = "rt.config-linux.seccomp."


def _seccomp(rules: list[JSON], default: str = "SCMP_ACT_ALLOW", **extra: object):
    def m(cfg: JSON, sb: Sandbox) -> None:
        cfg["linux"]["seccomp"] = {"defaultAction": default, "architectures":
                                   ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                                   "syscalls": rules, **extra}
    return m


def _no_seccomp(t) -> str | None:  # type: ignore[no-untyped-def]
    if not t.host.seccomp:
        return "host kernel has no seccomp"
    enabled = (t.features or {}).get("linux", {}).get("seccomp", {}).get("enabled")
    return "runtime features say seccomp is disabled" if enabled is False else None


def errno_case() -> Case:
    script = "mkdir /tmp/blocked 2> /results/err; echo $? > /results/rc"

    def judge(obs: Observation, sb: Sandbox) -> Verdict:
        return expect(obs.get("rc").strip() != "0" and "not permitted" in obs.get("err"),
                      "a syscall with SCMP_ACT_ERRNO fails with EPERM", "EPERM",
                      obs.get("err").strip())
    return probe_case("seccomp-errno-default-eperm", G, (S + "1", S + "15", S + "17", S + "19"),
                      script, judge,
                      _seccomp([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]),
                      (_no_seccomp,))


def errno_ret_case() -> Case:
    script = "mkdir /tmp/blocked 2> /results/err; echo $? > /results/rc"

    def judge(obs: Observation, sb: Sandbox) -> Verdict:
        err = obs.get("err").lower()
        return expect("not implemented" in err or "function not" in err,
                      "errnoRet picks the errno (38, ENOSYS)", "ENOSYS", obs.get("err").strip())
    return probe_case("seccomp-errno-ret", G, (S + "20",), script, judge,
                      _seccomp([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                                 "errnoRet": 38}]), (_no_seccomp,), since="1.0.2")


def kill_case() -> Case:
    script = "sh -c 'mkdir /tmp/killed'; echo $? > /results/rc"

    def judge(obs: Observation, sb: Sandbox) -> Verdict:
        rc = obs.get("rc").strip()
        return expect(rc == str(128 + 31), "SCMP_ACT_KILL ends the caller with SIGSYS",
                      "exit 159", rc)
    return probe_case("seccomp-kill", G, (S + "19",), script, judge,
                      _seccomp([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]),
                      (_no_seccomp,))


def args_case() -> Case:
    # personality(0xffffffff) only queries; block it only for that argument value
    script = ("setarch linux32 true 2> /results/err32; echo $? > /results/rc32; "
              "mkdir /tmp/ok 2> /results/err; echo $? > /results/rc")

    def judge(obs: Observation, sb: Sandbox) -> Verdict:
        return expect(obs.get("rc").strip() == "0", "an args rule does not block other calls "
                      "(mkdir of mode 0777 allowed, only mode 0700 blocked)", "0",
                      obs.get("rc").strip() + " " + obs.get("err").strip())
    rule = {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
            "args": [{"index": 1, "value": 0o700, "op": "SCMP_CMP_EQ"}]}
    return probe_case("seccomp-args-filter", G, (S + "22", S + "23", S + "24", S + "26"), script,
                      judge, _seccomp([rule]), (_no_seccomp,))


def status_case() -> Case:
    def judge(obs: Observation, sb: Sandbox) -> Verdict:
        line = next((ln for ln in obs.lines("st") if ln.startswith("Seccomp:")), "")
        return expect(line.split()[-1:] == ["2"], "the process runs under a seccomp filter",
                      "Seccomp: 2", line)
    return probe_case("seccomp-filter-installed", G, (S + "1", S + "2"),
                      "cat /proc/1/status > /results/st", judge,
                      _seccomp([{"names": ["reboot"], "action": "SCMP_ACT_ERRNO"}]),
                      (_no_seccomp,))


def _errno_on_kill(cfg: JSON, sb: Sandbox) -> None:
    _seccomp([{"names": ["uname"], "action": "SCMP_ACT_KILL", "errnoRet": 5}])(cfg, sb)


def _empty_names(cfg: JSON, sb: Sandbox) -> None:
    _seccomp([{"names": [], "action": "SCMP_ACT_ERRNO"}])(cfg, sb)


def apparmor_case() -> Case:
    def judge(obs: Observation, sb: Sandbox) -> Verdict:
        return expect("oci-conform-test" in obs.get("cur"), "apparmorProfile applies",
                      "oci-conform-test", obs.get("cur").strip())
    return probe_case("apparmor-profile", G, ("rt.config.linux-process.1",),
                      "cat /proc/self/attr/current > /results/cur", judge,
                      lambda c, s: c["process"].__setitem__("apparmorProfile", "oci-conform-test"),
                      (needs_host("apparmor", "AppArmor"),))


def selinux_case() -> Case:
    label = "system_u:system_r:container_t:s0:c1,c2"

    def judge(obs: Observation, sb: Sandbox) -> Verdict:
        return expect(label in obs.get("cur"), "selinuxLabel applies", label,
                      obs.get("cur").strip())
    return probe_case("selinux-process-label", G, ("rt.config.linux-process.22",),
                      "cat /proc/self/attr/current > /results/cur", judge,
                      lambda c, s: c["process"].__setitem__("selinuxLabel", label),
                      (needs_host("selinux", "SELinux"),))


def mount_label_case() -> Case:
    def judge(obs: Observation, sb: Sandbox) -> Verdict:
        return expect("s0:c1,c2" in obs.get("mi"), "mountLabel applies to mounts",
                      "context=...s0:c1,c2", obs.get("mi")[:300])
    return probe_case("selinux-mount-label", G, ("rt.config-linux.mount-label.1",),
                      "cat /proc/self/mountinfo > /results/mi", judge,
                      lambda c, s: c["linux"].__setitem__(
                          "mountLabel", "system_u:object_r:container_file_t:s0:c1,c2"),
                      (needs_host("selinux", "SELinux"),))


CASES: list[Case] = [
    errno_case(), errno_ret_case(), kill_case(), args_case(), status_case(),
    error_case("seccomp-errno-on-kill-action-errors", G, (S + "21",), _errno_on_kill,
               (_no_seccomp,), since="1.0.2"),
    error_case("seccomp-empty-names-errors", G, ("rt.config.valid-values.1",), _empty_names,
               (_no_seccomp,)),
    apparmor_case(), selinux_case(), mount_label_case(),
]
