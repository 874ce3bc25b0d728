"""The steps of a client column and what each one recorded (data only, no I/O).

A column runs these steps in order against reference registries in recording mode; each
step is one client command with one fault (see ``faults.py``). The exchanges of a step are
those that started while its command ran.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oci_conform.drivers.image_sources.tools import ToolRun
from oci_conform.reference.registry.recording import Exchange
from oci_conform.suites.registry_clients.faults import PushedManifest


@dataclass(frozen=True)
class StepPlan:
    """One step: what the client does, on which registry, under which fault."""

    name: str
    action: str                  # push | push-large | push-chunked | pull | tags | referrer
    registry: str = "anonymous"  # anonymous (profile v1.0) | basic | token
    fault: str = ""
    target: str = "image:v1"     # repository:tag, or "@digest" for a pull by digest
    expect_ok: bool = True       # False: the client must fail (a lie it must catch)


PLAN: tuple[StepPlan, ...] = (
    StepPlan("push", "push", fault="opaque-location"),
    StepPlan("tags", "tags"),
    StepPlan("pull", "pull"),
    StepPlan("pull-by-digest", "pull", target="image@digest"),
    StepPlan("pull-content-type-params", "pull", fault="content-type-params"),
    StepPlan("pull-warnings", "pull", fault="warnings"),
    StepPlan("pull-no-docker-digest", "pull", fault="no-docker-digest"),
    StepPlan("pull-tampered-manifest", "pull", fault="tamper-manifest", target="image@digest",
             expect_ok=False),
    StepPlan("pull-tampered-blob", "pull", fault="tamper-blob", expect_ok=False),
    StepPlan("referrer", "referrer", target="image:signature"),
    StepPlan("referrer-again", "referrer", target="image:signature"),
    StepPlan("referrer-tag-not-index", "referrer", fault="tag-not-index",
             target="image:signature", expect_ok=False),
    StepPlan("push-large", "push-large", target="large:v1"),
    StepPlan("push-chunked", "push-chunked", fault="chunk-min", target="chunked:v1"),
    StepPlan("pull-large", "pull", target="large:v1"),
    StepPlan("push-upload-fails", "push", fault="fail-upload", target="failing:v1",
             expect_ok=False),
    StepPlan("basic-push", "push", registry="basic"),
    StepPlan("basic-pull-redirected", "pull", registry="basic", fault="redirect-blobs"),
    StepPlan("token-push", "push", registry="token"),
    StepPlan("token-pull", "pull", registry="token"),
)
PUSH_STEPS = ("push", "basic-push", "token-push")


@dataclass
class Step:
    """One step as it ran: the command, and what the registries saw meanwhile."""

    plan: StepPlan
    offered: bool = True
    run: ToolRun | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    elsewhere: list[Exchange] = field(default_factory=list)   # at the redirect target
    manifests: list[PushedManifest] = field(default_factory=list)
    problem: str = ""            # the harness could not run the step (why)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def ran(self) -> bool:
        return self.offered and self.run is not None and not self.problem

    @property
    def ok(self) -> bool:
        return self.ran and self.run is not None and self.run.ok

    @property
    def output(self) -> str:
        return (self.run.stdout + "\n" + self.run.stderr) if self.run else ""

    def said(self) -> str:
        """What the command did, in a few words."""
        if not self.offered:
            return f"{self.name}: not offered"
        if self.problem:
            return f"{self.name}: {self.problem}"
        assert self.run is not None
        last = (self.run.stderr.strip().splitlines() or [""])[-1][:200]
        return f"{self.name}: exit {self.run.exit}" + (f" ({last})" if not self.run.ok else "")
