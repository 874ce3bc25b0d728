"""``oci-conform config validate``: judge config.json, state and features documents as files.

Each PATH (a file, a bundle folder, or ``-`` for stdin) becomes one column of the
results: one outcome per clause the validator knows, with findings that carry the
JSON pointer, line and column. Heavy modules are imported only when the command runs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from oci_conform.commands.common import add_output_options

KINDS = ("config", "state", "features")
PLATFORMS = ("linux", "windows", "solaris", "vm", "zos", "freebsd")
STDIN = "-"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="validate runtime-spec documents (config.json, state, "
                                      "features) as files",
                       description="Validate runtime-spec documents as files.")
    verbs = p.add_subparsers(dest="config_command", metavar="VERB")
    v = verbs.add_parser("validate", help="validate config.json files, bundle folders, state "
                                          "or features documents",
                         description="Validate config.json files and bundle folders (or state "
                                     "and features documents with --kind) against the "
                                     "runtime-spec: schema rules and semantic checks, one "
                                     "outcome per clause.")
    v.add_argument("paths", nargs="+", metavar="PATH",
                   help="a JSON file, a bundle folder (config kind), or - for stdin")
    v.add_argument("--kind", choices=KINDS, default="config",
                   help="what the documents are (default: config)")
    v.add_argument("--spec-version", metavar="VERSION",
                   help="judge by this runtime-spec version (default: the document's own "
                        "ociVersion, or ociVersionMax for features)")
    v.add_argument("--platform", choices=PLATFORMS,
                   help="target platform (default: the document's platform section, else linux)")
    add_output_options(v)
    v.set_defaults(func=run_validate)
    p.set_defaults(func=lambda args: _no_verb(p))


def _no_verb(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def read_source(path: str, limit: int) -> tuple[bytes | None, str]:
    """(bytes, '') or (None, reason); never reads more than ``limit`` + 1 bytes, and refuses
    anything but a regular file (a FIFO or a device) without blocking."""
    from oci_conform.drivers.files import UnsafePath, open_regular
    try:
        if path == STDIN:
            return sys.stdin.buffer.read(limit + 1), ""
        with open_regular(path) as handle:
            return _read_upto(handle, limit), ""
    except UnsafePath as exc:
        return None, f"cannot read {exc}"
    except OSError as exc:
        return None, f"cannot read {path}: {exc.strerror or exc}"


def _read_upto(handle: Any, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of a regular file, asked for in pieces no larger than the
    file's size + 1 (one read of ``limit`` + 1 bytes allocates that much first, 8 MiB for a
    config.json of 3 KiB); a file that grows while it is read is read on up to the limit."""
    import os
    step = min(limit + 1, os.fstat(handle.fileno()).st_size + 1)
    chunks: list[bytes] = []
    got = 0
    while got <= limit:
        part = handle.read(min(step, limit + 1 - got))
        if not part:
            break
        chunks.append(part)
        got += len(part)
        step = max(step, 1 << 16)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def validate_path(path: str, kind: str, spec_version: str | None, platform: str | None
                  ) -> tuple[list[Any], Any, str]:
    """(case results, implementation, error) for one PATH."""
    from oci_conform.checks.runtime_config import bundle
    from oci_conform.checks.runtime_config.docload import MAX_BYTES, Parsed, parse_bytes
    from oci_conform.checks.runtime_config.engine import make_context, validate_parsed
    from oci_conform.model.results import Implementation

    name = "<stdin>" if path == STDIN else path
    folder = _folder(path)
    extra: list[Any] = []
    file_path = path
    if folder is not None:
        if kind != "config":
            return [], None, f"{path} is a folder; only --kind config accepts bundle folders"
        from oci_conform.drivers.bundle_layout import bundle_facts
        facts = bundle_facts(folder)
        extra.extend(bundle.config_file(facts))
        file_path = str(folder / bundle.CONFIG_NAME)
    raw, error = (None, "") if folder is not None and facts.config \
        else read_source(file_path, MAX_BYTES)
    if error and folder is None:
        return [], None, error
    if error:
        from oci_conform.model.judging import failed
        extra = [failed("rt.bundle.container-format.1", error)]
    parsed = parse_bytes(raw) if raw is not None else Parsed(problems=[])
    if folder is not None and parsed.data is not None:
        ctx = make_context(kind, parsed.data, spec_version, platform)
        root = parsed.data.get("root") if isinstance(parsed.data, dict) else None
        root_path = root.get("path") if isinstance(root, dict) else None
        extra.extend(bundle.root_directory(bundle_facts(folder, root_path), ctx.platform))
    if raw is None:   # a bundle without config.json: only the bundle clause can be judged
        from oci_conform.model.judging import case_results, roll_up
        verdicts = roll_up(extra, ("rt.bundle.container-format.1",))
        results = list(case_results(verdicts.values(), name, "config-validate:bundle"))
        return results, Implementation(name=name, kind="config", command=path), ""
    results = validate_parsed(parsed, kind, file=file_path if path != STDIN else "",
                              impl=name, spec_version=spec_version, platform=platform,
                              extra=extra)
    if folder is None and kind == "config":
        for r in results:
            if r.clause == "rt.config.root.8" and r.outcome.value == "n/a":
                r.message = "give the bundle folder instead of the file to check root.path"
    version = next((r.evidence.facts.get("spec_version", "") for r in results), "")
    impl = Implementation(name=name, kind="config", command=path, spec_version=version)
    return results, impl, ""


