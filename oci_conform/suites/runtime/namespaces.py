"""namespaces (new, inherited, joined by path, errors), user ns mappings, hostname, domainname."""
from __future__ import annotations

import os
import time

from oci_conform.suites.runtime.case import (
    Case,
    Judgment,
    Observation,
    Probe,
    bad,
    broke,
    expect,
    needs_host,
    needs_namespace,
    probe_case,
)
from oci_conform.suites.runtime.refusal import create_refused, error_case, judge_refusal
from oci_conform.suites.runtime.sandbox import JSON, Sandbox

G = "namespaces"
PROCFS = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt",
          "cgroup": "cgroup", "user": "user", "time": "time"}


def _ns_of(pid: int | str, kind: str) -> str:
    return os.readlink(f"/proc/{pid}/ns/{PROCFS[kind]}")


def _created_pid(sb: Sandbox, cfg: JSON) -> int | Judgment:
    sb.write(cfg)
    inv = sb.create()
    if not inv.ok:
        return bad(f"create failed: {inv.brief()}", "create exit 0", inv.stderr[-300:])
    _, doc = sb.state()
    pid = (doc or {}).get("pid")
    return pid if isinstance(pid, int) and pid > 0 else broke("no pid in state after create")


def new_ns_case(kind: str) -> Case:
    def flow(sb: Sandbox) -> Judgment:
        cfg = sb.config(["sleep", "30"])
        if not any(n["type"] == kind for n in cfg["linux"]["namespaces"]):
            cfg["linux"]["namespaces"].append({"type": kind})
        if kind == "user":
            cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
            cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
        pid = _created_pid(sb, cfg)
        if isinstance(pid, Observation):
            return pid
        if kind == "mount" and sb.target.command.wrapper:
            note = " (the wrapper's own mount namespace also differs; compared to the host)"
        else:
            note = ""
        mine, theirs = _ns_of("self", kind), _ns_of(pid, kind)
        return expect(mine != theirs, f"a new {kind} namespace is created{note}",
                      f"not {mine}", theirs)
    reqs = [needs_namespace(kind)]
    if kind == "user":
        reqs.append(needs_host("user_namespaces", "user namespaces"))
    if kind == "cgroup":
        reqs.append(needs_host("cgroup_namespace", "cgroup namespaces"))
    return Case(f"namespace-{kind}-new", G, ("rt.config-linux.namespaces.6",), flow, tuple(reqs))


def inherit_case(kind: str) -> Case:
    def flow(sb: Sandbox) -> Judgment:
        cfg = sb.config(["sleep", "30"])
        cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != kind]
        if kind == "uts":
            cfg.pop("hostname", None)
        pid = _created_pid(sb, cfg)
        if isinstance(pid, Observation):
            return pid
        mine, theirs = _ns_of("self", kind), _ns_of(pid, kind)
        return expect(mine == theirs, f"without a {kind} entry the runtime's namespace is kept",
                      mine, theirs)
    return Case(f"namespace-{kind}-inherited", G, ("rt.config-linux.namespaces.7",), flow)


def _holder(sb: Sandbox) -> int | Judgment:
    proc = sb.helper(["unshare", "--net", "--uts", "--ipc", "sleep", "60"])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if os.readlink(f"/proc/{proc.pid}/ns/uts") != _ns_of("self", "uts"):
                return proc.pid
        except OSError:
            pass
        time.sleep(0.02)
    return broke("the namespace holder did not come up")


def join_case(kind: str) -> Case:
    def flow(sb: Sandbox) -> Judgment:
        holder = _holder(sb)
        if isinstance(holder, Observation):
            return holder
        path = f"/proc/{holder}/ns/{PROCFS[kind]}"
        cfg = sb.config(["sleep", "30"])
        cfg["linux"]["namespaces"] = [n if n["type"] != kind else {"type": kind, "path": path}
                                      for n in cfg["linux"]["namespaces"]]
        pid = _created_pid(sb, cfg)
        if isinstance(pid, Observation):
            return pid
        want, got = os.readlink(path), _ns_of(pid, kind)
        return expect(want == got, f"the container joins the {kind} namespace at path", want,
                      got)
    return Case(f"namespace-{kind}-joined-by-path", G, ("rt.config-linux.namespaces.4",
                                                        "rt.config-linux.namespaces.2"), flow)


def wrong_type_case(sb: Sandbox) -> Judgment:
    holder = _holder(sb)
    if isinstance(holder, Observation):
        return holder
    def joined(target: str) -> JSON:
        cfg = sb.config(["true"])
        cfg["linux"]["namespaces"] = [n if n["type"] != "network" else
                                      {"type": "network", "path": f"/proc/{holder}/ns/{target}"}
                                      for n in cfg["linux"]["namespaces"]]
        return cfg
    control_cid = f"{sb.cid}-ctl"
    sb.extra_ids.append(control_cid)
    sb.write(joined("net"), sb.dir / "control")
    control = sb.create(control_cid, sb.dir / "control")
    sb.delete(control_cid, force=True)
    sb.write(joined("uts"))
    names = ("type", "wrong", "mismatch", "not a", "invalid argument")
    return judge_refusal("a network namespace path to a uts namespace",
                         create_refused(sb, names), names, control)


def _duplicate(cfg: JSON, sb: Sandbox) -> None:
    cfg["linux"]["namespaces"].append({"type": "uts"})


