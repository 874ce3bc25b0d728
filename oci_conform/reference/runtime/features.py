"""The ``features`` document: what this runtime supports, stated truthfully."""
from __future__ import annotations

import os
from typing import Any

from oci_conform.reference.runtime import capabilities, cgroups, mountopts, namespaces, seccomp
from oci_conform.reference.runtime.version import OCI_VERSION_MAX, OCI_VERSION_MIN


def document() -> dict[str, Any]:
    mode = cgroups.mode()
    sec_ok = bool(seccomp.syscall_table()) and os.uname().machine in \
        seccomp.AUDIT_ARCH
    linux: dict[str, Any] = {
        "namespaces": ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"]
        + (["time"] if namespaces.time_supported() else []),
        "capabilities": list(capabilities.NAMES[:capabilities.last_cap() + 1]),
        "cgroup": {"v1": mode in ("v1", "hybrid"), "v2": mode == "v2", "systemd": False,
                   "systemdUser": False, "rdma": False},
        "seccomp": {"enabled": sec_ok,
                    "actions": sorted(seccomp.RET) if sec_ok else [],
                    "operators": list(seccomp.OPS) if sec_ok else [],
                    "archs": [seccomp.NATIVE_NAMES[os.uname().machine]]
                    if sec_ok else [],
                    "knownFlags": sorted(seccomp.FLAGS),
                    "supportedFlags": sorted(seccomp.FLAGS) if sec_ok else []},
        "apparmor": {"enabled": False},
        "selinux": {"enabled": False},
        "intelRdt": {"enabled": False},
        "mountExtensions": {"idmap": {"enabled": False}},
        "netDevices": {"enabled": True},
    }
    return {
        "ociVersionMin": OCI_VERSION_MIN,
        "ociVersionMax": OCI_VERSION_MAX,
        "hooks": ["prestart", "createRuntime", "createContainer", "startContainer",
                  "poststart", "poststop"],
        "mountOptions": mountopts.supported(),
        "linux": linux,
        "annotations": {"org.opencontainers.runtime-spec.features.implementation":
                        "oci-conform reference runtime (Python)"},
    }
