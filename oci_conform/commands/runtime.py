"""``oci-conform runtime test|cases``: the runtime behaviour suite on the given runtimes."""
from __future__ import annotations

import argparse
import json
import sys

from oci_conform.catalog.loader import default_catalog
from oci_conform.commands.common import add_output_options, add_selection_options, emit, progress
from oci_conform.commands.keep import add_keep_option, keep_folder, kept_line
from oci_conform.model.results import Implementation
from oci_conform.model.verdict import ExitCode
from oci_conform.orchestrate import NothingSelected, RunRequest, SuiteRequest, execute_catching
from oci_conform.suites import Selection
from oci_conform.suites.base import RuntimeOptions
from oci_conform.suites.runtime import SUITE, RuntimeSuite, select


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runtime", help="runtime behaviour suite (runc, crun, any OCI runtime)",
                       description="Drive OCI runtime binaries through the runtime-spec "
                                   "lifecycle and judge each clause.")
    rsub = p.add_subparsers(dest="runtime_command", metavar="COMMAND")
    rsub.required = True
    t = rsub.add_parser("test", help="run the suite against one or more runtimes",
                        description="Run the runtime suite. RUNTIME is NAME=[WRAPPER:]BINARY "
                                    "[GLOBAL_ARGS...], e.g. runc=runc or 'crun=hide-cgroup2:crun "
                                    "--systemd-cgroup'. Without --runtime, the runtimes found "
                                    "on this machine are used.")
    t.add_argument("--runtime", action="append", default=[], metavar="NAME=COMMAND",
                   help=SUITE.help)
    t.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="cases run concurrently (each fully isolated; default 1)")
    t.add_argument("--spec-version", metavar="X.Y.Z", default="",
                   help="judge at this runtime-spec version (its clauses count, the rest are "
                        "n/a); default: every case at the newest, clauses newer than a "
                        "runtime's claim marked beyond it and kept out of the exit code")
    t.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                   help="timeout of every runtime call (default 20)")
    t.add_argument("--case", action="append", default=[], metavar="NAME",
                   help="run only the case NAME (see `runtime cases`); repeatable")
    add_keep_option(t)
    add_selection_options(t)
    add_output_options(t)
    t.set_defaults(func=run_test)
    c = rsub.add_parser("cases", help="list the cases (name, group, clauses)")
    add_selection_options(c)
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.set_defaults(func=run_cases)


def _selection(args: argparse.Namespace) -> Selection:
    return Selection(tuple(args.clause), tuple(args.group), args.text)


def run_cases(args: argparse.Namespace) -> int:
    cases = select(SUITE.cases(), _selection(args))
    if args.format == "json":
        print(json.dumps([{"name": c.name, "group": c.group, "clauses": list(c.clauses),
                           "since": c.since} for c in cases], indent=2))
    else:
        for c in cases:
            print(f"{c.group:11} {c.name:55} {' '.join(c.clauses)}")
        print(f"{len(cases)} cases", file=sys.stderr)
    return ExitCode.CONFORMANT if cases else ExitCode.NOTHING_SELECTED


def first_problem(given: tuple[Implementation, ...]) -> str:
    """Fail fast: the first runtime named that cannot run here, or a host that cannot run
    the suite ('' when every one answers ``--version`` and the host is fit)."""
    from oci_conform.drivers.runtime_cli import RuntimeCommand
    from oci_conform.suites.runtime.preflight import host_problem, problem_for
    for impl in given:
        problem, _ = problem_for(RuntimeCommand.parse(impl.command))
        if problem:
            return f"runtime {impl.name}: {problem}"
    return host_problem() if not given else ""


def run_test(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        print(f"error: --timeout {args.timeout}: must be positive", file=sys.stderr)
        return ExitCode.USAGE
    catalog = default_catalog()
    if args.spec_version and args.spec_version not in catalog.specs["runtime-spec"].versions:
        known = ", ".join(catalog.specs["runtime-spec"].versions)
        print(f"error: unknown runtime-spec version {args.spec_version!r} (known: {known})",
              file=sys.stderr)
        return ExitCode.USAGE
    unknown = sorted(set(args.case) - {c.name for c in SUITE.cases()})
    if unknown:
        print(f"error: --case: no case named {', '.join(unknown)} (see `oci-conform runtime "
              "cases`)", file=sys.stderr)
        return ExitCode.USAGE
    suite = RuntimeSuite(only=tuple(args.case)) if args.case else SUITE
    selection = _selection(args)
    if not select(suite.cases(), selection):
        print("error: nothing selected: no case matches", file=sys.stderr)
        return ExitCode.NOTHING_SELECTED
    try:
        given = tuple(suite.parse_implementation(t) for t in args.runtime)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    problem = first_problem(given)
    if problem:
        print(f"error: {problem}; nothing was run", file=sys.stderr)
        return ExitCode.HARNESS_ERROR
    kept = keep_folder(args)
    request = RunRequest(
        (SuiteRequest(suite, given),), selection, jobs=args.jobs,
        spec_versions={"runtime-spec": args.spec_version} if args.spec_version else {},
        runtime=RuntimeOptions(timeout=args.timeout, keep=kept is not None,
                               keep_dir=str(kept or "")),
        command=("oci-conform", *getattr(args, "argv", [])), debug=getattr(args, "debug", False))
    try:
        results = execute_catching(request, catalog, progress)
    except NothingSelected as exc:
        print(f"error: nothing selected: {exc}", file=sys.stderr)
        return ExitCode.NOTHING_SELECTED
    finally:
        line = kept_line(kept, made_here=not args.keep)
        if line:
            progress(line)
    return emit(results, args)

