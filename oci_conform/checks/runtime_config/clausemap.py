"""Which clause a schema rule at a given place expresses.

Each row is (pattern, clause) or (pattern, keyword, clause): ``pattern`` is a JSON
pointer where ``*`` stands for any array index or object key. A schema error is
filed under the clause of the longest pattern that matches its place (the missing
member's place for ``required``), a keyword-specific row first. The same rows say
which values a clause examined, so a clause with values and no error passes.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

Row = tuple[str, ...]

CONFIG_ROWS: list[Row] = [
    ("/ociVersion", "rt.config.specification-version.1"),
    ("/root", "rt.config.root.4"),
    ("/root/path", "rt.config.root.5"),
    ("/root/readonly", "rt.config.root.9"),
    ("/mounts", "rt.config.mounts.1"),
    ("/mounts/*", "rt.config.mounts.1"),
    ("/mounts/*/destination", "rt.config.mounts.3"),
    ("/mounts/*/source", "rt.config.mounts.10"),
    ("/mounts/*/options", "rt.config.mounts.11"),
    ("/mounts/*/type", "rt.config.posixmounts.1"),
    ("/mounts/*/uidMappings", "rt.config.posixmounts.2"),
    ("/mounts/*/gidMappings", "rt.config.posixmounts.6"),
    ("/mounts/*/uidMappings/*/containerID", "rt.config-linux.user-namespace-mappings.3"),
    ("/mounts/*/uidMappings/*/hostID", "rt.config-linux.user-namespace-mappings.4"),
    ("/mounts/*/uidMappings/*/size", "rt.config-linux.user-namespace-mappings.5"),
    ("/mounts/*/gidMappings/*/containerID", "rt.config-linux.user-namespace-mappings.3"),
    ("/mounts/*/gidMappings/*/hostID", "rt.config-linux.user-namespace-mappings.4"),
    ("/mounts/*/gidMappings/*/size", "rt.config-linux.user-namespace-mappings.5"),
    ("/hostname", "rt.config.hostname.1"),
    ("/domainname", "rt.config.domainname.1"),
    ("/annotations", "rt.config.annotations.3"),
    ("/annotations", "minLength", "rt.config.annotations.6"),
    ("/annotations/*", "rt.config.annotations.12"),
    ("/freebsd", "rt.config.platform-specific-configuration.1"),
    ("/linux", "rt.config.platform-specific-configuration.3"),
    ("/solaris", "rt.config.platform-specific-configuration.5"),
    ("/vm", "rt.config.platform-specific-configuration.7"),
    ("/windows", "rt.config.platform-specific-configuration.9"),
    ("/zos", "rt.config.platform-specific-configuration.11"),
    ("/process/terminal", "rt.config.process.3"),
    ("/process/consoleSize", "rt.config.process.4"),
    ("/process/consoleSize/height", "rt.config.process.6"),
    ("/process/consoleSize/width", "rt.config.process.7"),
    ("/process/cwd", "rt.config.process.8"),
    ("/process/env", "rt.config.process.10"),
    ("/process/args", "rt.config.process.11"),
    ("/process/commandLine", "rt.config.process.13"),
    ("/process/rlimits", "rt.config.posixprocess.1"),
    ("/process/rlimits/*", "rt.config.posixprocess.1"),
    ("/process/rlimits/*/type", "rt.config.posixprocess.2"),
    ("/process/rlimits/*/soft", "rt.config.posixprocess.5"),
    ("/process/rlimits/*/hard", "rt.config.posixprocess.7"),
    ("/process/apparmorProfile", "rt.config.linux-process.1"),
    ("/process/capabilities", "rt.config.linux-process.2"),
    ("/process/capabilities/effective", "rt.config.linux-process.5"),
    ("/process/capabilities/bounding", "rt.config.linux-process.6"),
    ("/process/capabilities/inheritable", "rt.config.linux-process.7"),
    ("/process/capabilities/permitted", "rt.config.linux-process.8"),
    ("/process/capabilities/ambient", "rt.config.linux-process.9"),
    ("/process/noNewPrivileges", "rt.config.linux-process.10"),
    ("/process/oomScoreAdj", "rt.config.linux-process.11"),
    ("/process/scheduler", "rt.config.linux-process.14"),
    ("/process/scheduler/policy", "rt.config.linux-process.15"),
    ("/process/scheduler/nice", "rt.config.linux-process.16"),
    ("/process/scheduler/priority", "rt.config.linux-process.17"),
    ("/process/scheduler/flags", "rt.config.linux-process.18"),
    ("/process/scheduler/runtime", "rt.config.linux-process.19"),
    ("/process/scheduler/deadline", "rt.config.linux-process.20"),
    ("/process/scheduler/period", "rt.config.linux-process.21"),
    ("/process/selinuxLabel", "rt.config.linux-process.22"),
    ("/process/ioPriority", "rt.config.linux-process.23"),
    ("/process/ioPriority/class", "rt.config.linux-process.24"),
    ("/process/ioPriority/priority", "rt.config.linux-process.25"),
    ("/process/execCPUAffinity", "rt.config.linux-process.26"),
    ("/process/execCPUAffinity/initial", "rt.config.linux-process.27"),
    ("/process/execCPUAffinity/final", "rt.config.linux-process.28"),
    ("/process/user/uid", "rt.config.posixuser.1"),
    ("/process/user/gid", "rt.config.posixuser.2"),
    ("/process/user/umask", "rt.config.posixuser.3"),
    ("/process/user/additionalGids", "rt.config.posixuser.4"),
    ("/process/user/username", "rt.config.windows-user.1"),
    ("/process", "rt.config.process.1"),
    ("/hooks", "rt.config.hooks.1"),
    ("/hooks/prestart", "rt.config.hooks.2"),
    ("/hooks/createRuntime", "rt.config.hooks.11"),
    ("/hooks/createContainer", "rt.config.hooks.20"),
    ("/hooks/startContainer", "rt.config.hooks.23"),
    ("/hooks/poststart", "rt.config.hooks.26"),
    ("/hooks/poststop", "rt.config.hooks.29"),
    ("/hooks/prestart/*/path", "rt.config.hooks.3"),
    ("/hooks/prestart/*/args", "rt.config.hooks.5"),
    ("/hooks/prestart/*/env", "rt.config.hooks.6"),
    ("/hooks/prestart/*/timeout", "rt.config.hooks.7"),
    ("/hooks/prestart/*/timeout", "minimum", "rt.config.hooks.8"),
    ("/hooks/createRuntime/*/path", "rt.config.hooks.12"),
    ("/hooks/createRuntime/*/args", "rt.config.hooks.14"),
    ("/hooks/createRuntime/*/env", "rt.config.hooks.15"),
    ("/hooks/createRuntime/*/timeout", "rt.config.hooks.16"),
    ("/hooks/createRuntime/*/timeout", "minimum", "rt.config.hooks.17"),
    ("/hooks/createContainer/*/path", "rt.config.hooks.12"),
    ("/hooks/createContainer/*/args", "rt.config.hooks.14"),
    ("/hooks/createContainer/*/env", "rt.config.hooks.15"),
    ("/hooks/createContainer/*/timeout", "rt.config.hooks.16"),
    ("/hooks/createContainer/*/timeout", "minimum", "rt.config.hooks.17"),
    ("/hooks/startContainer/*/path", "rt.config.hooks.12"),
    ("/hooks/startContainer/*/args", "rt.config.hooks.14"),
    ("/hooks/startContainer/*/env", "rt.config.hooks.15"),
    ("/hooks/startContainer/*/timeout", "rt.config.hooks.16"),
    ("/hooks/startContainer/*/timeout", "minimum", "rt.config.hooks.17"),
    ("/hooks/poststart/*/path", "rt.config.hooks.12"),
    ("/hooks/poststart/*/args", "rt.config.hooks.14"),
    ("/hooks/poststart/*/env", "rt.config.hooks.15"),
    ("/hooks/poststart/*/timeout", "rt.config.hooks.16"),
    ("/hooks/poststart/*/timeout", "minimum", "rt.config.hooks.17"),
    ("/hooks/poststop/*/path", "rt.config.hooks.12"),
    ("/hooks/poststop/*/args", "rt.config.hooks.14"),
    ("/hooks/poststop/*/env", "rt.config.hooks.15"),
    ("/hooks/poststop/*/timeout", "rt.config.hooks.16"),
    ("/hooks/poststop/*/timeout", "minimum", "rt.config.hooks.17"),
    ("/linux/namespaces", "rt.config-linux.namespaces.1"),
    ("/linux/namespaces/*/type", "rt.config-linux.namespaces.1"),
    ("/linux/namespaces/*/path", "rt.config-linux.namespaces.2"),
    ("/linux/uidMappings", "rt.config-linux.user-namespace-mappings.1"),
    ("/linux/gidMappings", "rt.config-linux.user-namespace-mappings.2"),
    ("/linux/uidMappings/*/containerID", "rt.config-linux.user-namespace-mappings.3"),
    ("/linux/uidMappings/*/hostID", "rt.config-linux.user-namespace-mappings.4"),
    ("/linux/uidMappings/*/size", "rt.config-linux.user-namespace-mappings.5"),
    ("/linux/gidMappings/*/containerID", "rt.config-linux.user-namespace-mappings.3"),
    ("/linux/gidMappings/*/hostID", "rt.config-linux.user-namespace-mappings.4"),
    ("/linux/gidMappings/*/size", "rt.config-linux.user-namespace-mappings.5"),
    ("/linux/timeOffsets", "rt.config-linux.time-offset.1"),
    ("/linux/timeOffsets/*/secs", "rt.config-linux.time-offset.2"),
    ("/linux/timeOffsets/*/nanosecs", "rt.config-linux.time-offset.3"),
    ("/linux/devices", "rt.config-linux.devices.1"),
    ("/linux/devices/*/type", "rt.config-linux.devices.3"),
    ("/linux/devices/*/path", "rt.config-linux.devices.4"),
    ("/linux/devices/*/major", "rt.config-linux.devices.7"),
    ("/linux/devices/*/minor", "rt.config-linux.devices.7"),
    ("/linux/devices/*/fileMode", "rt.config-linux.devices.8"),
    ("/linux/devices/*/uid", "rt.config-linux.devices.9"),
    ("/linux/devices/*/gid", "rt.config-linux.devices.10"),
    ("/linux/netDevices", "rt.config-linux.network-devices.1"),
    ("/linux/netDevices/*/name", "rt.config-linux.network-devices.2"),
    ("/linux/cgroupsPath", "rt.config-linux.cgroups-path.1"),
    ("/linux/resources/devices", "rt.config-linux.device-allowedlist.1"),
    ("/linux/resources/devices/*/allow", "rt.config-linux.device-allowedlist.3"),
    ("/linux/resources/devices/*/type", "rt.config-linux.device-allowedlist.4"),
    ("/linux/resources/devices/*/major", "rt.config-linux.device-allowedlist.5"),
    ("/linux/resources/devices/*/minor", "rt.config-linux.device-allowedlist.5"),
    ("/linux/resources/devices/*/access", "rt.config-linux.device-allowedlist.6"),
    ("/linux/resources/memory", "rt.config-linux.memory.1"),
    ("/linux/resources/memory/limit", "rt.config-linux.memory.2"),
    ("/linux/resources/memory/reservation", "rt.config-linux.memory.3"),
    ("/linux/resources/memory/swap", "rt.config-linux.memory.4"),
    ("/linux/resources/memory/kernel", "rt.config-linux.memory.5"),
    ("/linux/resources/memory/kernelTCP", "rt.config-linux.memory.6"),
    ("/linux/resources/memory/swappiness", "rt.config-linux.memory.7"),
    ("/linux/resources/memory/disableOOMKiller", "rt.config-linux.memory.8"),
    ("/linux/resources/memory/useHierarchy", "rt.config-linux.memory.9"),
    ("/linux/resources/memory/checkBeforeUpdate", "rt.config-linux.memory.10"),
    ("/linux/resources/cpu", "rt.config-linux.cpu.1"),
    ("/linux/resources/cpu/shares", "rt.config-linux.cpu.2"),
    ("/linux/resources/cpu/quota", "rt.config-linux.cpu.3"),
    ("/linux/resources/cpu/burst", "rt.config-linux.cpu.5"),
    ("/linux/resources/cpu/period", "rt.config-linux.cpu.7"),
    ("/linux/resources/cpu/realtimeRuntime", "rt.config-linux.cpu.8"),
    ("/linux/resources/cpu/realtimePeriod", "rt.config-linux.cpu.9"),
    ("/linux/resources/cpu/cpus", "rt.config-linux.cpu.10"),
    ("/linux/resources/cpu/mems", "rt.config-linux.cpu.11"),
    ("/linux/resources/cpu/idle", "rt.config-linux.cpu.12"),
    ("/linux/resources/blockIO", "rt.config-linux.block-io.1"),
    ("/linux/resources/blockIO/weight", "rt.config-linux.block-io.2"),
    ("/linux/resources/blockIO/leafWeight", "rt.config-linux.block-io.3"),
    ("/linux/resources/blockIO/weightDevice", "rt.config-linux.block-io.4"),
    ("/linux/resources/blockIO/weightDevice/*/major", "rt.config-linux.block-io.5"),
    ("/linux/resources/blockIO/weightDevice/*/minor", "rt.config-linux.block-io.5"),
    ("/linux/resources/blockIO/weightDevice/*/weight", "rt.config-linux.block-io.6"),
    ("/linux/resources/blockIO/weightDevice/*/leafWeight", "rt.config-linux.block-io.7"),
    ("/linux/resources/blockIO/throttleReadBpsDevice", "rt.config-linux.block-io.9"),
    ("/linux/resources/blockIO/throttleReadBpsDevice/*/major", "rt.config-linux.block-io.10"),
    ("/linux/resources/blockIO/throttleReadBpsDevice/*/minor", "rt.config-linux.block-io.10"),
    ("/linux/resources/blockIO/throttleReadBpsDevice/*/rate", "rt.config-linux.block-io.11"),
    ("/linux/resources/blockIO/throttleReadIOPSDevice", "rt.config-linux.block-io.12"),
    ("/linux/resources/blockIO/throttleReadIOPSDevice/*/major", "rt.config-linux.block-io.13"),
    ("/linux/resources/blockIO/throttleReadIOPSDevice/*/minor", "rt.config-linux.block-io.13"),
    ("/linux/resources/blockIO/throttleReadIOPSDevice/*/rate", "rt.config-linux.block-io.14"),
    ("/linux/resources/blockIO/throttleWriteBpsDevice", "rt.config-linux.block-io.9"),
    ("/linux/resources/blockIO/throttleWriteBpsDevice/*/major", "rt.config-linux.block-io.10"),
    ("/linux/resources/blockIO/throttleWriteBpsDevice/*/minor", "rt.config-linux.block-io.10"),
    ("/linux/resources/blockIO/throttleWriteBpsDevice/*/rate", "rt.config-linux.block-io.11"),
    ("/linux/resources/blockIO/throttleWriteIOPSDevice", "rt.config-linux.block-io.12"),
    ("/linux/resources/blockIO/throttleWriteIOPSDevice/*/major", "rt.config-linux.block-io.13"),
    ("/linux/resources/blockIO/throttleWriteIOPSDevice/*/minor", "rt.config-linux.block-io.13"),
    ("/linux/resources/blockIO/throttleWriteIOPSDevice/*/rate", "rt.config-linux.block-io.14"),
    ("/linux/resources/hugepageLimits", "rt.config-linux.huge-page-limits.1"),
    ("/linux/resources/hugepageLimits/*/pageSize", "rt.config-linux.huge-page-limits.2"),
    ("/linux/resources/hugepageLimits/*/limit", "rt.config-linux.huge-page-limits.3"),
    ("/linux/resources/network", "rt.config-linux.network.1"),
    ("/linux/resources/network/classID", "rt.config-linux.network.2"),
    ("/linux/resources/network/priorities", "rt.config-linux.network.3"),
    ("/linux/resources/network/priorities/*/name", "rt.config-linux.network.4"),
    ("/linux/resources/network/priorities/*/priority", "rt.config-linux.network.5"),
    ("/linux/resources/pids", "rt.config-linux.pids.1"),
    ("/linux/resources/pids/limit", "rt.config-linux.pids.2"),
    ("/linux/resources/rdma", "rt.config-linux.rdma.1"),
    ("/linux/resources/rdma/*/hcaHandles", "rt.config-linux.rdma.2"),
    ("/linux/resources/rdma/*/hcaObjects", "rt.config-linux.rdma.3"),
    ("/linux/resources/unified", "rt.config-linux.unified.1"),
    ("/linux/intelRdt", "rt.config-linux.intel-rdt.1"),
    ("/linux/intelRdt/closID", "rt.config-linux.intel-rdt.5"),
    ("/linux/intelRdt/l3CacheSchema", "rt.config-linux.intel-rdt.7"),
    ("/linux/intelRdt/memBwSchema", "rt.config-linux.intel-rdt.9"),
    ("/linux/intelRdt/schemata", "rt.config-linux.intel-rdt.11"),
    ("/linux/intelRdt/enableMonitoring", "rt.config-linux.intel-rdt.12"),
    ("/linux/intelRdt/enableCMT", "rt.config-linux.intel-rdt.enable-cmt"),
    ("/linux/intelRdt/enableMBM", "rt.config-linux.intel-rdt.enable-mbm"),
    ("/linux/memoryPolicy", "rt.config-linux.memory-policy.1"),
    ("/linux/memoryPolicy/mode", "rt.config-linux.memory-policy.2"),
    ("/linux/memoryPolicy/nodes", "rt.config-linux.memory-policy.3"),
    ("/linux/memoryPolicy/flags", "rt.config-linux.memory-policy.4"),
    ("/linux/sysctl", "rt.config-linux.sysctl.1"),
    ("/linux/seccomp", "rt.config-linux.seccomp.1"),
    ("/linux/seccomp/defaultAction", "rt.config-linux.seccomp.2"),
    ("/linux/seccomp/defaultErrnoRet", "rt.config-linux.seccomp.3"),
    ("/linux/seccomp/architectures", "rt.config-linux.seccomp.5"),
    ("/linux/seccomp/flags", "rt.config-linux.seccomp.6"),
    ("/linux/seccomp/listenerPath", "rt.config-linux.seccomp.7"),
    ("/linux/seccomp/listenerMetadata", "rt.config-linux.seccomp.13"),
    ("/linux/seccomp/syscalls", "rt.config-linux.seccomp.15"),
    ("/linux/seccomp/syscalls/*/names", "rt.config-linux.seccomp.17"),
    ("/linux/seccomp/syscalls/*/action", "rt.config-linux.seccomp.19"),
    ("/linux/seccomp/syscalls/*/errnoRet", "rt.config-linux.seccomp.20"),
    ("/linux/seccomp/syscalls/*/args", "rt.config-linux.seccomp.22"),
    ("/linux/seccomp/syscalls/*/args/*/index", "rt.config-linux.seccomp.23"),
    ("/linux/seccomp/syscalls/*/args/*/value", "rt.config-linux.seccomp.24"),
    ("/linux/seccomp/syscalls/*/args/*/valueTwo", "rt.config-linux.seccomp.25"),
    ("/linux/seccomp/syscalls/*/args/*/op", "rt.config-linux.seccomp.26"),
    ("/linux/seccomp/syscalls/*/names", "minItems", "rt.config-linux.seccomp.18"),
    ("/linux/rootfsPropagation", "rt.config-linux.rootfs-mount-propagation.1"),
    ("/linux/maskedPaths", "rt.config-linux.masked-paths.1"),
    ("/linux/readonlyPaths", "rt.config-linux.readonly-paths.1"),
    ("/linux/mountLabel", "rt.config-linux.mount-label.1"),
    ("/linux/personality", "rt.config-linux.personality.1"),
    ("/linux/personality/domain", "rt.config-linux.personality.2"),
    ("/linux/personality/flags", "rt.config-linux.personality.3"),
    ("/windows/layerFolders", "rt.config-windows.layer-folders.1"),
    ("/windows/layerFolders", "minItems", "rt.config-windows.layer-folders.2"),
    ("/windows/devices", "rt.config-windows.devices.1"),
    ("/windows/devices/*/id", "rt.config-windows.devices.2"),
    ("/windows/devices/*/idType", "rt.config-windows.devices.3"),
    ("/windows/resources", "rt.config-windows.resources.1"),
    ("/windows/resources/memory", "rt.config-windows.memory.1"),
    ("/windows/resources/memory/limit", "rt.config-windows.memory.2"),
    ("/windows/resources/cpu/count", "rt.config-windows.cpu.2"),
    ("/windows/resources/cpu/shares", "rt.config-windows.cpu.3"),
    ("/windows/resources/cpu/maximum", "rt.config-windows.cpu.4"),
    ("/windows/resources/cpu/affinity", "rt.config-windows.cpu.5"),
    ("/windows/resources/cpu/affinity/*/mask", "rt.config-windows.cpu.6"),
    ("/windows/resources/cpu/affinity/*/group", "rt.config-windows.cpu.7"),
    ("/windows/resources/cpu", "rt.config-windows.cpu.1"),
    ("/windows/resources/storage", "rt.config-windows.storage.1"),
    ("/windows/resources/storage/iops", "rt.config-windows.storage.2"),
    ("/windows/resources/storage/bps", "rt.config-windows.storage.3"),
    ("/windows/resources/storage/sandboxSize", "rt.config-windows.storage.4"),
    ("/windows/network", "rt.config-windows.network.1"),
    ("/windows/network/endpointList", "rt.config-windows.network.2"),
    ("/windows/network/allowUnqualifiedDNSQuery", "rt.config-windows.network.3"),
    ("/windows/network/DNSSearchList", "rt.config-windows.network.4"),
    ("/windows/network/networkSharedContainerName", "rt.config-windows.network.5"),
    ("/windows/network/networkNamespace", "rt.config-windows.network.6"),
    ("/windows/credentialSpec", "rt.config-windows.credential-spec.1"),
    ("/windows/servicing", "rt.config-windows.servicing.1"),
    ("/windows/ignoreFlushesDuringBoot", "rt.config-windows.ignore-flushes-during-boot.1"),
    ("/windows/hyperv", "rt.config-windows.hyper-v.1"),
    ("/windows/hyperv/utilityVMPath", "rt.config-windows.hyper-v.4"),
    ("/vm/hypervisor", "rt.config-vm.hypervisor-object.1"),
    ("/vm/hypervisor/path", "rt.config-vm.hypervisor-object.2"),
    ("/vm/hypervisor/parameters", "rt.config-vm.hypervisor-object.4"),
    ("/vm/kernel", "rt.config-vm.kernel-object.1"),
    ("/vm/kernel/path", "rt.config-vm.kernel-object.2"),
    ("/vm/kernel/parameters", "rt.config-vm.kernel-object.4"),
    ("/vm/kernel/initrd", "rt.config-vm.kernel-object.5"),
    ("/vm/image", "rt.config-vm.image-object.1"),
    ("/vm/image/path", "rt.config-vm.image-object.2"),
    ("/vm/image/format", "rt.config-vm.image-object.4"),
    ("/vm/hwConfig", "rt.config-vm.hw-config-object.1"),
    ("/vm/hwConfig/deviceTree", "rt.config-vm.hw-config-object.2"),
    ("/vm/hwConfig/vcpus", "rt.config-vm.hw-config-object.3"),
    ("/vm/hwConfig/memory", "rt.config-vm.hw-config-object.4"),
    ("/vm/hwConfig/dtdevs", "rt.config-vm.hw-config-object.5"),
    ("/vm/hwConfig/iomems", "rt.config-vm.hw-config-object.6"),
    ("/vm/hwConfig/iomems/*/firstGFN", "rt.config-vm.hw-config-object.7"),
    ("/vm/hwConfig/iomems/*/firstMFN", "rt.config-vm.hw-config-object.8"),
    ("/vm/hwConfig/iomems/*/nrMFNs", "rt.config-vm.hw-config-object.9"),
    ("/vm/hwConfig/irqs", "rt.config-vm.hw-config-object.10"),
    ("/zos/namespaces/*/type", "rt.config-zos.config-zosnamespaces.1"),
    ("/zos/namespaces/*/path", "rt.config-zos.config-zosnamespaces.2"),
    ("/solaris/milestone", "rt.config-solaris.milestone.1"),
    ("/solaris/limitpriv", "rt.config-solaris.limitpriv.1"),
    ("/solaris/maxShmMemory", "rt.config-solaris.max-shm-memory.1"),
    ("/solaris/cappedCPU/ncpus", "rt.config-solaris.capped-cpu.1"),
    ("/solaris/cappedMemory/physical", "rt.config-solaris.capped-memory.1"),
    ("/solaris/cappedMemory/swap", "rt.config-solaris.capped-memory.2"),
    ("/solaris/anet/*/linkname", "rt.config-solaris.automatic-network.1"),
    ("/solaris/anet/*/lowerLink", "rt.config-solaris.automatic-network.2"),
    ("/solaris/anet/*/allowedAddress", "rt.config-solaris.automatic-network.3"),
    ("/solaris/anet/*/configureAllowedAddress", "rt.config-solaris.automatic-network.4"),
    ("/solaris/anet/*/defrouter", "rt.config-solaris.automatic-network.5"),
    ("/solaris/anet/*/macAddress", "rt.config-solaris.automatic-network.6"),
    ("/solaris/anet/*/linkProtection", "rt.config-solaris.automatic-network.7"),
    ("/freebsd/devices/*/path", "rt.config-freebsd.config-free-bsddevices.2"),
    ("/freebsd/devices/*/mode", "rt.config-freebsd.config-free-bsddevices.3"),
    ("/freebsd/jail/parent", "rt.config-freebsd.config-free-bsdjail.1"),
    ("/freebsd/jail/host", "rt.config-freebsd.config-free-bsdjail.2"),
    ("/freebsd/jail/ip4", "rt.config-freebsd.config-free-bsdjail.3"),
    ("/freebsd/jail/ip4Addr", "rt.config-freebsd.config-free-bsdjail.4"),
    ("/freebsd/jail/ip6", "rt.config-freebsd.config-free-bsdjail.5"),
    ("/freebsd/jail/ip6Addr", "rt.config-freebsd.config-free-bsdjail.6"),
    ("/freebsd/jail/vnet", "rt.config-freebsd.config-free-bsdjail.7"),
    ("/freebsd/jail/interface", "rt.config-freebsd.config-free-bsdjail.8"),
    ("/freebsd/jail/vnetInterfaces", "rt.config-freebsd.config-free-bsdjail.9"),
    ("/freebsd/jail/sysvmsg", "rt.config-freebsd.config-free-bsdjail.10"),
    ("/freebsd/jail/sysvsem", "rt.config-freebsd.config-free-bsdjail.11"),
    ("/freebsd/jail/sysvshm", "rt.config-freebsd.config-free-bsdjail.12"),
    ("/freebsd/jail/enforceStatfs", "rt.config-freebsd.config-free-bsdjail.13"),
    ("/freebsd/jail/allow", "rt.config-freebsd.config-free-bsdjail.14"),
    ("/freebsd/jail/allow/setHostname", "rt.config-freebsd.config-free-bsdjail.15"),
    ("/freebsd/jail/allow/rawSockets", "rt.config-freebsd.config-free-bsdjail.16"),
    ("/freebsd/jail/allow/chflags", "rt.config-freebsd.config-free-bsdjail.17"),
    ("/freebsd/jail/allow/mount", "rt.config-freebsd.config-free-bsdjail.18"),
    ("/freebsd/jail/allow/quotas", "rt.config-freebsd.config-free-bsdjail.19"),
    ("/freebsd/jail/allow/socketAf", "rt.config-freebsd.config-free-bsdjail.20"),
    ("/freebsd/jail/allow/mlock", "rt.config-freebsd.config-free-bsdjail.21"),
    ("/freebsd/jail/allow/reservedPorts", "rt.config-freebsd.config-free-bsdjail.22"),
    ("/freebsd/jail/allow/suser", "rt.config-freebsd.config-free-bsdjail.23"),
]
CONFIG_FALLBACK = "rt.config.property-values"

STATE_ROWS: list[Row] = [
    ("/ociVersion", "rt.runtime.state.1"),
    ("/id", "rt.runtime.state.2"),
    ("/status", "rt.runtime.state.4"),
    ("/pid", "rt.runtime.state.7"),
    ("/bundle", "rt.runtime.state.8"),
    ("/annotations", "rt.runtime.state.9"),
    ("/annotations/*", "rt.runtime.state.9"),
]
STATE_FALLBACK = "rt.runtime.state.property-values"

FEATURES_ROWS: list[Row] = [
    ("/ociVersionMin", "rt.features.specification-version.1"),
    ("/ociVersionMax", "rt.features.specification-version.3"),
    ("/hooks", "rt.features.hooks.1"),
    ("/mountOptions", "rt.features.mount-options.1"),
    ("/annotations", "rt.features.annotations.3"),
    ("/annotations/*", "rt.features.annotations.3"),
    ("/potentiallyUnsafeConfigAnnotations", "rt.features.potentially-unsafe-config-annotations.1"),
    ("/linux", "rt.features.platform-specific-features.1"),
    ("/linux/namespaces", "rt.features-linux.linux-features-namespaces.1"),
    ("/linux/capabilities", "rt.features-linux.linux-features-capabilities.1"),
    ("/linux/cgroup", "rt.features-linux.linux-features-cgroup.1"),
    ("/linux/cgroup/v1", "rt.features-linux.linux-features-cgroup.2"),
    ("/linux/cgroup/v2", "rt.features-linux.linux-features-cgroup.3"),
    ("/linux/cgroup/systemd", "rt.features-linux.linux-features-cgroup.4"),
    ("/linux/cgroup/systemdUser", "rt.features-linux.linux-features-cgroup.5"),
    ("/linux/cgroup/rdma", "rt.features-linux.linux-features-cgroup.6"),
    ("/linux/seccomp", "rt.features-linux.linux-features-seccomp.1"),
    ("/linux/seccomp/enabled", "rt.features-linux.linux-features-seccomp.2"),
    ("/linux/seccomp/actions", "rt.features-linux.linux-features-seccomp.3"),
    ("/linux/seccomp/operators", "rt.features-linux.linux-features-seccomp.5"),
    ("/linux/seccomp/archs", "rt.features-linux.linux-features-seccomp.7"),
    ("/linux/seccomp/knownFlags", "rt.features-linux.linux-features-seccomp.9"),
    ("/linux/seccomp/supportedFlags", "rt.features-linux.linux-features-seccomp.11"),
    ("/linux/apparmor", "rt.features-linux.linux-features-apparmor.1"),
    ("/linux/apparmor/enabled", "rt.features-linux.linux-features-apparmor.2"),
    ("/linux/selinux", "rt.features-linux.linux-features-apparmor.3"),
    ("/linux/selinux/enabled", "rt.features-linux.linux-features-apparmor.4"),
    ("/linux/memoryPolicy", "rt.features-linux.linux-features-memory-policy.1"),
    ("/linux/memoryPolicy/modes", "rt.features-linux.linux-features-memory-policy.2"),
    ("/linux/memoryPolicy/flags", "rt.features-linux.linux-features-memory-policy.4"),
    ("/linux/intelRdt", "rt.features-linux.linux-features-intel-rdt.1"),
    ("/linux/intelRdt/enabled", "rt.features-linux.linux-features-intel-rdt.2"),
    ("/linux/intelRdt/schemata", "rt.features-linux.linux-features-intel-rdt.3"),
    ("/linux/intelRdt/monitoring", "rt.features-linux.linux-features-intel-rdt.4"),
    ("/linux/mountExtensions", "rt.features-linux.linux-features-mount-extensions.1"),
    ("/linux/mountExtensions/idmap", "rt.features-linux.linux-features-mount-extensions.2"),
    ("/linux/mountExtensions/idmap/enabled", "rt.features-linux.linux-features-mount-extensions.3"),
    ("/linux/netDevices", "rt.features-linux.linux-features-net-devices.1"),
    ("/linux/netDevices/enabled", "rt.features-linux.linux-features-net-devices.2"),
]
FEATURES_FALLBACK = "rt.features.json"


def split_pattern(pattern: str) -> list[str]:
    from oci_conform.checks.runtime_config.pointer import split
    return split(pattern)


_ROWS_KEY = "\x00rows"       # no JSON pointer token is this (a NUL cannot be in a row)


class ClauseMap:
    """Look up the clause of a place (and schema keyword) in a table of rows."""

    def __init__(self, rows: Iterable[Row], fallback: str):
        self.fallback = fallback
        self.rows = list(rows)
        self._trie: dict[str, Any] | None = None
        self._clauses: dict[int, tuple[str, ...]] = {}    # trie node id -> its row clauses
        self._last: tuple[Any, list[tuple[str, str]]] | None = None
        self._remember = False
        self._order: dict[str, int] = {}   # ties: the first row of a clause wins
        for n, row in enumerate(self.rows):
            self._order.setdefault(row[-1], n)

    def _patterns(self) -> dict[str, Any]:
        """One trie of the row patterns (built on first use); a node's ``_ROWS_KEY`` lists the
        (keyword, clause) of the rows ending there."""
        if self._trie is None:
            self._trie = {}
            for row in self.rows:
                node = self._trie
                for token in split_pattern(row[0]):
                    node = node.setdefault(token, {})
                node.setdefault(_ROWS_KEY, []).append((row[1] if len(row) == 3 else "", row[-1]))
            self._index(self._trie)
        return self._trie

    def _index(self, node: dict[str, Any]) -> None:
        """Each node's distinct clauses, in row order, computed once."""
        rows = node.get(_ROWS_KEY, ())
        self._clauses[id(node)] = tuple(dict.fromkeys(c for _kw, c in rows))
        for token, child in node.items():
            if token != _ROWS_KEY:
                self._index(child)

    def clause_for(self, tokens: list[str], keyword: str = "") -> str:
        """The clause of the longest row pattern matching a prefix of ``tokens`` (a row for
        ``keyword`` beats a keyword-less one of the same length). A walk of the pattern trie:
        cost in the depth of the place, not in the number of rows (one schema error each)."""
        best: tuple[int, int, str] | None = None
        frontier: list[tuple[dict[str, Any], int]] = [(self._patterns(), 0)]
        while frontier:
            node, depth = frontier.pop()
            for kw, clause in node.get(_ROWS_KEY, ()):
                if kw and kw != keyword:
                    continue
                rank = (depth, 1 if kw else 0, clause)
                if best is None or rank[:2] > best[:2] or (
                        rank[:2] == best[:2] and self._order[clause] < self._order[best[2]]):
                    best = rank
            if depth < len(tokens):
                for key in (tokens[depth], "*"):
                    child = node.get(key)
                    if child is not None and key != _ROWS_KEY:
                        frontier.append((child, depth + 1))
        return best[2] if best else self.fallback

    def value_rows(self) -> list[tuple[str, str]]:
        """(pattern, clause) of every row: a present value was examined by its clause."""
        return list(dict.fromkeys((r[0], r[-1]) for r in self.rows))

    def present(self, doc: Any) -> list[tuple[str, str]]:
        """(clause, pointer) for every value in ``doc`` that some row's pattern matches.

        Inside ``one_document()`` the answer is kept for the document being judged (the
        schema check and the version check both ask for it)."""
        last = self._last
        if last is not None and last[0] is doc:
            return last[1]
        found = self._present(doc)
        if self._remember:
            self._last = (doc, found)
        return found

    @contextmanager
    def one_document(self) -> Iterator[None]:
        """While judging one document, which nobody changes meanwhile: ``present`` answers
        it once."""
        self._remember, self._last = True, None
        try:
            yield
        finally:
            self._remember, self._last = False, None

    def _present(self, doc: Any) -> list[tuple[str, str]]:
        from oci_conform.checks.runtime_config.pointer import escape
        trie = self._patterns()
        clauses = self._clauses
        found: list[tuple[str, str]] = []
        stack: list[tuple[dict[str, Any], Any, str]] = [(trie, doc, "")]
        while stack:
            node, value, here = stack.pop()
            for clause in clauses[id(node)]:
                found.append((clause, here))
            if isinstance(value, dict):
                for token, child in node.items():
                    if token == "*":
                        stack.extend((child, v, here + "/" + (
                            escape(k) if "~" in k or "/" in k else k))
                            for k, v in value.items())
                    elif token != _ROWS_KEY and token in value:
                        stack.append((child, value[token], here + "/" + (
                            escape(token) if "~" in token or "/" in token else token)))
            elif isinstance(value, list) and "*" in node:
                stack.extend((node["*"], v, f"{here}/{i}") for i, v in enumerate(value))
        return found

    def clause_ids(self) -> set[str]:
        return {r[-1] for r in self.rows} | {self.fallback}