def _relative_path(cfg: JSON, sb: Sandbox) -> None:
    cfg["linux"]["namespaces"] = [n if n["type"] != "uts" else {"type": "uts",
                                                                  "path": "proc/1/ns/uts"}
                                  for n in cfg["linux"]["namespaces"]]


def _userns(cfg: JSON, sb: Sandbox) -> None:
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 1000}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 310000, "size": 2000}]


def mapping_case(which: str) -> Case:
    fname = "uid_map" if which == "uid" else "gid_map"
    want = "0 300000 1000" if which == "uid" else "0 310000 2000"

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        got = " ".join(obs.get(fname).split())
        return expect(got == want, f"{which}Mappings become /proc/self/{fname}", want, got)
    clause = ("rt.config-linux.user-namespace-mappings.1" if which == "uid"
              else "rt.config-linux.user-namespace-mappings.2")
    return probe_case(f"namespace-user-{which}-mappings", G, (clause,),
                      f"cat /proc/self/{fname} > /results/{fname}", judge, _userns,
                      (needs_host("user_namespaces", "user namespaces"),
                       needs_namespace("user")))


def hostname_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("h").strip() == "oc-probe-host", "hostname applies",
                      "oc-probe-host", obs.get("h").strip())
    return probe_case("uts-hostname", G, ("rt.config.hostname.1",), "hostname > /results/h",
                      judge, lambda c, s: c.__setitem__("hostname", "oc-probe-host"))


def domainname_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        if obs.get("none").strip():
            # the container's kernel offers no domainname to read (gVisor's sentry)
            return bad("the container's kernel has no /proc/sys/kernel/domainname: no "
                       "domainname is visible inside it", "oc.example", "no such file")
        return expect(obs.get("d").strip() == "oc.example", "domainname applies", "oc.example",
                      obs.get("d").strip())
    return probe_case("uts-domainname", G, ("rt.config.domainname.1",),
                      "cat /proc/sys/kernel/domainname > /results/d || "
                      "{ test -e /proc/sys/kernel/domainname || echo absent > /results/none; }",
                      judge,
                      lambda c, s: c.__setitem__("domainname", "oc.example"), since="1.1.0")


def pid_one_case() -> Case:
    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        return expect(obs.get("pid").strip() == "1", "in a new pid namespace the process is 1",
                      "1", obs.get("pid").strip())
    return probe_case("namespace-pid-process-is-1", G, ("rt.config-linux.namespaces.6",),
                      "echo $$ > /results/pid",
                      judge)


def cgroupns_view_case() -> Case:
    def mutate(cfg: JSON, sb: Sandbox) -> None:
        cfg["linux"]["namespaces"].append({"type": "cgroup"})

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        paths = [ln.split(":", 2)[2] for ln in obs.lines("cg") if ln.count(":") >= 2]
        leaked = [p for p in paths if sb.target.cgroup_parent in p]
        if not paths:
            # A Linux process always belongs to a cgroup ("0::/" at least); a container whose
            # kernel lists none (gVisor's sentry without cgroupfs) shows no cgroup view, so no
            # fresh cgroup namespace is visible to it.
            return bad("the container's /proc/self/cgroup lists no cgroup at all, so no "
                       "cgroup namespace rooted at its cgroup is visible",
                       "its own cgroup shown as /", "no lines")
        return expect(not leaked, "in a cgroup namespace the container's cgroup is its root",
                      "no host cgroup path", "; ".join(leaked))
    return probe_case("namespace-cgroup-rooted-view", G, ("rt.config-linux.namespaces.6",),
                      "cat /proc/self/cgroup > /results/cg", judge, mutate,
                      (needs_host("cgroup_namespace", "cgroup namespaces"),
                       needs_namespace("cgroup")))


def time_offsets_case() -> Case:
    def mutate(cfg: JSON, sb: Sandbox) -> None:
        cfg["linux"]["namespaces"].append({"type": "time"})
        cfg["linux"]["timeOffsets"] = {"monotonic": {"secs": 86400, "nanosecs": 0}}

    def judge(obs: Probe, sb: Sandbox) -> Judgment:
        got = obs.get("off")
        return expect("86400" in got, "timeOffsets apply in the time namespace",
                      "monotonic 86400 0", got)
    return probe_case("namespace-time-offsets", G, ("rt.config-linux.time-offset.1",),
                      "cat /proc/self/timens_offsets > /results/off", judge, mutate,
                      (needs_host("time_namespace", "time namespace"), needs_namespace("time")))


CASES: list[Case] = [
    *[new_ns_case(k) for k in ("pid", "network", "ipc", "uts", "mount", "cgroup", "user")],
    *[inherit_case(k) for k in ("network", "ipc", "uts")],
    *[join_case(k) for k in ("network", "uts", "ipc")],
    Case("namespace-path-of-wrong-type-errors", G, ("rt.config-linux.namespaces.5",),
         wrong_type_case),
    error_case("namespace-duplicate-type-errors", G, ("rt.config-linux.namespaces.8",),
               _duplicate, ("duplicate", "more than once", "multiple", "uts")),
    error_case("namespace-relative-path-errors", G, ("rt.config-linux.namespaces.3",),
               _relative_path, ("proc/1/ns/uts", "relative", "absolute", "path")),
    mapping_case("uid"), mapping_case("gid"), hostname_case(), domainname_case(),
    pid_one_case(), cgroupns_view_case(), time_offsets_case(),
]
