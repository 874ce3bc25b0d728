"""``oci-conform registry test URL``: the distribution-spec suite against one registry."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from oci_conform.catalog.loader import default_catalog
from oci_conform.commands.common import (
    add_output_options,
    add_selection_options,
    emit,
    progress,
)
from oci_conform.drivers.registry_http import REDACTED, Credentials
from oci_conform.model.results import Results
from oci_conform.model.verdict import ExitCode
from oci_conform.orchestrate import RunRequest, SuiteRequest, execute_catching
from oci_conform.suites import Selection
from oci_conform.suites.base import RegistryOptions
from oci_conform.suites.registry import PROFILES, SUITE

MAX_SECRET = 64 * 1024          # characters read from stdin for a password or token


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("registry", help="test a registry against the distribution-spec",
                       description="Registry conformance (distribution-spec over HTTP).")
    rsub = p.add_subparsers(dest="registry_command", metavar="ACTION", parser_class=type(p))
    t = rsub.add_parser("test", help="run the registry suite against URL",
                        description="Run the distribution-spec suite against the registry at "
                                    "URL. Write mode pushes test content under a fresh "
                                    "namespace and deletes it afterwards; --read-only only "
                                    "pulls and lists an existing repository.")
    t.add_argument("url", metavar="URL", help="registry base URL, e.g. http://127.0.0.1:5000")
    t.add_argument("--name", default="registry", help="column name in the report "
                                                        "(default: registry)")
    t.add_argument("--namespace", default="", metavar="REPO",
                   help="repository to use (write mode: a prefix for the run's repositories; "
                        "read-only: an existing repository with at least one tag)")
    t.add_argument("--profile", choices=sorted(PROFILES), default="v1.1",
                   help="distribution-spec version to judge by: v1.0 (1.0.0), v1.1 (1.1.1), "
                        "dev (main) (default: v1.1)")
    t.add_argument("--read-only", action="store_true",
                   help="push nothing: only pull and discovery checks (needs --namespace)")
    t.add_argument("--username", default="", help="user for basic auth or the token service")
    secret = t.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin")
    secret.add_argument("--token-stdin", action="store_true",
                        help="read a bearer token from the first line of stdin")
    t.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    t.add_argument("--allow-insecure-realm", action="store_true",
                   help="send the basic credentials to a token realm on another origin even "
                        "over plain http (by default they go there only over https)")
    t.add_argument("--request-timeout", type=_seconds, default=120.0, metavar="SECONDS",
                   help="total time one request may take, headers and body (default: 120)")
    t.add_argument("--deadline", type=_seconds, default=1800.0, metavar="SECONDS",
                   help="total time the whole suite may take (default: 1800); what is left "
                        "when it passes is reported as error")
    t.add_argument("--case", action="append", default=[], metavar="NAME",
                   help="run only this case (repeatable; names as in results: "
                        "registry:NAME)")
    add_selection_options(t)
    add_output_options(t)
    t.set_defaults(func=run_test)
    p.set_defaults(func=lambda _a: _usage(p))


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds between 0 and 86400")
    return value


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return ExitCode.USAGE


def read_credentials(args: argparse.Namespace, stdin: Any = None) -> Credentials:
    """Credentials from the options and stdin (raises ValueError with a one-line reason)."""
    stream = stdin if stdin is not None else sys.stdin
    if args.password_stdin:
        if not args.username:
            raise ValueError("--password-stdin needs --username")
        password = stream.readline(MAX_SECRET).rstrip("\r\n")
        if not password:
            raise ValueError("--password-stdin: no password on stdin")
        return Credentials.basic(args.username, password)
    if args.token_stdin:
        token = stream.readline(MAX_SECRET).strip()
        if not token:
            raise ValueError("--token-stdin: no token on stdin")
        return Credentials(username=args.username, token=token)
    if args.username:
        raise ValueError("--username needs --password-stdin (passwords never go on the "
                         "command line)")
    return Credentials()


def scrub(value: Any, secrets: list[str]) -> Any:
    """``value`` (JSON-like) with every secret string replaced: a last line of defence."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    return value


def scrub_results(results: Results, secrets: list[str]) -> Results:
    if not secrets:
        return results
    return Results.from_dict(scrub(results.to_dict(), secrets))


def run_test(args: argparse.Namespace) -> int:
    if args.read_only and not args.namespace:
        print("error: --read-only needs --namespace REPO (an existing repository)",
              file=sys.stderr)
        return ExitCode.USAGE
    try:
        impl = SUITE.parse_implementation(f"{args.name}={args.url}")
        credentials = read_credentials(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    catalog = default_catalog()
    selection = Selection(tuple(args.clause), tuple(args.group), args.text)
    version = PROFILES[args.profile]
    request = RunRequest(
        (SuiteRequest(SUITE, (impl,)),), selection,
        spec_versions={"distribution-spec": version},
        registry=RegistryOptions(profile=args.profile, read_only=args.read_only,
                                 namespace=args.namespace, credentials=credentials,
                                 insecure=args.insecure, request_timeout=args.request_timeout,
                                 deadline=args.deadline,
                                 allow_insecure_realm=args.allow_insecure_realm,
                                 cases=tuple(c.removeprefix("registry:") for c in args.case)),
        command=("oci-conform", *args.argv), debug=getattr(args, "debug", False))
    results = execute_catching(request, catalog, progress)
    results = scrub_results(results, credentials.secrets())
    return emit(results, args)
