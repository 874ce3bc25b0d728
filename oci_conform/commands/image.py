"""``oci-conform image validate REF...`` and ``oci-conform image validate-document FILE...``."""
from __future__ import annotations

import argparse
import sys

from oci_conform.catalog.loader import default_catalog
from oci_conform.commands.common import add_output_options, emit, progress
from oci_conform.interrupts import Interrupted, catching
from oci_conform.model.evidence import Evidence, FileSpan
from oci_conform.model.results import CaseResult, Implementation, Results
from oci_conform.model.verdict import ExitCode
from oci_conform.provenance import finish, new_results

VERSIONS = ("1.0.0", "1.0.1", "1.0.2", "1.1.0", "1.1.1", "main")
REF_HELP = ("oci:DIR[:TAG|DIGEST], oci-archive:FILE[:TAG], docker-archive:FILE, aci:FILE, "
            "docker://HOST/NAME:TAG|@DIGEST, or a bare path (recognised by its content)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("image", help="validate images and image documents",
                       description="Validate OCI images, Docker images and appc ACIs.")
    isub = p.add_subparsers(dest="image_command", metavar="ACTION", parser_class=type(p))
    v = isub.add_parser("validate", help="validate whole images: " + REF_HELP,
                        description="Validate whole images with every blob they reach. REF: "
                                    + REF_HELP)
    v.add_argument("refs", nargs="+", metavar="REF")
    _common(v)
    v.add_argument("--max-layer-size", type=_size, default=None, metavar="SIZE",
                   dest="max_layer_bytes",
                   help="refuse layers that decompress past SIZE (bytes, or with K, M, G, T "
                        "for KiB..TiB; default 16G)")
    v.add_argument("--max-layer-bytes", type=_size, dest="max_layer_bytes",
                   help=argparse.SUPPRESS)        # the earlier name, kept working
    v.add_argument("--max-ratio", type=int, default=None, metavar="R",
                   help="refuse layers that decompress past R times their size, once over 1 GiB "
                        "(default 100)")
    v.add_argument("--max-entries", type=int, default=None, metavar="N",
                   help="refuse layers with more than N tar entries (default 500000)")
    v.add_argument("--tls", action="store_true",
                   help="use https for docker:// references (default: http, for loopback)")
    v.set_defaults(func=run_validate)
    d = isub.add_parser("validate-document", help="validate single JSON documents (no blobs)",
                        description="Validate descriptor, manifest, index, config, oci-layout, "
                                    "Docker manifest/list/config and appc manifest documents.")
    d.add_argument("files", nargs="+", metavar="FILE", help="a JSON file, or - for stdin")
    d.add_argument("--media-type", default="", metavar="TYPE",
                   help="judge as this media type (or: manifest, index, config, descriptor, "
                        "oci-layout, docker-manifest, docker-manifest-list, docker-config, "
                        "docker-schema1, appc-manifest)")
    _common(d)
    d.set_defaults(func=run_document)
    p.set_defaults(func=lambda args: _usage(p))


_UNITS = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}


def _size(text: str) -> int:
    """'16G', '512M', '1048576' (binary units; a trailing 'iB' or 'B' is allowed)."""
    raw = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = raw[-1:] if raw[-1:] in _UNITS and raw[-1:] else ""
    number = raw[:-1] if unit else raw
    if not number.isdigit() or not number.isascii() or int(number) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (such as 16G, 512M or a "
                                         "number of bytes)")
    return int(number) << _UNITS[unit]


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return ExitCode.USAGE


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec-version", choices=VERSIONS, default="1.1.1",
                   help="image-spec version whose rules apply (default 1.1.1)")
    add_output_options(p)


def _results(args: argparse.Namespace, impls: list[Implementation],
             outcomes: list[CaseResult]) -> Results:
    catalog = default_catalog()
    results = new_results(catalog, ["oci-conform", *getattr(args, "argv", [])])
    results.implementations = impls
    results.results = outcomes
    return finish(results, catalog,
                  {"image-spec": args.spec_version} if args.spec_version else {})


