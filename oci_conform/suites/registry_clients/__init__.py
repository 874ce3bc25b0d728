"""The ``registry-clients`` suite: registry clients judged by the rules that bind clients.

Each client (skopeo, podman, buildah, containerd's ``ctr``, the ORAS Python client, or a
command with the script command line) is a column. It pushes, lists tags, pulls and pushes a
referrer against reference registries in recording mode, some of them misbehaving on purpose
(``faults.py``), and the recorded exchanges are judged (``judge.py``) against the
distribution-spec clauses that bind clients.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from oci_conform.drivers.registry_clients import CLIENTS, KINDS, locate, make_client
from oci_conform.model.declaration import Declaration
from oci_conform.model.results import CaseResult, Implementation
from oci_conform.suites.base import RunContext
from oci_conform.suites.registry_clients.judge import JUDGES, module_of


def declarations() -> list[Declaration]:
    """One declaration per judge, with the clauses it judges."""
    return [Declaration(f"client:{name}", f"{module_of(name)}:{name}", clauses, "registry-clients",
                        f"oci-conform matrix --suite registry-clients --clause {clauses[0]}")
            for name, clauses in JUDGES]


class RegistryClientsSuite:
    name = "registry-clients"
    kind = "registry-client"
    option = "--registry-client"
    help = ("registry client column: CLIENT, NAME=CLIENT or NAME=script:COMMAND (clients: "
            + ", ".join(CLIENTS) + ")")

    def clause_ids(self) -> frozenset[str]:
        return frozenset(c for d in declarations() for c in d.clauses)

    def selected_clause_ids(self, selection) -> set[str]:
        return {c for name, clauses in JUDGES for c in clauses
                if selection.wants([c], name=f"client:{name}")}

    def parse_implementation(self, text: str) -> Implementation:
        name, sep, value = text.partition("=")
        value = value if sep else name
        kind, _, command = value.partition(":")
        if not name.strip() or kind not in KINDS:
            raise ValueError(f"unknown registry client {value!r} (known: "
                             f"{', '.join(CLIENTS)}, or script:COMMAND)")
        if kind == "script":
            if not command.strip():
                raise ValueError("script: wants a command, as in NAME=script:'python fake.py'")
            return Implementation(name, "registry-client", command=f"script:{command}",
                                  version="script")
        return _impl(name, kind)

    def default_implementations(self, ctx: RunContext) -> list[Implementation]:
        return [_impl(kind, kind) for kind in CLIENTS]

    def run(self, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
        from oci_conform.suites.registry_clients.run import run_column
        kind, _, command = impl.command.partition(":")
        work = Path(ctx.workdir) / "registry-clients" / impl.name
        client = make_client(impl.name, kind, command, work / "client")
        judges = [name for name, clauses in JUDGES
                  if ctx.selection.wants(clauses, name=f"client:{name}")]
        wanted = self.selected_clause_ids(ctx.selection)
        for result in run_column(impl, client, work, ctx.progress, judges):
            if result.clause in wanted:
                yield result


def _impl(name: str, kind: str) -> Implementation:
    command, version, reason = locate(kind)
    return Implementation(name, "registry-client", command=f"{kind}:{command}",
                          version=version, available=not reason, reason=reason)


SUITE = RegistryClientsSuite()
