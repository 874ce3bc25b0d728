"""Judging recorded client exchanges against the rules of the distribution spec that bind
clients. Pure: steps (``steps.Step``) in, ``Observation`` values out.

Each judge names the clause it judges, written whole, and looks only at the steps it
needs. A judge whose control step failed says ``error``: the fault it relies on means
nothing if the client cannot do the plain thing either.

The judges live in ``judge_send`` (what a client sends), ``judge_accept`` (what it must
accept or catch) and ``judge_referrers`` (the referrers fallback); this module lists them."""
from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

import oci_conform.suites.registry_clients.judge_accept as judge_accept
import oci_conform.suites.registry_clients.judge_referrers as judge_referrers
import oci_conform.suites.registry_clients.judge_send as judge_send
from oci_conform.model.judging import Observation
from oci_conform.suites.registry_clients.judge_accept import (
    abandoned_uploads_cancelled,
    accepts_content_type_parameters,
    large_manifests,
    redirects,
    verifies_blob_digest,
    verifies_manifest_digest,
    warnings_shown_once_not_acted_on,
    works_with_older_registries,
    works_without_docker_digest,
)
from oci_conform.suites.registry_clients.judge_common import OCI_INDEX, Steps
from oci_conform.suites.registry_clients.judge_referrers import (
    no_duplicate_referrers,
    referrers_fallback,
    referrers_tag,
    refuses_a_tag_that_is_not_an_index,
)
from oci_conform.suites.registry_clients.judge_send import (
    accept_lists_manifest_types,
    chunks_not_below_minimum,
    digest_algorithm_named,
    manifest_content_type,
    manifest_references_its_blobs,
    no_ns_parameter,
    single_post_length,
    upload_urls,
)

__all__ = ["JUDGES", "OCI_INDEX", "abandoned_uploads_cancelled", "accept_lists_manifest_types",
           "accepts_content_type_parameters", "chunks_not_below_minimum",
           "digest_algorithm_named", "judge_all", "large_manifests", "manifest_content_type",
           "manifest_references_its_blobs", "module_of", "no_duplicate_referrers",
           "no_ns_parameter", "redirects", "referrers_fallback", "referrers_tag",
           "refuses_a_tag_that_is_not_an_index", "single_post_length", "upload_urls",
           "verifies_blob_digest", "verifies_manifest_digest",
           "warnings_shown_once_not_acted_on", "works_with_older_registries",
           "works_without_docker_digest"]
_MODULES = (judge_send, judge_accept, judge_referrers)


JUDGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("accept_lists_manifest_types", ("dist.spec.pulling-manifests.5",)),
    ("no_ns_parameter", ("dist.spec.registry-proxying.9",)),
    ("manifest_content_type", ("dist.spec.pushing-manifests.1", "dist.spec.pushing-manifests.2",
                               "dist.spec.pushing-manifests.4", "dist.spec.pushing-manifests.5")),
    ("manifest_references_its_blobs", ("dist.spec.pushing-manifests.7",)),
    ("upload_urls", ("dist.spec.post-then-put.5", "dist.spec.post-then-put.6",
                     "dist.spec.pushing-a-blob-in-chunks.9",
                     "dist.spec.pushing-a-blob-in-chunks.17")),
    ("single_post_length", ("dist.spec.single-post.2",)),
    ("chunks_not_below_minimum", ("dist.spec.pushing-a-blob-in-chunks.6",)),
    ("digest_algorithm_named", ("dist.spec.pushing-a-blob-in-chunks.digest-algorithm",)),
    ("accepts_content_type_parameters", ("dist.spec.pulling-manifests.7",)),
    ("works_without_docker_digest", ("dist.spec.legacy-docker-support-http-headers.2",)),
    ("verifies_manifest_digest", ("dist.spec.pulling-manifests.15",)),
    ("verifies_blob_digest", ("dist.spec.pulling-blobs.5",)),
    ("warnings_shown_once_not_acted_on", ("dist.spec.warnings.4", "dist.spec.warnings.5",
                                          "dist.spec.warnings.6")),
    ("redirects", ("dist.spec.api.2", "dist.spec.api.2-b")),
    ("abandoned_uploads_cancelled", ("dist.spec.cancel-a-blob-upload.2",)),
    ("works_with_older_registries", ("dist.spec.backwards-compatibility.1",)),
    ("large_manifests", ("dist.spec.pushing-manifests.16-b",)),
    ("no_duplicate_referrers", ("dist.spec.pushing-manifests-with-subject.5",)),
    ("refuses_a_tag_that_is_not_an_index", ("dist.spec.pushing-manifests-with-subject.3",)),
    ("referrers_fallback", ("dist.spec.unavailable-referrers-api.1",
                            "dist.spec.pushing-manifests-with-subject.2",
                            "dist.spec.pushing-manifests-with-subject.4",
                            "dist.spec.pushing-manifests-with-subject.6",
                            "dist.spec.pushing-manifests-with-subject.7",
                            "dist.spec.pushing-manifests-with-subject.8",
                            "dist.spec.referrers-tag-schema.tag-format",
                            "dist.spec.backwards-compatibility.2")),
)


def module_of(name: str) -> str:
    """The module that holds the judge ``name``."""
    return next(m.__name__ for m in _MODULES if hasattr(m, name))


def judge_all(steps: Steps, *, warning: str, subject: dict,
              only: Iterable[str] | None = None) -> Iterator[tuple[str, Observation]]:
    """(judge name, observation) for every judge (or those in ``only``) over the steps."""
    for name, _clauses in JUDGES:
        if only is not None and name not in only:
            continue
        fn = getattr(sys.modules[module_of(name)], name)
        if name == "warnings_shown_once_not_acted_on":
            found = fn(steps, warning)
        elif name in ("referrers_fallback", "no_duplicate_referrers",
                      "refuses_a_tag_that_is_not_an_index"):
            found = fn(steps, subject)
        else:
            found = fn(steps)
        for obs in found:
            yield name, obs