def run_validate(args: argparse.Namespace) -> int:
    from oci_conform.checks.image.layer import Limits
    from oci_conform.drivers.image_sources.refs import parse_ref
    from oci_conform.drivers.image_sources.validate import Options, validate_ref
    try:
        refs = [parse_ref(text) for text in args.refs]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    limits = Limits()
    for name, attr in (("max_layer_bytes", "max_uncompressed"), ("max_ratio", "max_ratio"),
                       ("max_entries", "max_entries")):
        if getattr(args, name) is not None:
            setattr(limits, attr, getattr(args, name))
    opts = Options(version=args.spec_version, limits=limits, insecure=not args.tls)
    impls, outcomes = [], []
    with catching(at_once=True) as stop:
        try:
            for ref in refs:
                progress(f"[image] validating {ref.text} ({ref.kind})")
                found = validate_ref(ref, opts)
                impls.append(Implementation(name=ref.text, kind="image", command=ref.text,
                                            spec_version=args.spec_version))
                outcomes.extend(found)
        except Interrupted:
            progress(f"{stop.signal_name}: stopped; {len(impls)} of {len(refs)} images judged")
    results = _results(args, impls, outcomes)
    results.interrupted = stop.signal_name
    return emit(results, args)


def _schema_evidence(data: bytes, kind: str) -> dict:
    """What our JSON Schema for the kind says (evidence beside the clause outcomes).

    Only for a document the checks could parse: through the same size and depth guards
    (a 4 MB document of 10,000 arrays 200 deep, which the checks refuse at once, used to be
    parsed here anyway: 4 s and 240 MiB, then rendered whole into a schema message)."""
    from oci_conform.checks.image.jsondoc import parse_json
    from oci_conform.checks.image.schemas import BY_MEDIA_TYPE, schema_errors
    if kind not in BY_MEDIA_TYPE:
        return {}
    doc = parse_json(data, "image.considerations.json.1")
    if not doc.ok:
        return {}
    try:
        errors = schema_errors(kind, doc.value, limit=20)
    except (ValueError, RecursionError):
        return {}
    return {"schema": "schemas/" + BY_MEDIA_TYPE[kind],
            "schema_errors": [f"{where or '/'}: {msg[:300]}" for where, msg in errors or []]}


def run_document(args: argparse.Namespace) -> int:
    from oci_conform.checks.image.document import not_json, validate_document
    from oci_conform.checks.image.jsondoc import MAX_DOCUMENT
    from oci_conform.drivers.files import UnsafePath, open_regular
    impls, outcomes = [], []
    for name in args.files:
        try:
            if name == "-":
                data = sys.stdin.buffer.read(MAX_DOCUMENT + 1)
            else:
                with open_regular(name) as f:
                    data = f.read(MAX_DOCUMENT + 1)
        except UnsafePath as exc:
            print(f"error: {exc}", file=sys.stderr)
            return ExitCode.USAGE
        except OSError as exc:
            print(f"error: {name}: {exc.strerror or exc}", file=sys.stderr)
            return ExitCode.USAGE
        label = "<stdin>" if name == "-" else name
        why = "" if args.media_type else not_json(data)
        if why:
            print(f"error: {label}: not JSON ({why}); nothing to judge (give --media-type to "
                  "judge it as a given document kind)", file=sys.stderr)
            return ExitCode.USAGE
        report, kind = validate_document(data, label, args.spec_version, args.media_type)
        impls.append(Implementation(name=label, kind="image-document", command=kind,
                                    spec_version=args.spec_version))
        evidence = Evidence.of(files=[FileSpan(label)],
                               facts={"kind": kind, **_schema_evidence(data, kind)})
        outcomes.extend(report.outcomes(label, (), f"image:document:{kind}", evidence,
                                        version=args.spec_version))
    return emit(_results(args, impls, outcomes), args)
