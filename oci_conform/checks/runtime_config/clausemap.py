"""Which clause a schema rule at a given place expresses.

Each row is (pattern, clause) or (pattern, keyword, clause): ``pattern`` is a JSON
pointer where ``*`` stands for any array index or object key. A schema error is
filed under the clause of the longest pattern that matches its place (the missing
member's place for ``required``), a keyword-specific row first. The same rows say
which values a clause examined, so a clause with values and no error passes.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

Row = tuple[str, ...]
C, L = "rt.config.", "rt.config-linux."


def under(prefix: str, clause_prefix: str, fields: dict[str, str]) -> list[Row]:
    """Rows for ``prefix/<field>`` -> ``clause_prefix<suffix>``."""
    return [(f"{prefix}/{name}", clause_prefix + suffix) for name, suffix in fields.items()]


def _mapping_rows(prefix: str) -> list[Row]:
    return under(prefix + "/*", L, {"containerID": "user-namespace-mappings.3",
                                    "hostID": "user-namespace-mappings.4",
                                    "size": "user-namespace-mappings.5"})


def _hook_rows(kind: str, path: str, args: str, env: str, timeout: str, positive: str
               ) -> list[Row]:
    base = f"/hooks/{kind}/*"
    return [(f"{base}/path", C + path), (f"{base}/args", C + args), (f"{base}/env", C + env),
            (f"{base}/timeout", C + timeout), (f"{base}/timeout", "minimum", C + positive)]


_PROCESS = under("/process", C, {
    "terminal": "process.3", "consoleSize": "process.4", "consoleSize/height": "process.6",
    "consoleSize/width": "process.7", "cwd": "process.8", "env": "process.10",
    "args": "process.11", "commandLine": "process.13", "rlimits": "posixprocess.1",
    "rlimits/*": "posixprocess.1", "rlimits/*/type": "posixprocess.2",
    "rlimits/*/soft": "posixprocess.5", "rlimits/*/hard": "posixprocess.7",
    "apparmorProfile": "linux-process.1", "capabilities": "linux-process.2",
    "capabilities/effective": "linux-process.5", "capabilities/bounding": "linux-process.6",
    "capabilities/inheritable": "linux-process.7", "capabilities/permitted": "linux-process.8",
    "capabilities/ambient": "linux-process.9", "noNewPrivileges": "linux-process.10",
    "oomScoreAdj": "linux-process.11", "scheduler": "linux-process.14",
    "scheduler/policy": "linux-process.15", "scheduler/nice": "linux-process.16",
    "scheduler/priority": "linux-process.17", "scheduler/flags": "linux-process.18",
    "scheduler/runtime": "linux-process.19", "scheduler/deadline": "linux-process.20",
    "scheduler/period": "linux-process.21", "selinuxLabel": "linux-process.22",
    "ioPriority": "linux-process.23", "ioPriority/class": "linux-process.24",
    "ioPriority/priority": "linux-process.25", "execCPUAffinity": "linux-process.26",
    "execCPUAffinity/initial": "linux-process.27", "execCPUAffinity/final": "linux-process.28",
    "user/uid": "posixuser.1", "user/gid": "posixuser.2", "user/umask": "posixuser.3",
    "user/additionalGids": "posixuser.4", "user/username": "windows-user.1",
}) + [("/process", C + "process.1")]

_HOOKS: list[Row] = [("/hooks", C + "hooks.1"), ("/hooks/prestart", C + "hooks.2"),
          ("/hooks/createRuntime", C + "hooks.11"), ("/hooks/createContainer", C + "hooks.20"),
          ("/hooks/startContainer", C + "hooks.23"), ("/hooks/poststart", C + "hooks.26"),
          ("/hooks/poststop", C + "hooks.29")]
_HOOKS += _hook_rows("prestart", "hooks.3", "hooks.5", "hooks.6", "hooks.7", "hooks.8")
for _kind in ("createRuntime", "createContainer", "startContainer", "poststart", "poststop"):
    _HOOKS += _hook_rows(_kind, "hooks.12", "hooks.14", "hooks.15", "hooks.16", "hooks.17")

_TOP = [
    ("/ociVersion", C + "specification-version.1"),
    ("/root", C + "root.4"), ("/root/path", C + "root.5"), ("/root/readonly", C + "root.9"),
    ("/mounts", C + "mounts.1"), ("/mounts/*", C + "mounts.1"),
    ("/mounts/*/destination", C + "mounts.3"), ("/mounts/*/source", C + "mounts.10"),
    ("/mounts/*/options", C + "mounts.11"), ("/mounts/*/type", C + "posixmounts.1"),
    ("/mounts/*/uidMappings", C + "posixmounts.2"), ("/mounts/*/gidMappings", C + "posixmounts.6"),
    *_mapping_rows("/mounts/*/uidMappings"), *_mapping_rows("/mounts/*/gidMappings"),
    ("/hostname", C + "hostname.1"), ("/domainname", C + "domainname.1"),
    ("/annotations", C + "annotations.3"), ("/annotations", "minLength", C + "annotations.6"),
    ("/annotations/*", C + "annotations.12"),
    ("/freebsd", C + "platform-specific-configuration.1"),
    ("/linux", C + "platform-specific-configuration.3"),
    ("/solaris", C + "platform-specific-configuration.5"),
    ("/vm", C + "platform-specific-configuration.7"),
    ("/windows", C + "platform-specific-configuration.9"),
    ("/zos", C + "platform-specific-configuration.11"),
]

_RES = "/linux/resources"
_LINUX = [
    ("/linux/namespaces", L + "namespaces.1"), ("/linux/namespaces/*/type", L + "namespaces.1"),
    ("/linux/namespaces/*/path", L + "namespaces.2"),
    ("/linux/uidMappings", L + "user-namespace-mappings.1"),
    ("/linux/gidMappings", L + "user-namespace-mappings.2"),
    *_mapping_rows("/linux/uidMappings"), *_mapping_rows("/linux/gidMappings"),
    ("/linux/timeOffsets", L + "time-offset.1"), ("/linux/timeOffsets/*/secs", L + "time-offset.2"),
    ("/linux/timeOffsets/*/nanosecs", L + "time-offset.3"),
    ("/linux/devices", L + "devices.1"),
    *under("/linux/devices/*", L, {"type": "devices.3", "path": "devices.4", "major": "devices.7",
                                    "minor": "devices.7", "fileMode": "devices.8",
                                    "uid": "devices.9", "gid": "devices.10"}),
    ("/linux/netDevices", L + "network-devices.1"),
    ("/linux/netDevices/*/name", L + "network-devices.2"),
    ("/linux/cgroupsPath", L + "cgroups-path.1"),
    (f"{_RES}/devices", L + "device-allowedlist.1"),
    *under(f"{_RES}/devices/*", L, {"allow": "device-allowedlist.3", "type": "device-allowedlist.4",
                                     "major": "device-allowedlist.5",
                                     "minor": "device-allowedlist.5",
                                     "access": "device-allowedlist.6"}),
    (f"{_RES}/memory", L + "memory.1"),
    *under(f"{_RES}/memory", L, {"limit": "memory.2", "reservation": "memory.3", "swap": "memory.4",
                                  "kernel": "memory.5", "kernelTCP": "memory.6",
                                  "swappiness": "memory.7", "disableOOMKiller": "memory.8",
                                  "useHierarchy": "memory.9", "checkBeforeUpdate": "memory.10"}),
    (f"{_RES}/cpu", L + "cpu.1"),
    *under(f"{_RES}/cpu", L, {"shares": "cpu.2", "quota": "cpu.3", "burst": "cpu.5",
                              "period": "cpu.7",
                               "realtimeRuntime": "cpu.8", "realtimePeriod": "cpu.9",
                               "cpus": "cpu.10",
                               "mems": "cpu.11", "idle": "cpu.12"}),
    (f"{_RES}/blockIO", L + "block-io.1"),
    *under(f"{_RES}/blockIO", L, {"weight": "block-io.2", "leafWeight": "block-io.3",
                                   "weightDevice": "block-io.4",
                                   "weightDevice/*/major": "block-io.5",
                                   "weightDevice/*/minor": "block-io.5",
                                   "weightDevice/*/weight": "block-io.6",
                                   "weightDevice/*/leafWeight": "block-io.7"}),
    *[row for kind in ("Read", "Write") for row in under(f"{_RES}/blockIO", L, {
        f"throttle{kind}BpsDevice": "block-io.9", f"throttle{kind}BpsDevice/*/major": "block-io.10",
        f"throttle{kind}BpsDevice/*/minor": "block-io.10",
        f"throttle{kind}BpsDevice/*/rate": "block-io.11",
        f"throttle{kind}IOPSDevice": "block-io.12",
        f"throttle{kind}IOPSDevice/*/major": "block-io.13",
        f"throttle{kind}IOPSDevice/*/minor": "block-io.13",
        f"throttle{kind}IOPSDevice/*/rate": "block-io.14"})],
    (f"{_RES}/hugepageLimits", L + "huge-page-limits.1"),
    (f"{_RES}/hugepageLimits/*/pageSize", L + "huge-page-limits.2"),
    (f"{_RES}/hugepageLimits/*/limit", L + "huge-page-limits.3"),
    (f"{_RES}/network", L + "network.1"), (f"{_RES}/network/classID", L + "network.2"),
    (f"{_RES}/network/priorities", L + "network.3"),
    (f"{_RES}/network/priorities/*/name", L + "network.4"),
    (f"{_RES}/network/priorities/*/priority", L + "network.5"),
    (f"{_RES}/pids", L + "pids.1"), (f"{_RES}/pids/limit", L + "pids.2"),
    (f"{_RES}/rdma", L + "rdma.1"), (f"{_RES}/rdma/*/hcaHandles", L + "rdma.2"),
    (f"{_RES}/rdma/*/hcaObjects", L + "rdma.3"),
    (f"{_RES}/unified", L + "unified.1"),
    ("/linux/intelRdt", L + "intel-rdt.1"),
    *under("/linux/intelRdt", L, {"closID": "intel-rdt.5", "l3CacheSchema": "intel-rdt.7",
                                   "memBwSchema": "intel-rdt.9", "schemata": "intel-rdt.11",
                                   "enableMonitoring": "intel-rdt.12",
                                   "enableCMT": "intel-rdt.enable-cmt",
                                   "enableMBM": "intel-rdt.enable-mbm"}),
    ("/linux/memoryPolicy", L + "memory-policy.1"),
    *under("/linux/memoryPolicy", L, {"mode": "memory-policy.2", "nodes": "memory-policy.3",
                                       "flags": "memory-policy.4"}),
    ("/linux/sysctl", L + "sysctl.1"),
    ("/linux/seccomp", L + "seccomp.1"),
    *under("/linux/seccomp", L, {"defaultAction": "seccomp.2", "defaultErrnoRet": "seccomp.3",
                                  "architectures": "seccomp.5", "flags": "seccomp.6",
                                  "listenerPath": "seccomp.7", "listenerMetadata": "seccomp.13",
                                  "syscalls": "seccomp.15", "syscalls/*/names": "seccomp.17",
                                  "syscalls/*/action": "seccomp.19",
                                  "syscalls/*/errnoRet": "seccomp.20",
                                  "syscalls/*/args": "seccomp.22",
                                  "syscalls/*/args/*/index": "seccomp.23",
                                  "syscalls/*/args/*/value": "seccomp.24",
                                  "syscalls/*/args/*/valueTwo": "seccomp.25",
                                  "syscalls/*/args/*/op": "seccomp.26"}),
    ("/linux/seccomp/syscalls/*/names", "minItems", L + "seccomp.18"),
    ("/linux/rootfsPropagation", L + "rootfs-mount-propagation.1"),
    ("/linux/maskedPaths", L + "masked-paths.1"), ("/linux/readonlyPaths", L + "readonly-paths.1"),
    ("/linux/mountLabel", L + "mount-label.1"),
    ("/linux/personality", L + "personality.1"), ("/linux/personality/domain", L + "personality.2"),
    ("/linux/personality/flags", L + "personality.3"),
]

W, V, Z, S, F = ("rt.config-windows.", "rt.config-vm.", "rt.config-zos.", "rt.config-solaris.",
                 "rt.config-freebsd.")
_OTHER = [
    ("/windows/layerFolders", W + "layer-folders.1"),
    ("/windows/layerFolders", "minItems", W + "layer-folders.2"),
    ("/windows/devices", W + "devices.1"), ("/windows/devices/*/id", W + "devices.2"),
    ("/windows/devices/*/idType", W + "devices.3"), ("/windows/resources", W + "resources.1"),
    ("/windows/resources/memory", W + "memory.1"),
    ("/windows/resources/memory/limit", W + "memory.2"),
    *under("/windows/resources/cpu", W, {"count": "cpu.2", "shares": "cpu.3", "maximum": "cpu.4",
                                          "affinity": "cpu.5", "affinity/*/mask": "cpu.6",
                                          "affinity/*/group": "cpu.7"}),
    ("/windows/resources/cpu", W + "cpu.1"), ("/windows/resources/storage", W + "storage.1"),
    *under("/windows/resources/storage", W, {"iops": "storage.2", "bps": "storage.3",
                                              "sandboxSize": "storage.4"}),
    ("/windows/network", W + "network.1"),
    *under("/windows/network", W, {"endpointList": "network.2",
                                   "allowUnqualifiedDNSQuery": "network.3",
                                    "DNSSearchList": "network.4",
                                    "networkSharedContainerName": "network.5",
                                    "networkNamespace": "network.6"}),
    ("/windows/credentialSpec", W + "credential-spec.1"), ("/windows/servicing", W + "servicing.1"),
    ("/windows/ignoreFlushesDuringBoot", W + "ignore-flushes-during-boot.1"),
    ("/windows/hyperv", W + "hyper-v.1"), ("/windows/hyperv/utilityVMPath", W + "hyper-v.4"),
    ("/vm/hypervisor", V + "hypervisor-object.1"),
    ("/vm/hypervisor/path", V + "hypervisor-object.2"),
    ("/vm/hypervisor/parameters", V + "hypervisor-object.4"),
    ("/vm/kernel", V + "kernel-object.1"), ("/vm/kernel/path", V + "kernel-object.2"),
    ("/vm/kernel/parameters", V + "kernel-object.4"), ("/vm/kernel/initrd", V + "kernel-object.5"),
    ("/vm/image", V + "image-object.1"), ("/vm/image/path", V + "image-object.2"),
    ("/vm/image/format", V + "image-object.4"), ("/vm/hwConfig", V + "hw-config-object.1"),
    *under("/vm/hwConfig", V, {"deviceTree": "hw-config-object.2", "vcpus": "hw-config-object.3",
                                "memory": "hw-config-object.4", "dtdevs": "hw-config-object.5",
                                "iomems": "hw-config-object.6",
                                "iomems/*/firstGFN": "hw-config-object.7",
                                "iomems/*/firstMFN": "hw-config-object.8",
                                "iomems/*/nrMFNs": "hw-config-object.9",
                                "irqs": "hw-config-object.10"}),
    ("/zos/namespaces/*/type", Z + "config-zosnamespaces.1"),
    ("/zos/namespaces/*/path", Z + "config-zosnamespaces.2"),
    ("/solaris/milestone", S + "milestone.1"), ("/solaris/limitpriv", S + "limitpriv.1"),
    ("/solaris/maxShmMemory", S + "max-shm-memory.1"),
    ("/solaris/cappedCPU/ncpus", S + "capped-cpu.1"),
    ("/solaris/cappedMemory/physical", S + "capped-memory.1"),
    ("/solaris/cappedMemory/swap", S + "capped-memory.2"),
    *under("/solaris/anet/*", S, {"linkname": "automatic-network.1",
                                  "lowerLink": "automatic-network.2",
                                   "allowedAddress": "automatic-network.3",
                                   "configureAllowedAddress": "automatic-network.4",
                                   "defrouter": "automatic-network.5",
                                   "macAddress": "automatic-network.6",
                                   "linkProtection": "automatic-network.7"}),
    ("/freebsd/devices/*/path", F + "config-free-bsddevices.2"),
    ("/freebsd/devices/*/mode", F + "config-free-bsddevices.3"),
    *under("/freebsd/jail", F, {k: f"config-free-bsdjail.{n}" for n, k in enumerate(
        ("parent", "host", "ip4", "ip4Addr", "ip6", "ip6Addr", "vnet", "interface",
         "vnetInterfaces",
         "sysvmsg", "sysvsem", "sysvshm", "enforceStatfs", "allow"), start=1)}),
    *under("/freebsd/jail/allow", F, {k: f"config-free-bsdjail.{n}" for n, k in enumerate(
        ("setHostname", "rawSockets", "chflags", "mount", "quotas", "socketAf", "mlock",
         "reservedPorts", "suser"), start=15)}),
]

CONFIG_ROWS: list[Row] = _TOP + _PROCESS + _HOOKS + _LINUX + _OTHER
CONFIG_FALLBACK = "rt.bundle.container-format.1"

R = "rt.runtime."
STATE_ROWS: list[Row] = [
    ("/ociVersion", R + "state.1"), ("/id", R + "state.2"), ("/status", R + "state.4"),
    ("/pid", R + "state.7"), ("/bundle", R + "state.8"), ("/annotations", R + "state.9"),
    ("/annotations/*", R + "state.9"),
]
STATE_FALLBACK = R + "state.12"

FE, FL = "rt.features.", "rt.features-linux."
FEATURES_ROWS: list[Row] = [
    ("/ociVersionMin", FE + "specification-version.1"),
    ("/ociVersionMax", FE + "specification-version.3"),
    ("/hooks", FE + "hooks.1"), ("/mountOptions", FE + "mount-options.1"),
    ("/annotations", FE + "annotations.3"), ("/annotations/*", FE + "annotations.3"),
    ("/potentiallyUnsafeConfigAnnotations", FE + "potentially-unsafe-config-annotations.1"),
    ("/linux", FE + "platform-specific-features.1"),
    ("/linux/namespaces", FL + "linux-features-namespaces.1"),
    ("/linux/capabilities", FL + "linux-features-capabilities.1"),
    ("/linux/cgroup", FL + "linux-features-cgroup.1"),
    *under("/linux/cgroup", FL, {k: f"linux-features-cgroup.{n}" for n, k in enumerate(
        ("v1", "v2", "systemd", "systemdUser", "rdma"), start=2)}),
    ("/linux/seccomp", FL + "linux-features-seccomp.1"),
    *under("/linux/seccomp", FL, {"enabled": "linux-features-seccomp.2",
                                   "actions": "linux-features-seccomp.3",
                                   "operators": "linux-features-seccomp.5",
                                   "archs": "linux-features-seccomp.7",
                                   "knownFlags": "linux-features-seccomp.9",
                                   "supportedFlags": "linux-features-seccomp.11"}),
    ("/linux/apparmor", FL + "linux-features-apparmor.1"),
    ("/linux/apparmor/enabled", FL + "linux-features-apparmor.2"),
    ("/linux/selinux", FL + "linux-features-apparmor.3"),
    ("/linux/selinux/enabled", FL + "linux-features-apparmor.4"),
    ("/linux/memoryPolicy", FL + "linux-features-memory-policy.1"),
    ("/linux/memoryPolicy/modes", FL + "linux-features-memory-policy.2"),
    ("/linux/memoryPolicy/flags", FL + "linux-features-memory-policy.4"),
    ("/linux/intelRdt", FL + "linux-features-intel-rdt.1"),
    ("/linux/intelRdt/enabled", FL + "linux-features-intel-rdt.2"),
    ("/linux/intelRdt/schemata", FL + "linux-features-intel-rdt.3"),
    ("/linux/intelRdt/monitoring", FL + "linux-features-intel-rdt.4"),
    ("/linux/mountExtensions", FL + "linux-features-mount-extensions.1"),
    ("/linux/mountExtensions/idmap", FL + "linux-features-mount-extensions.2"),
    ("/linux/mountExtensions/idmap/enabled", FL + "linux-features-mount-extensions.3"),
    ("/linux/netDevices", FL + "linux-features-net-devices.1"),
    ("/linux/netDevices/enabled", FL + "linux-features-net-devices.2"),
]
FEATURES_FALLBACK = FE + "specification-version.1"


def split_pattern(pattern: str) -> list[str]:
    from oci_conform.checks.runtime_config.pointer import split
    return split(pattern)


class ClauseMap:
    """Look up the clause of a place (and schema keyword) in a table of rows."""

    def __init__(self, rows: Iterable[Row], fallback: str):
        from oci_conform.checks.runtime_config.pointer import split
        self.fallback = fallback
        self.rows = list(rows)
        self._entries = [(split(r[0]), r[1] if len(r) == 3 else "", r[-1]) for r in self.rows]
        self._trie: dict[str, Any] | None = None

    def clause_for(self, tokens: list[str], keyword: str = "") -> str:
        best: tuple[int, int, str] | None = None
        for pattern, kw, clause in self._entries:
            if kw and kw != keyword:
                continue
            n = len(pattern)
            if n > len(tokens) or any(p != "*" and p != t
                                      for p, t in zip(pattern, tokens, strict=False)):
                continue
            rank = (n, 1 if kw else 0, clause)
            if best is None or rank[:2] > best[:2]:
                best = rank
        return best[2] if best else self.fallback

    def value_rows(self) -> list[tuple[str, str]]:
        """(pattern, clause) of every row: a present value was examined by its clause."""
        return list(dict.fromkeys((r[0], r[-1]) for r in self.rows))

    def present(self, doc: Any) -> Iterator[tuple[str, str]]:
        """(clause, pointer) for every value in ``doc`` that some row's pattern matches."""
        from oci_conform.checks.runtime_config.pointer import join
        if self._trie is None:
            self._trie = {}
            for pattern, clause in self.value_rows():
                node = self._trie
                for token in split_pattern(pattern):
                    node = node.setdefault(token, {})
                node.setdefault("", []).append(clause)
        stack: list[tuple[dict[str, Any], Any, str]] = [(self._trie, doc, "")]
        while stack:
            node, value, here = stack.pop()
            for clause in node.get("", ()):
                yield clause, here
            if isinstance(value, dict):
                for token, child in node.items():
                    if token == "*":
                        stack.extend((child, v, join(here, k)) for k, v in value.items())
                    elif token and token in value:
                        stack.append((child, value[token], join(here, token)))
            elif isinstance(value, list) and "*" in node:
                stack.extend((node["*"], v, join(here, i)) for i, v in enumerate(value))

    def clause_ids(self) -> set[str]:
        return {r[-1] for r in self.rows} | {self.fallback}
