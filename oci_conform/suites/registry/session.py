"""One run of the registry suite against one registry: client, names, fixtures, cleanup ledger.

The session pushes shared content lazily (an image, an index, a tagged set) the first time a
case asks for it, remembers every manifest and blob it pushed, and removes them at the end.
In read-only mode it pushes nothing and finds pull targets in the given repository.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

import oci_conform.suites.registry.content as C
from oci_conform.drivers.registry_http import MANIFEST_ACCEPT, RegistryClient

ERROR_CODES = frozenset({
    "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID",
    "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED",
    "TOOMANYREQUESTS",
})
CODE_RE = re.compile(r"^[A-Z_]+$")


class FixtureError(Exception):
    """Shared content could not be set up; the cases that need it report ``error``."""


@dataclass
class PullTarget:
    """An existing manifest and one of its blobs, to pull."""

    repo: str
    tag: str
    digest: str
    data: bytes                 # manifest bytes as served (or pushed)
    media_type: str
    blob_digest: str
    blob_size: int
    blob_data: bytes | None = None  # known when we pushed it


@dataclass
class Referrers:
    """The referrers fixture: its repository, manifests by role, push response headers."""

    repo: str
    manifests: dict[str, C.Manifest]
    push_headers: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Ledger:
    """What this run pushed, to remove at the end."""

    manifests: list[tuple[str, str]] = field(default_factory=list)   # (repo, digest)
    blobs: list[tuple[str, str]] = field(default_factory=list)       # (repo, digest)
    uploads: list[str] = field(default_factory=list)                 # upload locations

    def manifest(self, repo: str, digest: str) -> None:
        if (repo, digest) not in self.manifests:
            self.manifests.append((repo, digest))

    def blob(self, repo: str, digest: str) -> None:
        if (repo, digest) not in self.blobs:
            self.blobs.append((repo, digest))


class Session:
    """Client, names and shared content for one registry run."""

    def __init__(self, client: RegistryClient, namespace: str = "", read_only: bool = False,
                 spec_version: str = "1.1.1"):
        self.client = client
        self.read_only = read_only
        self.spec_version = spec_version
        self.run_id = uuid.uuid4().hex[:10]
        self.salt = f"oci-conform-{self.run_id}"
        base = namespace.strip("/") or f"oci-conform/run-{self.run_id}"
        self.repo = base if read_only or namespace else f"{base}/main"
        self.prefix = base if not read_only else ""
        self.ledger = Ledger()
        self._cache: dict[str, Any] = {}
        self.referrers_supported: bool | None = None

    # -- names --------------------------------------------------------------------------

    def name(self, suffix: str) -> str:
        """A fresh repository name under this run's prefix."""
        return f"{self.prefix}/{suffix}" if self.prefix else f"{self.repo}-{suffix}"

    # -- blobs --------------------------------------------------------------------------

    def push_blob(self, repo: str, blob: C.Blob) -> requests.Response:
        """POST then PUT (monolithic), recording it in the ledger on success."""
        start = self.client.request("POST", f"/v2/{repo}/blobs/uploads/",
                                    headers={"Content-Length": "0"})
        location = start.headers.get("Location")
        if start.status_code != 202 or not location:
            return start
        done = self.client.request("PUT", location, params={"digest": blob.digest},
                                   data=blob.data,
                                   headers={"Content-Type": "application/octet-stream"})
        if done.status_code == 201:
            self.ledger.blob(repo, blob.digest)
        else:
            self.ledger.uploads.append(location)
        return done

    def require_blob(self, repo: str, blob: C.Blob) -> None:
        resp = self.push_blob(repo, blob)
        if resp.status_code != 201:
            raise FixtureError(f"could not push blob {blob.digest[:19]} to {repo}: "
                               f"HTTP {resp.status_code}")

    # -- manifests ----------------------------------------------------------------------

    def put_manifest(self, repo: str, ref: str, manifest: C.Manifest,
                     content_type: str | None = None) -> requests.Response:
        resp = self.client.request("PUT", f"/v2/{repo}/manifests/{ref}", data=manifest.data,
                                   headers={"Content-Type": content_type or manifest.media_type})
        if resp.status_code == 201:
            self.ledger.manifest(repo, manifest.digest)
        return resp

    def push_image(self, repo: str, manifest: C.Manifest, ref: str) -> requests.Response:
        """Push the blobs of ``manifest``, then the manifest under ``ref`` (raises FixtureError)."""
        for blob in manifest.blobs:
            self.require_blob(repo, blob)
        resp = self.put_manifest(repo, ref, manifest)
        if resp.status_code != 201:
            raise FixtureError(f"could not push manifest to {repo}:{ref}: HTTP "
                               f"{resp.status_code} {resp.text[:200]}")
        return resp

    def get_manifest(self, repo: str, ref: str, accept: str = MANIFEST_ACCEPT,
                     method: str = "GET") -> requests.Response:
        return self.client.request(method, f"/v2/{repo}/manifests/{ref}",
                                   headers={"Accept": accept})

    # -- shared fixtures ----------------------------------------------------------------

    def once(self, key: str, build: Any) -> Any:
        """Build a shared fixture once; a failure is remembered and raised again."""
        if key not in self._cache:
            try:
                self._cache[key] = build()
            except FixtureError as exc:
                self._cache[key] = exc
            except requests.RequestException as exc:
                self._cache[key] = FixtureError(f"{key}: {type(exc).__name__}: {exc}")
        value = self._cache[key]
        if isinstance(value, FixtureError):
            raise value
        return value

    def image(self) -> C.Manifest:
        """The main test image, tagged ``v1`` in the main repository."""
        def build() -> C.Manifest:
            if self.read_only:
                raise FixtureError("read-only mode pushes nothing")
            man = C.image(self.salt)
            self.push_image(self.repo, man, "v1")
            return man
        return self.once("image", build)

    def target(self) -> PullTarget:
        """What the pull cases fetch: the pushed image, or an existing tag (read-only)."""
        return self.once("target", self._discover_target if self.read_only else self._own_target)

    def _own_target(self) -> PullTarget:
        man = self.image()
        layer = man.blobs[1]
        return PullTarget(self.repo, "v1", man.digest, man.data, man.media_type,
                          layer.digest, layer.size, layer.data)

    def _discover_target(self) -> PullTarget:
        resp = self.client.request("GET", f"/v2/{self.repo}/tags/list", params={"n": 20})
        tags = _json(resp.content).get("tags") if resp.status_code == 200 else None
        if not tags:
            raise FixtureError(f"repository {self.repo} lists no tags (HTTP {resp.status_code})")
        for tag in tags[:5]:
            man = self.get_manifest(self.repo, tag)
            if man.status_code != 200:
                continue
            doc = _json(man.content)
            mtype = man.headers.get("Content-Type", "").split(";")[0].strip()
            child = doc
            children = doc.get("manifests")
            if isinstance(children, list) and children and isinstance(children[0], dict):
                sub = self.get_manifest(self.repo, str(children[0].get("digest", "")))
                child = _json(sub.content) if sub.status_code == 200 else {}
            raw: list[Any] = [child.get("config"), *list(child.get("layers") or [])]
            blobs: list[dict[str, Any]] = [b for b in raw if isinstance(b, dict)
                                           and b.get("digest")]
            if not blobs:
                continue
            smallest = min(blobs, key=lambda b: int(b.get("size", 0) or 0))
            return PullTarget(self.repo, tag, C.digest_of(man.content), man.content, mtype,
                              str(smallest["digest"]), int(smallest.get("size", 0) or 0))
        raise FixtureError(f"no pullable manifest with blobs among the first tags of {self.repo}")

    def index(self) -> C.Manifest:
        def build() -> C.Manifest:
            img = self.image()
            idx = C.index([img], annotations={"org.oci-conform.run": self.salt})
            resp = self.put_manifest(self.repo, "index", idx)
            if resp.status_code != 201:
                raise FixtureError(f"could not push index: HTTP {resp.status_code}")
            return idx
        return self.once("index", build)

    def referrers_set(self) -> Referrers:
        """A subject image and four referrers: two artifact types, one typed by its config,
        one index."""
        def build() -> Referrers:
            repo = self.name("referrers")
            subject = C.image(self.salt, "subject", layer_payload=b"subject")
            self.push_image(repo, subject, "subject")
            sbom = C.artifact(self.salt + "sbom", subject, C.ARTIFACT_SBOM,
                              annotations={"org.oci-conform.kind": "sbom"})
            sig = C.artifact(self.salt + "sig", subject, C.ARTIFACT_SIG,
                             annotations={"org.oci-conform.kind": "signature"})
            bycfg = C.artifact(self.salt + "cfg", subject, "",
                               config_media_type="application/vnd.oci-conform.test.config.v1+json",
                               annotations={"org.oci-conform.kind": "config-typed"})
            idx_ref = C.index([], annotations={"org.oci-conform.kind": "index-referrer"},
                              subject=subject)
            out = {"subject": subject, "sbom": sbom, "sig": sig, "config": bycfg,
                   "index": idx_ref}
            refs = Referrers(repo, out)
            for key in ("sbom", "sig", "config", "index"):
                man = out[key]
                for blob in man.blobs:
                    self.require_blob(repo, blob)
                resp = self.put_manifest(repo, man.digest, man)
                if resp.status_code != 201:
                    raise FixtureError(f"could not push referrer {key}: HTTP {resp.status_code}")
                refs.push_headers[key] = dict(resp.headers)
            return refs
        return self.once("referrers", build)

    def probe_referrers(self, repo: str, digest: str) -> requests.Response:
        resp = self.client.request("GET", f"/v2/{repo}/referrers/{digest}",
                                   headers={"Accept": C.OCI_INDEX})
        if self.referrers_supported is None:
            self.referrers_supported = resp.status_code == 200
        return resp

    # -- cleanup ------------------------------------------------------------------------

    def cleanup(self) -> list[str]:
        """Remove everything pushed; returns one line per item that could not be removed."""
        left: list[str] = []
        for location in self.ledger.uploads:
            try:
                self.client.request("DELETE", location)
            except requests.RequestException:
                pass
        for repo, digest in reversed(self.ledger.manifests):
            left.extend(self._delete(f"/v2/{repo}/manifests/{digest}", f"manifest {repo}@{digest}"))
        for repo, digest in self.ledger.blobs:
            left.extend(self._delete(f"/v2/{repo}/blobs/{digest}", f"blob {repo}@{digest}"))
        return left

    def _delete(self, path: str, what: str) -> list[str]:
        try:
            resp = self.client.request("DELETE", path)
        except requests.RequestException as exc:
            return [f"{what}: {type(exc).__name__}"]
        if resp.status_code in (200, 202, 204, 404):
            return []
        return [f"{what}: DELETE answered {resp.status_code}"]


def _json(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except (ValueError, TypeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def error_codes(body: bytes) -> list[str] | None:
    """The ``code`` values of an error body, or None when it is not the JSON error format."""
    doc = _json(body)
    errors = doc.get("errors")
    if not isinstance(errors, list) or not errors:
        return None
    codes = []
    for item in errors:
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            return None
        codes.append(item["code"])
    return codes
