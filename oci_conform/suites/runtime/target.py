"""The runtime under test: its command, version, claimed spec version and features."""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oci_conform.catalog.model import Spec
from oci_conform.drivers.host_probes import HostFacts
from oci_conform.drivers.runtime_cli import Invocation, Ledger, RuntimeCLI, RuntimeCommand

FALLBACK_OCI_VERSION = "1.0.2"
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


@dataclass
class RuntimeTarget:
    """Everything a case needs to know about the runtime and the host it runs on."""

    name: str
    command: RuntimeCommand
    host: HostFacts
    workdir: Path
    base_rootfs: Path
    version: str = ""
    spec_claim: str = ""               # as the runtime states it ("1.0.2-dev")
    claimed_version: str = ""          # the catalog version of that claim ("1.0.2")
    judged_at: str = ""                # --spec-version; "" = every case at the newest
    oci_version: str = FALLBACK_OCI_VERSION   # written into config.json
    features: dict[str, Any] | None = None
    features_call: Invocation | None = None
    version_call: Invocation | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    ledger: Ledger = field(default_factory=Ledger)
    timeout: float = 20.0
    keep_dir: Path | None = None       # --keep: failing cases' folders are copied here

    @property
    def cgroup_parent(self) -> str:
        """The cgroup folder (relative to each hierarchy) that holds every case's cgroup."""
        return f"oci-conform-{self.run_id}"

    def cli(self, root: Path, logdir: Path) -> RuntimeCLI:
        return RuntimeCLI(self.command, root, logdir, self.timeout, self.ledger)

    def feature_list(self, *path: str) -> list[str] | None:
        """A list in the features document (None when there is no such list)."""
        node: Any = self.features
        for key in path:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node if isinstance(node, list) else None


def _key(version: str) -> tuple[int, int, int]:
    m = _SEMVER.match(version or "")
    return (int(m[1]), int(m[2]), int(m[3])) if m else (0, 0, 0)


def judged_version(claim: str, spec: Spec | None) -> str:
    """The catalog version a claim maps to: "1.0.2-dev" -> "1.0.2"; unknown -> nearest below."""
    m = _SEMVER.match(claim or "")
    if not m:
        return ""
    plain = f"{m[1]}.{m[2]}.{m[3]}"
    if spec is None or plain in spec.versions:
        return plain
    known = [v for v in spec.versions if _SEMVER.match(v) and _key(v) <= _key(plain)]
    return known[-1] if known else plain


def parse_version_output(text: str) -> tuple[str, str]:
    """(runtime version, spec version) from ``--version`` output."""
    version = spec = ""
    for line in text.splitlines():
        low = line.strip().lower()
        if " version " in f" {low}" and not version:
            version = line.split("version", 1)[1].strip().split()[0] if "version" in line else ""
        if low.startswith("spec:"):
            spec = line.split(":", 1)[1].strip()
    return version, spec


def discover(target: RuntimeTarget, spec: Spec | None) -> RuntimeTarget:
    """Ask the runtime for its version and features; fill the target in place."""
    cli = target.cli(target.workdir / "discover-root", target.workdir / "discover-logs")
    target.version_call = cli.version()
    if target.version_call.ok:
        target.version, target.spec_claim = parse_version_output(target.version_call.stdout)
    target.features_call = cli.features()
    if target.features_call.ok:
        try:
            doc = json.loads(target.features_call.stdout)
            target.features = doc if isinstance(doc, dict) else None
        except json.JSONDecodeError:
            target.features = None
    vmax = (target.features or {}).get("ociVersionMax")
    if isinstance(vmax, str) and _SEMVER.match(vmax):
        target.spec_claim = target.spec_claim or vmax
        target.oci_version = vmax
    elif _SEMVER.match(target.spec_claim or ""):
        target.oci_version = target.spec_claim
    target.claimed_version = judged_version(target.spec_claim or target.oci_version, spec)
    return target
