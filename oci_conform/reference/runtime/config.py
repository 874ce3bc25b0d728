"""Load config.json and refuse, before any side effect, what this runtime cannot apply.

``load_bundle`` returns the parsed config with ``root.path`` made absolute; every
problem becomes a :class:`RuntimeFailure` with a message naming the field.
"""
from __future__ import annotations

import os

from oci_conform.reference.runtime import capabilities, jsontext, mountopts, rlimits, sched
from oci_conform.reference.runtime.errors import RuntimeFailure
from oci_conform.reference.runtime.version import OCI_VERSION_MAX, OCI_VERSION_MIN

TYPE_CHECKING = False   # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any
    JSON = dict[str, Any]

NAMESPACES = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"}
MAX_CONFIG = 4 << 20


_TAG = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-")


def semver(text: object) -> tuple[int, int, int] | None:
    """(major, minor, patch) of a SemVer 2.0 string, or None."""
    if not isinstance(text, str):
        return None
    core, _, build = text.partition("+")
    core, dash, pre = core.partition("-")
    parts = core.split(".")
    if len(parts) != 3 or not all(p.isdigit() and p.isascii() for p in parts):
        return None
    for tag, present in ((pre, dash), (build, "+" in text)):
        if present and (not tag or not set(tag) <= _TAG):
            return None
    return int(parts[0]), int(parts[1]), int(parts[2])


def _vkey(text: str) -> tuple[int, int, int]:
    key = semver(text)
    assert key is not None
    return key


