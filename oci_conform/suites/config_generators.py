"""Suite: the tools on this machine that write config.json, judged clause by clause.

Columns are generators: ``runc spec``, ``runc spec --rootless``, ``crun spec``, the
bundled reference runtime's ``spec`` (and ``spec --rootless``) and the config.json
``umoci unpack`` writes for a small busybox image it builds itself. Any
other command that writes ``config.json`` into its working folder (or prints one)
can be added with ``--config-generator NAME=COMMAND``.
"""
from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from oci_conform.model.declaration import Declaration
from oci_conform.model.evidence import Evidence
from oci_conform.model.outcome import Outcome
from oci_conform.model.results import CaseResult, Implementation
from oci_conform.suites.base import RunContext
from oci_conform.suites.command_columns import command_implementation, parse_name_command

TIMEOUT = 60
UMOCI = "umoci unpack"
REFERENCE = "oci-conform-runtime"


def reference_runtime() -> str:
    """The bundled reference runtime's command: the script beside this Python, else on PATH."""
    import sys
    beside = Path(sys.executable).parent / REFERENCE
    return shlex.quote(str(beside)) if beside.is_file() else REFERENCE


BUILTIN = {"runc-spec": "runc spec", "runc-spec-rootless": "runc spec --rootless",
           "crun-spec": "crun spec", "umoci-config": UMOCI,
           "reference-spec": f"{reference_runtime()} spec",
           "reference-spec-rootless": f"{reference_runtime()} spec --rootless"}


def declarations() -> list[Declaration]:
    """The generator columns judge every config.json clause of the static checks."""
    from oci_conform.checks.runtime_config.table import judged
    return [Declaration(name="config-generators", where=f"{__name__}:ConfigGeneratorSuite.run",
                        clauses=tuple(sorted(judged("config"))), suite="config-generators",
                        select="oci-conform matrix --suite config-generators")]


class GeneratorError(Exception):
    """The generator could not produce a config.json (one line of text)."""


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        done = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GeneratorError(f"{shlex.join(argv)}: {exc}") from None
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise GeneratorError(f"{shlex.join(argv)} exited {done.returncode}: {tail[0][:200]}")
    return done


def busybox_path() -> str | None:
    for candidate in ("/bin/busybox", "/usr/bin/busybox"):
        if Path(candidate).is_file():
            return candidate
    return shutil.which("busybox")


def umoci_bundle(workdir: Path) -> Path:
    """Build a one-layer busybox image with umoci and unpack it; return the bundle folder."""
    busybox = busybox_path()
    if not busybox:
        raise GeneratorError("busybox is not installed (needed for the umoci image)")
    src = workdir / "src" / "bin"
    src.mkdir(parents=True)
    shutil.copy2(busybox, src / "busybox")
    (src / "sh").symlink_to("busybox")
    image = f"{workdir / 'layout'}:latest"
    _run(["umoci", "init", "--layout", str(workdir / "layout")], workdir)
    _run(["umoci", "new", "--image", image], workdir)
    _run(["umoci", "insert", "--image", image, str(src), "/bin"], workdir)
    _run(["umoci", "config", "--image", image, "--config.cmd", "sh",
          "--config.env", "PATH=/bin"], workdir)
    bundle = workdir / "bundle"
    _run(["umoci", "unpack", "--rootless", "--image", image, str(bundle)], workdir)
    return bundle


def generate(command: str, workdir: Path) -> tuple[bytes, Path | None]:
    """(config.json bytes, bundle folder or None) produced by ``command`` in ``workdir``."""
    if command == UMOCI:
        bundle = umoci_bundle(workdir)
        return (bundle / "config.json").read_bytes(), bundle
    done = _run(shlex.split(command), workdir)
    written = workdir / "config.json"
    if written.is_file():
        return written.read_bytes(), None
    if done.stdout.strip().startswith(b"{"):
        return done.stdout, None
    raise GeneratorError(f"{command} wrote no config.json and printed no JSON")


def tool_of(command: str) -> str:
    return "umoci" if command == UMOCI else shlex.split(command)[0]


@dataclass
class ConfigGeneratorSuite:
    """The suite that judges the config.json files generators write."""

    name: str = "config-generators"
    kind: str = "config-generator"
    option: str = "--config-generator"
    help: str = ("a command that writes config.json in its working folder, as NAME=COMMAND "
                 "(default: runc spec, runc spec --rootless, crun spec, the reference "
                 "runtime's spec, umoci unpack)")

    def clause_ids(self) -> frozenset[str]:
        return frozenset(c for d in declarations() for c in d.clauses)

    def parse_implementation(self, text: str) -> Implementation:
        return self._implementation(*parse_name_command(text, BUILTIN))

    def _implementation(self, name: str, command: str) -> Implementation:
        return command_implementation(name, self.kind, command, tool_of(command))

    def default_implementations(self, ctx: RunContext) -> list[Implementation]:
        return [self._implementation(name, command) for name, command in BUILTIN.items()]

    def run(self, impl: Implementation, ctx: RunContext) -> Iterator[CaseResult]:
        from oci_conform.checks.runtime_config import bundle as bundle_rules
        from oci_conform.checks.runtime_config.docload import parse_bytes
        from oci_conform.checks.runtime_config.engine import make_context, validate_parsed
        from oci_conform.drivers.bundle_layout import bundle_facts

        wanted = [c for c in sorted(self.clause_ids()) if ctx.selection.wants([c])]
        workdir = Path(tempfile.mkdtemp(prefix="config-gen-", dir=ctx.workdir))
        try:
            try:
                raw, bundle = generate(impl.command, workdir)
            except GeneratorError as exc:
                for cid in wanted:
                    yield CaseResult(cid, impl.name, Outcome.ERROR, case="config-generators",
                                     message=str(exc),
                                     evidence=Evidence(facts={"command": impl.command}))
                return
            parsed = parse_bytes(raw)
            extra = []
            if bundle is not None and parsed.data is not None:
                ctx_doc = make_context("config", parsed.data, None, None)
                root = parsed.data.get("root") if isinstance(parsed.data, dict) else None
                facts = bundle_facts(bundle, root.get("path") if isinstance(root, dict) else None)
                extra = list(bundle_rules.config_file(facts)) + list(
                    bundle_rules.root_directory(facts, ctx_doc.platform))
            version = parsed.data.get("ociVersion") if isinstance(parsed.data, dict) else None
            impl.spec_version = impl.spec_version or (version if isinstance(version, str) else "")
            results = validate_parsed(parsed, "config", file="config.json", impl=impl.name,
                                      extra=extra, catalog=ctx.catalog)
            for result in results:
                if result.clause in wanted:
                    result.case = "config-generators"
                    result.evidence.facts["command"] = impl.command
                    yield result
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


SUITE = ConfigGeneratorSuite()

