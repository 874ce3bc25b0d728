"""Suite: the features documents real runtimes print, judged clause by clause as files.

Columns are runtimes' ``features`` commands (``runc features``, ``crun features``,
the bundled reference runtime's ``features``);
each printed document goes through the same validator as
``oci-conform config validate --kind features``. Only the document is judged here;
whether a runtime keeps its promises (accepts what it announces) is the runtime
behaviour suite's job. A runtime whose CLI has no ``features`` operation gives a
column of skips with that reason. Add another with ``--features-command NAME=COMMAND``.
"""
from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from oci_conform.model import judging
from oci_conform.model.declaration import Declaration
from oci_conform.model.evidence import Evidence
from oci_conform.model.judging import Why
from oci_conform.model.results import CaseResult, Implementation
from oci_conform.suites.base import RunContext
from oci_conform.suites.command_columns import command_implementation, parse_name_command
from oci_conform.suites.config_generators import reference_runtime

TIMEOUT = 30
CASE = "features-documents"
BUILTIN = {"runc-features": "runc features", "crun-features": "crun features",
           "reference-features": f"{reference_runtime()} features"}
NO_OPERATION = ("unknown command", "no help topic", "unrecognized command", "invalid command")
MAX_OUTPUT = 8 * 1024 * 1024


def declarations() -> list[Declaration]:
    """The features columns judge every clause of the static features-document checks."""
    from oci_conform.checks.runtime_config.table import judged
    return [Declaration(name=CASE, where=f"{__name__}:FeaturesDocumentSuite.run",
                        clauses=tuple(sorted(judged("features"))), suite="features-documents",
                        select="oci-conform matrix --suite features-documents")]


class NoDocument(Exception):
    """The command printed no features document; ``unsupported`` when it has no such verb."""

    def __init__(self, message: str, unsupported: bool = False):
        super().__init__(message)
        self.unsupported = unsupported


def run_features(command: str, workdir: Path) -> bytes:
    """The bytes ``command`` prints on stdout (raises NoDocument when it fails)."""
    argv = shlex.split(command)
    try:
        with tempfile.TemporaryFile(dir=workdir) as out, \
                tempfile.TemporaryFile(dir=workdir) as err:
            done = subprocess.run(argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=err, timeout=TIMEOUT, check=False)
            out.seek(0)
            err.seek(0)
            raw, tail = out.read(MAX_OUTPUT + 1), err.read(4096)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NoDocument(f"{command}: {exc}") from None
    if done.returncode != 0:
        text = (tail + raw[:4096]).decode(errors="replace").strip()
        last = (text.splitlines() or [""])[-1][:200]
        unsupported = any(word in text.lower() for word in NO_OPERATION)
        raise NoDocument(f"{command} exited {done.returncode}: {last}", unsupported)
    return raw


@dataclass
class FeaturesDocumentSuite:
    """The suite that judges the features documents runtimes print."""

    name: str = "features-documents"
    kind: str = "features-command"
    option: str = "--features-command"
    help: str = ("a command that prints a runtime-spec features document, as NAME=COMMAND "
                 "(default: runc features, crun features, the reference runtime's "
                 "features)")

    def clause_ids(self) -> frozenset[str]:
        return frozenset(c for d in declarations() for c in d.clauses)

    def parse_implementation(self, text: str) -> Implementation:
        return self._implementation(*parse_name_command(text, BUILTIN))

    def _implementation(self, name: str, command: str) -> Implementation:
        return command_implementation(name, self.kind, command, shlex.split(command)[0])

    def default_implementations(self, ctx: RunContext) -> list[Implementation]:
        return [self._implementation(name, command) for name, command in BUILTIN.items()]

    def run(self, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
        from oci_conform.checks.runtime_config.docload import parse_bytes
        from oci_conform.checks.runtime_config.engine import validate_parsed

        wanted = [c for c in sorted(self.clause_ids()) if ctx.selection.wants([c])]
        workdir = Path(tempfile.mkdtemp(prefix="features-doc-", dir=ctx.workdir))
        try:
            try:
                raw = run_features(impl.command, workdir)
            except NoDocument as exc:
                # No features operation: there is no document, so its rules do not apply
                # (n/a, not offered); anything else is the harness failing to get one.
                reason = (f"{exc} (this version has no features operation)"
                          if exc.unsupported else str(exc))
                for cid in wanted:
                    obs = (judging.not_judged(cid, Why.NOT_OFFERED, reason) if exc.unsupported
                           else judging.errored(cid, reason))
                    yield CaseResult(cid, impl.name, obs.outcome, case=CASE, message=reason,
                                     evidence=Evidence(facts={"command": impl.command}))
                return
            parsed = parse_bytes(raw)
            data = parsed.data if isinstance(parsed.data, dict) else {}
            if not impl.spec_version and isinstance(data.get("ociVersionMax"), str):
                impl.spec_version = data["ociVersionMax"]
            for result in validate_parsed(parsed, "features", file="features.json",
                                          impl=impl.name, catalog=ctx.catalog):
                if result.clause in wanted:
                    result.case = CASE
                    result.evidence.facts["command"] = impl.command
                    yield result
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


SUITE = FeaturesDocumentSuite()
