"""The check table: every check of a runtime-spec document and the clause ids it judges.

The table is the one place that says what is judged: the engine runs the ``document``
checks of a kind from it, the judged set of each kind is the union of its rows, and
``declarations()`` (the package ``__init__``) turns the rows into ``Declaration`` values.
Ids are written whole here and in the check that judges them; a test checks that each row's
ids appear as literals in its function's module.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from oci_conform.checks.runtime_config.context import Ctx
from oci_conform.model.judging import Observation

KINDS = ("config", "state", "features")
DocCheck = Callable[[dict[str, Any], Ctx], Iterator[Observation]]


@dataclass(frozen=True)
class Check:
    """One check: what it reads (``kind``), the code, the ids it judges, when it runs.

    ``stage`` is ``document`` (the engine runs it on every parsed document of ``kind``),
    ``schema`` (the schema rules of ``kind``), ``text`` (rules on the JSON text), ``summary``
    (a clause judged from the other clauses' verdicts) or ``bundle`` (files beside the doc).
    """

    kind: str
    run: Callable[..., Any]
    clauses: tuple[str, ...]
    platform: str = ""           # run only on documents for this platform
    stage: str = "document"

    @property
    def where(self) -> str:
        return f"{self.run.__module__}:{self.run.__qualname__}"


@cache
def checks() -> tuple[Check, ...]:
    """Every check, in the order the engine runs them."""
    from oci_conform.checks.runtime_config import (
        annotation_keys,
        bundle,
        clausemap,
        document,
        engine,
        features,
        hooks,
        linux_devices,
        linux_misc,
        linux_namespaces,
        linux_resources,
        linux_seccomp,
        mounts,
        platforms,
        process,
        root,
        schema,
        state,
    )
    return (
        Check("config", schema.config_schema, _row_ids(clausemap.CONFIG_ROWS) + (
            "rt.config.property-values",), stage="schema"),
        Check("state", schema.state_schema, _row_ids(clausemap.STATE_ROWS) + (
            "rt.runtime.state.property-values",), stage="schema"),
        Check("features", schema.features_schema, _row_ids(clausemap.FEATURES_ROWS) + (
            "rt.features.property-values", "rt.features.json"), stage="schema"),
        Check("state", document.unparsed, ("rt.runtime.state.12",), stage="text"),
        Check("config", engine.version_content, ("rt.config.specification-version.content",),
              stage="text"),
        Check("config", document.json_text, ("rt.glossary.json.1", "rt.glossary.json.2"),
              stage="text"),
        Check("state", document.state_layout, ("rt.runtime.state.12",
                                               "rt.runtime.state.12-pre-1.1"), stage="summary"),
        Check("config", bundle.config_file, ("rt.bundle.container-format.1",), stage="bundle"),
        Check("config", bundle.root_directory, ("rt.bundle.container-format.2",
                                                "rt.config.root.8"), stage="bundle"),
        Check("config", root.check_version, clauses=("rt.config.specification-version.1",)),
        Check("config", root.check_root, clauses=("rt.config.root.2", "rt.config.root.3",
            "rt.config.root.4", "rt.config.root.5", "rt.config.root.6", "rt.config.root.7",
            "rt.config.root.10")),
        Check("config", process.check_process, clauses=("rt.config.linux-process.3-pre-1.1",
            "rt.config.linux-process.5", "rt.config.linux-process.6",
            "rt.config.linux-process.7", "rt.config.linux-process.8",
            "rt.config.linux-process.9", "rt.config.linux-process.11",
            "rt.config.linux-process.16", "rt.config.linux-process.17",
            "rt.config.linux-process.20", "rt.config.linux-process.22",
            "rt.config.linux-process.25-b", "rt.config.linux-process.27",
            "rt.config.linux-process.28", "rt.config.posixprocess.3", "rt.config.posixprocess.7",
            "rt.config.posixprocess.9", "rt.config.posixuser.1", "rt.config.posixuser.2",
            "rt.config.posixuser.3", "rt.config.posixuser.4", "rt.config.process.9",
            "rt.config.process.10", "rt.config.process.11-pre-1.0.2", "rt.config.process.12",
            "rt.config.process.12-b")),
        Check("config", mounts.check_mounts, clauses=("rt.config.linux-mount-options.61-f",
            "rt.config.linux-mount-options.62-f", "rt.config.mounts.4",
            "rt.config.mounts.4-pre-1.2", "rt.config.mounts.6", "rt.config.mounts.7",
            "rt.config.mounts.8", "rt.config.mounts.9", "rt.config.mounts.11",
            "rt.config.posixmounts.4", "rt.config.posixmounts.5", "rt.config.posixmounts.8",
            "rt.config.posixmounts.9")),
        Check("config", hooks.check_hooks, clauses=("rt.config.hooks.4", "rt.config.hooks.6",
            "rt.config.hooks.13", "rt.config.hooks.15")),
        Check("config", annotation_keys.check_annotations, clauses=("rt.config.annotations.7",
            "rt.config.annotations.8")),
        Check("config", annotation_keys.check_image_annotations, clauses=(
            "rt.config.annotations.image-architecture", "rt.config.annotations.image-created",
            "rt.config.annotations.image-os", "rt.config.annotations.image-stop-signal")),
        Check("config", platforms.check_platform_sections, clauses=(
            "rt.config-freebsd.config-free-bsdjail.27",
            "rt.config-freebsd.config-free-bsdjail.28", "rt.config-vm.hypervisor-object.3",
            "rt.config-vm.image-object.3", "rt.config-vm.kernel-object.3",
            "rt.config-vm.kernel-object.6", "rt.config-windows.network.6-b",
            "rt.config-zos.config-zosnamespaces.3", "rt.config-zos.config-zosnamespaces.8",
            "rt.config-zos.devices.3", "rt.config-zos.devices.4", "rt.config-zos.devices.6",
            "rt.config-zos.devices.7", "rt.config-zos.devices.8",
            "rt.config.platform-specific-configuration.10", "rt.config.zosprocess.1")),
        Check("config", annotation_keys.check_uts, platform="linux", clauses=(
            "rt.config.domainname.1", "rt.config.hostname.1")),
        Check("config", linux_namespaces.check_namespaces, platform="linux", clauses=(
            "rt.config-linux.namespaces.3", "rt.config-linux.namespaces.8")),
        Check("config", linux_namespaces.check_mappings, platform="linux", clauses=(
            "rt.config-linux.user-namespace-mappings.1",
            "rt.config-linux.user-namespace-mappings.2")),
        Check("config", linux_namespaces.check_time_offsets, platform="linux", clauses=(
            "rt.config-linux.time-offset.1", "rt.config-linux.time-offset.3")),
        Check("config", linux_namespaces.check_sysctl, platform="linux", clauses=(
            "rt.config-linux.sysctl.1",)),
        Check("config", linux_devices.check_devices, platform="linux", clauses=(
            "rt.config-linux.devices.4", "rt.config-linux.devices.7",
            "rt.config-linux.devices.8", "rt.config-linux.devices.11")),
        Check("config", linux_devices.check_allow_list, platform="linux", clauses=(
            "rt.config-linux.device-allowedlist.6",)),
        Check("config", linux_devices.check_net_devices, platform="linux", clauses=(
            "rt.config-linux.network-devices.1", "rt.config-linux.network-devices.2")),
        Check("config", linux_resources.check_resources, platform="linux", clauses=(
            "rt.config-linux.block-io.8", "rt.config-linux.cpu.4", "rt.config-linux.cpu.6",
            "rt.config-linux.cpu.7", "rt.config-linux.cpu.10", "rt.config-linux.cpu.11",
            "rt.config-linux.cpu.12", "rt.config-linux.memory.2", "rt.config-linux.memory.3",
            "rt.config-linux.memory.4", "rt.config-linux.memory.5",
            "rt.config-linux.memory.5-pre-1.1", "rt.config-linux.memory.6",
            "rt.config-linux.memory.6-pre-1.1", "rt.config-linux.memory.7",
            "rt.config-linux.pids.2", "rt.config-linux.pids.2-pre-1.3", "rt.config-linux.rdma.4",
            "rt.config-linux.unified.1")),
        Check("config", linux_seccomp.check_seccomp, platform="linux", clauses=(
            "rt.config-linux.seccomp.4", "rt.config-linux.seccomp.7",
            "rt.config-linux.seccomp.14", "rt.config-linux.seccomp.17",
            "rt.config-linux.seccomp.21", "rt.config-linux.seccomp.23")),
        Check("config", linux_misc.check_paths, platform="linux", clauses=(
            "rt.config-linux.cgroups-path.2", "rt.config-linux.masked-paths.2",
            "rt.config-linux.readonly-paths.2")),
        Check("config", linux_misc.check_intel_rdt, platform="linux", clauses=(
            "rt.config-linux.intel-rdt.5", "rt.config-linux.intel-rdt.8",
            "rt.config-linux.intel-rdt.10", "rt.config-linux.intel-rdt.11")),
        Check("config", linux_misc.check_memory_policy, platform="linux", clauses=(
            "rt.config-linux.memory-policy.3", "rt.config-linux.memory-policy.4")),
        Check("state", state.check_state, clauses=("rt.runtime.state.1", "rt.runtime.state.5",
            "rt.runtime.state.7", "rt.runtime.state.8", "rt.runtime.state.9")),
        Check("features", features.check_features, clauses=(
            "rt.features-linux.linux-features-seccomp.11", "rt.features.annotations.3",
            "rt.features.hooks.1", "rt.features.mount-options.3",
            "rt.features.specification-version.1", "rt.features.specification-version.3",
            "rt.features.specification-version.5", "rt.features.specification-version.6")),
    )


def _row_ids(rows: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r[-1] for r in rows))


@cache
def judged(kind: str) -> frozenset[str]:
    """Every clause id the validator judges for documents of ``kind``."""
    return frozenset(c for check in checks() if check.kind == kind for c in check.clauses)


def document_checks(kind: str, platform: str) -> Iterator[Check]:
    """The schema and ``document`` checks of ``kind`` that run on a document for ``platform``."""
    for check in checks():
        if check.kind == kind and check.stage in ("schema", "document") and \
                check.platform in ("", platform):
            yield check