def _folder(path: str) -> Path | None:
    """``path`` as a bundle folder when it is a directory (symlinks followed), else None."""
    import stat
    if path == STDIN:
        return None
    try:
        return Path(path) if stat.S_ISDIR(Path(path).stat().st_mode) else None
    except OSError:
        return None


def _wants_text(args: argparse.Namespace) -> bool:
    import os
    if args.format is None:
        return os.environ.get("GITHUB_ACTIONS") != "true"
    return str(args.format) == "text"


def run_validate(args: argparse.Namespace) -> int:
    from oci_conform.model.verdict import ExitCode

    if args.paths.count(STDIN) > 1:
        print("error: - (stdin) can be given once", file=sys.stderr)
        return ExitCode.USAGE
    if _streams(args):
        return _run_streaming(args)
    return _run_whole(args)


STREAMED = ("text", "json", "tap")


def _streams(args: argparse.Namespace) -> bool:
    """Formats whose report can be written file by file (text and TAP 14 as each file is
    judged, the JSON results document through spool files): memory stays flat in the number
    of files.
    The others (HTML, SARIF, GitHub, Markdown...) need every outcome at once."""
    from oci_conform.commands.common import chosen_format
    return chosen_format(args) in STREAMED


def _new_results(args: argparse.Namespace, catalog: Any) -> Any:
    from oci_conform.provenance import new_results
    return new_results(catalog, ["oci-conform", *getattr(args, "argv", [])])


def _finish(results: Any, catalog: Any, versions: list[str], asked_version: str | None,
            **more: Any) -> None:
    from oci_conform.provenance import finish
    chosen = asked_version or (versions[0] if len(set(versions)) == 1 else None)
    asked = {"runtime-spec": chosen} if chosen and \
        chosen in catalog.specs["runtime-spec"].versions else {}
    finish(results, catalog, asked, **more)


def _run_whole(args: argparse.Namespace) -> int:
    """Every file into one results document (the formats that need all outcomes at once)."""
    from oci_conform.checks.runtime_config.catalog_cache import runtime_catalog
    from oci_conform.model.verdict import ExitCode

    catalog = runtime_catalog()
    results = _new_results(args, catalog)
    versions: list[str] = []
    for path in args.paths:
        outcomes, impl, error = validate_path(path, args.kind, args.spec_version, args.platform)
        if error:
            print(f"error: {error}", file=sys.stderr)
            return ExitCode.USAGE
        results.implementations.append(impl)
        results.results.extend(outcomes)
        if impl.spec_version:
            versions.append(impl.spec_version)
    _finish(results, catalog, versions, args.spec_version)
    return _emit(results, args)


def combine(codes: list[int]) -> int:
    """One exit code for many files: a harness error first, then any nonconformant file,
    then conformant; nothing judged only when no file judged anything."""
    from oci_conform.model.verdict import ExitCode
    for code in (ExitCode.HARNESS_ERROR, ExitCode.NONCONFORMANT, ExitCode.CONFORMANT):
        if code in codes:
            return code
    return ExitCode.NOTHING_SELECTED