def load_bundle(bundle: str) -> JSON:
    """The bundle's config.json, parsed and validated (``bundle`` is an absolute path)."""
    path = os.path.join(bundle, "config.json")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG + 1)
    except OSError as exc:
        raise RuntimeFailure(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG:
        raise RuntimeFailure(f"{path}: larger than {MAX_CONFIG} bytes")
    try:
        cfg = jsontext.loads(raw.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise RuntimeFailure(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(cfg, dict):
        raise RuntimeFailure(f"{path}: the top level is not an object")
    validate(cfg, bundle)
    return cfg


def _need(cond: bool, where: str, why: str) -> None:
    if not cond:
        raise RuntimeFailure(f"config.json {where}: {why}")


def validate(cfg: JSON, bundle: str) -> None:
    """Raise RuntimeFailure for anything this runtime cannot apply faithfully."""
    ver = cfg.get("ociVersion")
    _need(semver(ver) is not None, "/ociVersion",
          f"must be a SemVer string, got {ver!r}")
    _need(_vkey(OCI_VERSION_MIN) <= _vkey(str(ver))[:2] + (0,) <= _vkey(OCI_VERSION_MAX),
          "/ociVersion", f"{ver} is outside the versions this runtime supports "
          f"({OCI_VERSION_MIN} to {OCI_VERSION_MAX})")
    _root(cfg, bundle)
    check_process(cfg.get("process"))
    _mounts(cfg.get("mounts", []))
    _hooks(cfg.get("hooks", {}))
    _need(isinstance(cfg.get("hostname", ""), str), "/hostname", "must be a string")
    _need(isinstance(cfg.get("domainname", ""), str), "/domainname", "must be a string")
    ann = cfg.get("annotations", {})
    _need(isinstance(ann, dict) and all(isinstance(v, str) for v in ann.values()),
          "/annotations", "must map strings to strings")
    _linux(cfg.get("linux", {}), cfg)


def _root(cfg: JSON, bundle: str) -> None:
    root: Any = cfg.get("root")
    _need(isinstance(root, dict) and isinstance(root.get("path"), str) and root["path"] != "",
          "/root/path", "is required on Linux")
    full = os.path.join(bundle, root["path"])      # an absolute root.path stays as it is
    _need(os.path.isdir(full), "/root/path", f"{full} is not a directory")
    root["path"] = os.path.realpath(full)


def check_process(proc: Any) -> None:
    if proc is None:
        return
    _need(isinstance(proc, dict), "/process", "must be an object")
    args = proc.get("args")
    _need(isinstance(args, list) and len(args) > 0 and all(isinstance(a, str) for a in args),
          "/process/args", "must be a non-empty list of strings")
    cwd = proc.get("cwd")
    _need(isinstance(cwd, str) and cwd.startswith("/"), "/process/cwd",
          "must be an absolute path")
    env = proc.get("env", [])
    _need(isinstance(env, list) and all(isinstance(e, str) for e in env), "/process/env",
          "must be a list of strings")
    user = proc.get("user", {})
    _need(isinstance(user, dict) and isinstance(user.get("uid", 0), int)
          and isinstance(user.get("gid", 0), int), "/process/user", "uid and gid are integers")
    _need("username" not in user, "/process/user/username", "is not supported on Linux")
    gids = user.get("additionalGids", [])
    _need(isinstance(gids, list) and all(isinstance(g, int) and g >= 0 for g in gids),
          "/process/user/additionalGids", "must be a list of non-negative integers")
    umask = user.get("umask")
    _need(umask is None or (isinstance(umask, int) and 0 <= umask <= 0o7777),
          "/process/user/umask", "must be an integer between 0 and 07777")
    _need(not proc.get("apparmorProfile"), "/process/apparmorProfile",
          "AppArmor is not available on this host (this runtime does not support it)")
    _need(not proc.get("selinuxLabel"), "/process/selinuxLabel",
          "SELinux is not available on this host (this runtime does not support it)")
    if proc.get("ioPriority") is not None:
        problem = sched.io_priority_problem(proc["ioPriority"])
        _need(not problem, "/process/ioPriority", problem)
    if proc.get("scheduler") is not None:
        problem = sched.scheduler_problem(proc["scheduler"])
        _need(not problem, "/process/scheduler", problem)
    _need(proc.get("execCPUAffinity") is None, "/process/execCPUAffinity", "is not supported")
    caps = proc.get("capabilities", {})
    _need(isinstance(caps, dict), "/process/capabilities", "must be an object")
    for key, names in caps.items():
        _need(key in capabilities.SETS, f"/process/capabilities/{key}", "unknown set")
        _need(isinstance(names, list), f"/process/capabilities/{key}", "must be a list")
        for name in names:
            _need(capabilities.known(name), f"/process/capabilities/{key}",
                  f"unknown capability {name!r}")
    for i, lim in enumerate(proc.get("rlimits", [])):
        where = f"/process/rlimits/{i}"
        _need(isinstance(lim, dict) and rlimits.known(lim.get("type", "")), where,
              f"unknown rlimit type {lim.get('type') if isinstance(lim, dict) else lim!r}")
        _need(isinstance(lim.get("soft"), int) and isinstance(lim.get("hard"), int), where,
              "soft and hard are integers")
    types = [lim.get("type") for lim in proc.get("rlimits", [])]
    _need(len(types) == len(set(types)), "/process/rlimits", "a type appears twice")
    oom = proc.get("oomScoreAdj")
    _need(oom is None or (isinstance(oom, int) and -1000 <= oom <= 1000),
          "/process/oomScoreAdj", "must be an integer from -1000 to 1000")
    size = proc.get("consoleSize")
    _need(size is None or isinstance(size, dict), "/process/consoleSize", "must be an object")


def _mounts(mounts: Any) -> None:
    _need(isinstance(mounts, list), "/mounts", "must be a list")
    for i, m in enumerate(mounts):
        where = f"/mounts/{i}"
        _need(isinstance(m, dict), where, "must be an object")
        dest = m.get("destination")
        _need(isinstance(dest, str) and dest != "", f"{where}/destination",
              "must be a path")
        if not dest.startswith("/"):
            m["destination"] = "/" + dest      # relative to the container's root (1.1.0+)
        try:
            mountopts.parse(m.get("options", []) if isinstance(m.get("options", []), list)
                            else [])
        except ValueError as exc:
            raise RuntimeFailure(f"config.json {where}/options: {exc}") from None
        opts = m.get("options", [])
        _need(isinstance(opts, list) and all(isinstance(o, str) for o in opts),
              f"{where}/options", "must be a list of strings")
        _need(not m.get("uidMappings") and not m.get("gidMappings"), f"{where}/uidMappings",
              "idmapped mounts are not supported")
        is_bind = m.get("type") == "bind" or "bind" in opts or "rbind" in opts
        if is_bind:
            src = m.get("source")
            _need(isinstance(src, str) and src != "", f"{where}/source",
                  "a bind mount needs a source")
            _need(os.path.lexists(src), f"{where}/source", f"{src} does not exist")


def _hooks(hooks: Any) -> None:
    _need(isinstance(hooks, dict), "/hooks", "must be an object")
    for kind, entries in hooks.items():
        _need(kind in ("prestart", "createRuntime", "createContainer", "startContainer",
                       "poststart", "poststop"), f"/hooks/{kind}", "unknown hook type")
        _need(isinstance(entries, list), f"/hooks/{kind}", "must be a list")
        for i, hook in enumerate(entries):
            where = f"/hooks/{kind}/{i}"
            _need(isinstance(hook, dict) and isinstance(hook.get("path"), str)
                  and hook["path"].startswith("/"), f"{where}/path", "must be an absolute path")
            timeout = hook.get("timeout")
            _need(timeout is None or (isinstance(timeout, int) and timeout > 0),
                  f"{where}/timeout", "must be an integer greater than zero")


def _linux(linux: Any, cfg: JSON) -> None:
    _need(isinstance(linux, dict), "/linux", "must be an object")
    seen: set[str] = set()
    for i, ns in enumerate(linux.get("namespaces", [])):
        where = f"/linux/namespaces/{i}"
        kind = str(ns.get("type")) if isinstance(ns, dict) else ""
        _need(kind in NAMESPACES, where,
              f"namespace type {kind!r} is not supported by this runtime")
        _need(kind not in seen, where, f"namespace {kind} appears twice")
        seen.add(kind)
        path = ns.get("path")
        if path:
            _need(os.path.exists(path), f"{where}/path", f"{path} does not exist")
    if cfg.get("hostname"):
        _need("uts" in seen, "/hostname", "setting a hostname needs a new uts namespace")
    if cfg.get("domainname"):
        _need("uts" in seen, "/domainname", "setting a domainname needs a new uts namespace")
    if "user" in seen and not any(n.get("path") for n in linux["namespaces"]
                                  if n.get("type") == "user"):
        _need(bool(linux.get("uidMappings")) and bool(linux.get("gidMappings")),
              "/linux/uidMappings", "a new user namespace needs uidMappings and gidMappings")
    for key in ("mountLabel",):
        _need(not linux.get(key), f"/linux/{key}", "SELinux is not available on this host")
    _need(not linux.get("intelRdt"), "/linux/intelRdt", "Intel RDT is not supported")
    _need(not linux.get("memoryPolicy"), "/linux/memoryPolicy", "is not supported")
    if linux.get("netDevices"):
        from oci_conform.reference.runtime import netdev
        netdev.validate(linux)
    if "time" in seen:
        from oci_conform.reference.runtime.namespaces import time_supported
        _need(time_supported(), "/linux/namespaces", "this kernel has no time namespaces")
    offsets = linux.get("timeOffsets")
    if offsets:
        _need("time" in seen and not any(n.get("path") for n in linux["namespaces"]
                                         if n.get("type") == "time"),
              "/linux/timeOffsets", "needs a new time namespace")
        _need(isinstance(offsets, dict) and set(offsets) <= {"monotonic", "boottime"},
              "/linux/timeOffsets", "only monotonic and boottime clocks have offsets")
    pers = linux.get("personality")
    if pers is not None:
        _need(isinstance(pers, dict) and pers.get("domain") in ("LINUX", "LINUX32"),
              "/linux/personality/domain", "must be LINUX or LINUX32")
        _need(not pers.get("flags"), "/linux/personality/flags", "flags are not supported")
    rootprop = linux.get("rootfsPropagation")
    _need(rootprop in (None, "", "private", "rprivate", "slave", "rslave", "shared", "rshared",
                       "unbindable", "runbindable"),
          "/linux/rootfsPropagation", f"unknown propagation {rootprop!r}")
    for i, dev in enumerate(linux.get("devices", [])):
        where = f"/linux/devices/{i}"
        _need(isinstance(dev, dict) and isinstance(dev.get("path"), str)
              and dev["path"].startswith("/"), f"{where}/path", "must be an absolute path")
        _need(dev.get("type") in ("c", "b", "u", "p"), f"{where}/type", "must be c, b, u or p")
        if dev.get("type") != "p":
            _need(isinstance(dev.get("major"), int) and isinstance(dev.get("minor"), int),
                  where, "major and minor are required for this type")
    sysctl = linux.get("sysctl", {})
    _need(isinstance(sysctl, dict), "/linux/sysctl", "must be an object")
    for key in sysctl:
        _need(".." not in key and "/" not in key.replace(".", "/", 0), f"/linux/sysctl/{key}",
              "not a sysctl name")
    from oci_conform.reference.runtime import cgroups
    cgroups.validate(linux.get("resources") or {}, linux.get("cgroupsPath"))
    if linux.get("seccomp"):
        from oci_conform.reference.runtime import seccomp
        seccomp.validate(linux["seccomp"])
