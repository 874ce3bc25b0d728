"""The parser tier: what a command line does with its input, without building and rendering
a report.

Most inputs of a large run take this path: the same argv the CLI would get, parsed by the
real argument parser, then the command's own reading, parsing and checking functions; the
judged outcomes are built and dropped. Rendering (eight formats, each over every clause
of the catalog) costs several times the parsing of a small input, and its faults do not
depend on the input's shape so much as on the strings it carries, so a share of inputs
(``--cli-every``) still runs the whole command line, and every replay does.

An exception out of here is a crash, as it would be out of the command: the CLI's own
catch-all turns it into "internal error (harness)" and exit 3, which the campaign also
counts as a crash.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import cache
from typing import Any


@cache
def _parser(command: str) -> argparse.ArgumentParser:
    """The CLI's own parser with ``command`` fully registered (the others stay placeholders)."""
    from oci_conform.cli import build_parser
    return build_parser(only=command)


def _document(args: argparse.Namespace) -> int:
    from oci_conform.checks.image.document import not_json, validate_document
    from oci_conform.checks.image.jsondoc import MAX_DOCUMENT
    from oci_conform.commands.image import _schema_evidence
    from oci_conform.drivers.files import UnsafePath, open_regular
    from oci_conform.model.evidence import Evidence, FileSpan
    count = 0
    for name in args.files:
        try:
            if name == "-":
                data = sys.stdin.buffer.read(MAX_DOCUMENT + 1)
            else:
                with open_regular(name) as f:
                    data = f.read(MAX_DOCUMENT + 1)
        except (UnsafePath, OSError):
            return 2
        if not args.media_type and not_json(data):
            return 2
        report, kind = validate_document(data, name, args.spec_version, args.media_type)
        evidence = Evidence.of(files=[FileSpan(name)],
                               facts={"kind": kind, **_schema_evidence(data, kind)})
        count += len(report.outcomes(name, (), f"image:document:{kind}", evidence,
                                     version=args.spec_version))
    return 0 if count else 4


def _config(args: argparse.Namespace) -> int:
    from oci_conform.commands.config import validate_path
    count = 0
    for path in args.paths:
        results, _impl, error = validate_path(path, args.kind, args.spec_version, args.platform)
        if error:
            return 2
        count += len(results)
    return 0 if count else 4


def _image(args: argparse.Namespace) -> int:
    from oci_conform.checks.image.layer import Limits
    from oci_conform.drivers.image_sources.refs import parse_ref
    from oci_conform.drivers.image_sources.validate import Options, validate_ref
    try:
        refs = [parse_ref(text) for text in args.refs]
    except ValueError:
        return 2
    opts = Options(version=args.spec_version, limits=Limits(), insecure=True)
    count = sum(len(list(validate_ref(ref, opts))) for ref in refs)
    return 0 if count else 4


ENTRIES: dict[tuple[str, str], Callable[[argparse.Namespace], int]] = {
    ("image", "validate-document"): _document,
    ("config", "validate"): _config,
    ("image", "validate"): _image,
}


def prime() -> None:
    """Import what the entries use before the first job (so its time is not an input's)."""
    for command in {name for name, _verb in ENTRIES}:
        _parser(command)
    import oci_conform.checks.image.document  # noqa: F401
    import oci_conform.commands.config  # noqa: F401
    import oci_conform.drivers.image_sources.validate  # noqa: F401


def has_entry(argv: list[str]) -> bool:
    return tuple(argv[:2]) in ENTRIES


def run(argv: list[str]) -> Any:
    """Exit-code-like int: 0 judged, 2 refused as usage, 4 nothing judged."""
    from oci_conform.commands.common import UsageError
    entry = ENTRIES[(argv[0], argv[1])]
    try:
        args = _parser(argv[0]).parse_args(argv)
    except UsageError:
        return 2
    return entry(args)