def _one_file(head: Any, impl: Any, outcomes: list[Any]) -> Any:
    """A results document for one file, sharing the run's provenance."""
    from oci_conform.model.results import Results
    return Results(tool_version=head.tool_version, catalog_version=head.catalog_version,
                   started=head.started, host=head.host, command=head.command,
                   implementations=[impl], results=outcomes)


def _run_streaming(args: argparse.Namespace) -> int:
    """Judge, write and drop one file at a time; keep only exit codes, the spec versions
    seen and the clause ids seen (all bounded by the catalog, not by the files)."""
    from oci_conform.checks.runtime_config.catalog_cache import runtime_catalog
    from oci_conform.commands.common import output_plan
    from oci_conform.model.verdict import ExitCode, exit_code

    plan = getattr(args, "output_plan", None) or output_plan(args)
    catalog = runtime_catalog()
    head = _new_results(args, catalog)
    text, tap = plan.format == "text", plan.format == "tap"
    if tap:
        from oci_conform.commands.config_stream import tap_end, tap_part
    stream = _results_stream(plan)
    clause_ids: set[str] = set()
    infos: dict[Any, Any] = {}           # clause snapshots by spec versions, made once
    codes: set[int] = set()
    versions: set[str] = set()
    files = 0
    sink = TextSink(args.output if text or tap else None, quiet=not (text or tap))
    try:
        with sink as write:
            if tap:
                write("TAP version 14\n")
            for path in args.paths:
                outcomes, impl, error = validate_path(path, args.kind, args.spec_version,
                                                      args.platform)
                if error:
                    print(f"error: {error}", file=sys.stderr)
                    sink.keep = False
                    return ExitCode.USAGE
                one = _one_file(head, impl, outcomes)
                ids = {r.clause for r in outcomes}
                _finish(one, catalog, [impl.spec_version] if impl.spec_version else [],
                        args.spec_version, ids=ids, cache=infos)
                if plan.expectations:
                    from oci_conform.model.expectations import apply_expectations
                    apply_expectations(one, list(plan.expectations))
                if text:
                    write(render_text(one, verbosity=args.verbosity))
                elif tap:
                    write(tap_part(one, files + 1, plan.fail_on))
                if stream is not None:
                    stream.add(one)
                clause_ids |= ids
                codes.add(exit_code(one, plan.fail_on))
                versions.update([impl.spec_version] if impl.spec_version else [])
                files += 1
            code = combine(list(codes))
            _finish(head, catalog, sorted(versions), args.spec_version, ids=clause_ids,
                    cache=infos)
            if text:
                write(files_verdict(code, files, plan.fail_on))
            elif tap:
                write(tap_end(head, files))
        if stream is not None:
            _write_results(stream, head, plan)
        return code
    finally:
        if stream is not None:
            stream.close()


def _results_stream(plan: Any) -> Any:
    """A spool for the results document when the format is JSON or --results is asked."""
    if plan.format != "json" and plan.results is None:
        return None
    from oci_conform.commands.config_stream import ResultsStream
    # spools beside a file target (room for the document is needed there anyway); never
    # beside a device such as /dev/null: then in the temporary folder
    target = plan.results or plan.output
    beside = target is not None and (target.is_file() or not target.exists())
    return ResultsStream(str(target.parent) if beside else None)


def _write_results(stream: Any, head: Any, plan: Any) -> None:
    from oci_conform.commands.config_stream import write_atomic
    if plan.results is not None:
        write_atomic(plan.results, lambda out: stream.write(head, out))
    if plan.format == "json":
        write_atomic(plan.output, lambda out: stream.write(head, out))


def files_verdict(code: int, files: int, fail_on: str) -> str:
    """The last line of the text output: what the exit code says, for how many files."""
    words = {0: "conformant", 1: "nonconformant", 3: "incomplete (harness error)",
             4: "nothing judged"}
    noun = "file" if files == 1 else "files"
    return (f"verdict: {words.get(code, str(code))} at --fail-on {fail_on} (exit {code}); "
            f"{files} {noun}\n")


