"""Descriptors: media type, digest, size, urls, data, artifactType, annotations."""
from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from oci_conform.checks.image.annotations import check_annotations
from oci_conform.checks.image.grammar import (
    EMPTY_DIGEST,
    MT_EMPTY,
    digest_problems,
    media_type_ok,
    uri_ok,
)
from oci_conform.checks.image.props import (
    is_int,
    is_str,
    is_strings,
    json_type,
    optional,
    required,
)
from oci_conform.checks.image.report import Report, pointer

MAX_INT64 = 2 ** 63 - 1


def check_descriptor(report: Report, d: Any, where: str, version: str,
                     on_layout_index: bool = False, mt_clause: str = "image.descriptor.properties.2"
                     ) -> bool:
    """Judge one descriptor; True when it is usable (has a string digest and an int size)."""
    t = "image.descriptor.property-types"
    if not isinstance(d, dict):
        report.fail("image.descriptor.json-object", "a descriptor must be a JSON object, not "
                    f"{json_type(d)}", where, "object", json_type(d))
        return False
    report.saw("image.descriptor.json-object")
    mt = d.get("mediaType")
    if required(report, d, "mediaType", where + "/mediaType",
                clause="image.descriptor.properties.1", types=t, test=is_str, what="a string"):
        report.check(mt_clause, media_type_ok(mt),
                     f"mediaType {mt!r} is not an RFC 6838 type/subtype", where + "/mediaType")
    usable = _check_digest(report, d, where, version)
    usable = _check_size(report, d, where, version) and usable
    _check_urls(report, d.get("urls"), where + "/urls")
    if optional(report, d, "data", where + "/data", may="", types=t, test=is_str,
                what="a string", since="1.1.0",
                rules=("image.descriptor.properties.13", "image.descriptor.properties.14")):
        _check_data(report, d, where, version)
    if optional(report, d, "artifactType", where + "/artifactType", may="", types=t,
                test=is_str, what="a string", since="1.1.0",
                rules=("image.descriptor.properties.16",)):
        at = d["artifactType"]
        report.check("image.descriptor.properties.16", media_type_ok(at),
                     f"artifactType {at!r} is not an RFC 6838 type/subtype",
                     where + "/artifactType")
    if "annotations" in d:
        check_annotations(report, d["annotations"], where + "/annotations",
                          "image.descriptor.properties.11", on_layout_index)
    if mt == MT_EMPTY:
        report.check("image.descriptor.properties.1",
                     d.get("digest") == EMPTY_DIGEST and d.get("size") == 2,
                     f"{MT_EMPTY} names the 2-byte blob '{{}}' but this descriptor names other "
                     "content", where,
                     f"{EMPTY_DIGEST}, size 2", f"{d.get('digest')}, size {d.get('size')}")
    return usable


def _check_digest(report: Report, d: dict, where: str, version: str) -> bool:
    if not required(report, d, "digest", where + "/digest",
                    clause="image.descriptor.properties.3",
                    types="image.descriptor.property-types", test=is_str, what="a string"):
        return False
    problems = digest_problems(d["digest"], version)
    for clause, msg in problems:
        report.fail(clause, msg, where + "/digest")
    if not problems:
        report.saw("image.descriptor.properties.3")
        report.saw("image.descriptor.digests.1")
        alg = d["digest"].partition(":")[0]
        report.check("image.descriptor.registered-algorithms.1", alg == "sha256",
                     f"digest uses {alg}; sha256 is the algorithm to prefer", where + "/digest")
    return not problems


def _check_size(report: Report, d: dict, where: str, version: str) -> bool:
    if not required(report, d, "size", where + "/size", clause="image.descriptor.properties.5",
                    types="image.descriptor.property-types", test=is_int, what="an integer"):
        return False
    size = d["size"]
    if size < 0:
        clause = ("image.descriptor.size.nonnegative" if version == "main"
                  else "image.descriptor.properties.5")
        report.fail(clause, f"descriptor size {size} is negative", where + "/size")
        return False
    if size > MAX_INT64:
        report.fail("image.descriptor.properties.5",
                    f"descriptor size {size} does not fit in int64", where + "/size")
        return False
    report.saw("image.descriptor.properties.5")
    if version == "main":
        report.saw("image.descriptor.size.nonnegative")
    return True


def _check_urls(report: Report, urls: Any, where: str) -> None:
    if urls is None:
        return
    if not is_strings(urls):
        report.fail("image.descriptor.property-types", "urls must be an array of strings, not "
                    f"{json_type(urls)}", where, "array of strings", urls)
        return
    report.saw("image.descriptor.property-types")
    for i, u in enumerate(urls):
        if report.check("image.descriptor.properties.8",
                        uri_ok(u), f"url {u!r} is not an RFC 3986 URI",
                        where + pointer(i)):
            scheme = u.split(":", 1)[0].lower()
            report.check("image.descriptor.properties.9", scheme in ("http", "https"),
                         f"url scheme {scheme!r} is not http or https", where + pointer(i))


def _check_data(report: Report, d: dict, where: str, version: str) -> None:
    data = d["data"]
    try:
        if not isinstance(data, str):
            raise binascii.Error("not a string")
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        report.fail("image.descriptor.properties.13",
                    f"data is not standard base64: {exc}", where + "/data")
        return
    report.saw("image.descriptor.properties.13")
    size, digest = d.get("size"), d.get("digest")
    if isinstance(size, int) and len(raw) != size:
        report.fail("image.descriptor.properties.14", "decoded data length differs from size",
                    where + "/data", str(size), str(len(raw)))
        return
    if isinstance(digest, str) and ":" in digest:
        alg, _, enc = digest.partition(":")
        if alg in ("sha256", "sha512"):
            got = hashlib.new(alg, raw).hexdigest()
            report.check("image.descriptor.properties.14",
                         got == enc, "decoded data does not hash to digest",
                         where + "/data", digest, f"{alg}:{got}")