class TextSink:
    """A writer to stdout, or to ``output`` through a temp file renamed into place at the
    end (readers never see half a report)."""

    def __init__(self, output: str | None, quiet: bool = False):
        self.output = Path(output) if output else None
        self.handle: Any = None
        self.tmp = ""
        self.keep = True                 # False: drop the partial file at the end
        self.quiet = quiet               # True: write nothing anywhere

    def __enter__(self) -> Any:
        if self.quiet:
            return lambda text: None
        if self.output is None:
            from oci_conform.results_file import write_output
            return lambda text: write_output(text, None)   # the one output encoder
        import os
        import tempfile
        if self.output.exists() and not self.output.is_file():   # /dev/null, a FIFO: in place
            self.handle = open(self.output, "w", encoding="utf-8")  # noqa: SIM115
            return self.handle.write
        self.output.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(prefix=f".{self.output.name}.", dir=self.output.parent)
        self.handle = os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace")
        return self.handle.write

    def __exit__(self, kind: Any, *_rest: Any) -> None:
        if self.handle is None:
            return
        import os
        self.handle.close()
        if not self.tmp:
            return
        if kind is None and self.keep and self.output is not None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)
            os.replace(self.tmp, self.output)
        else:
            Path(self.tmp).unlink(missing_ok=True)


def _emit(results: Any, args: argparse.Namespace) -> int:
    if not _wants_text(args):
        from oci_conform.commands.common import emit
        return emit(results, args)
    from oci_conform.model.verdict import ExitCode, exit_code
    if getattr(args, "expectations", None):
        from oci_conform.expectations_file import load_expectations
        from oci_conform.model.expectations import ExpectationsError, apply_expectations
        try:
            apply_expectations(results, load_expectations(Path(args.expectations)))
        except ExpectationsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return ExitCode.USAGE
    if getattr(args, "results", None):
        from oci_conform.results_file import save_results
        save_results(Path(args.results), results)
    code = exit_code(results, args.fail_on)
    text = render_text(results, verbosity=args.verbosity) + files_verdict(
        code, len(results.implementations), args.fail_on)
    if args.output:
        from oci_conform.results_file import write_text_atomic
        write_text_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return code


def render_text(results: Any, verbosity: int = 0) -> str:
    """One block per document: a tally line, then each failing clause with place, level,
    message and spec link; verbosity 1 (-v) adds every other clause, -1 (-q) drops the
    tally line of a document without failures."""
    from collections import Counter, defaultdict
    by_impl: dict[str, list[Any]] = defaultdict(list)
    if len(results.implementations) == 1:     # a streamed run's document: one file
        name = results.implementations[0].name
        by_impl[name] = [r for r in results.results if r.implementation == name]
    else:
        for r in results.results:
            by_impl[r.implementation].append(r)
    lines: list[str] = []
    for impl in results.implementations:
        mine = by_impl.get(impl.name, [])
        # outcomes are str enums: counted, compared, sorted and written as their values
        tally = Counter([r.outcome for r in mine])
        if verbosity < 0 and not any(o in _PROBLEMS for o in tally):
            continue
        version = f" (runtime-spec {impl.spec_version})" if impl.spec_version else ""
        lines.append(f"{impl.name}{version}: " + ", ".join(
            f"{n} {o}" for o, n in sorted(tally.items())))
        for r in mine:
            if r.outcome in _PROBLEMS:
                info = results.clauses.get(r.clause)
                lines.extend(_failure_lines(r, _level(info), info, impl.name))
            elif verbosity > 0:
                info = results.clauses.get(r.clause)
                lines.append(f"  {r.outcome.value:5} {_level(info):10} {r.clause}: {r.message}")
    return "".join(line + "\n" for line in lines)


_PROBLEMS = frozenset(("fail", "xfail", "xpass", "error"))


def _level(info: Any) -> str:
    return info.level.value if info else "?"


def _failure_lines(r: Any, level: str, info: Any, name: str) -> list[str]:
    out = [f"  {r.outcome.value.upper()} {level} {r.clause}: {r.message}"]
    for f in r.findings[:10]:
        place = f.file or name
        if f.line:
            place += f":{f.line}:{f.column}" if f.column else f":{f.line}"
        detail = f" (expected {f.expected}; got {f.actual})" if f.expected or f.actual else ""
        out.append(f"    {place}: {f.location or '/'}: {f.message}{detail}")
    if len(r.findings) > 10:
        out.append(f"    ... {len(r.findings) - 10} more")
    if info and info.link:
        out.append(f"    spec: {info.link}")
    return out
