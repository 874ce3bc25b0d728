"""The distribution-spec API: a Request in, a Response out. No sockets here.

Routes follow the spec's endpoint table (end-1 ... end-14); every error answer is the
spec's JSON error body with its code. Profiles gate what later versions added:
``v1.0`` has no referrers API, ``v1.1`` adds it (and OCI-Subject), ``dev`` adds the
main-branch features (digest-algorithm on upload, tag parameters on manifest push).
"""
from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import oci_conform.reference.registry.errors as errors
from oci_conform.reference.registry.auth import CATALOG_SCOPE, Authenticator, Grant
from oci_conform.reference.registry.errors import ApiError
from oci_conform.reference.registry.grammar import (
    ALGORITHMS,
    Digest,
    digest_of,
    parse_digest,
    referrers_tag,
    valid_name,
    valid_tag,
)
from oci_conform.reference.registry.limits import Gate, Limits, too_many
from oci_conform.reference.registry.manifests import (
    INDEX_TYPES,
    MAX_MANIFEST,
    OCI_INDEX,
    ManifestFacts,
    parse_manifest,
)
from oci_conform.reference.registry.paging import page_size, paginate
from oci_conform.reference.registry.storage import Storage, Upload
from oci_conform.reference.registry.token_endpoint import answer_token

PROFILES = ("v1.0", "v1.1", "dev")
MAX_TAGS_PER_PUSH = 32
CATALOG_PAGE = 1000          # catalog entries per page when the client names no n


class Body:
    """A request body read in chunks; ``limit`` guards buffered reads."""

    def __init__(self, chunks: Callable[[], Iterator[bytes]], length: int | None):
        self._chunks = chunks
        self.length = length       # None when chunked / unknown
        self.consumed = False      # read to its end: the connection may carry another request

    def chunks(self) -> Iterator[bytes]:
        yield from self._chunks()
        self.consumed = True

    def read_all(self, limit: int) -> bytes | None:
        """All of the body, or None when it is longer than ``limit``."""
        if self.length is not None and self.length > limit:
            return None
        parts, size = [], 0
        for chunk in self.chunks():
            size += len(chunk)
            if size > limit:
                return None
            parts.append(chunk)
        return b"".join(parts)


@dataclass
class Request:
    """One HTTP request as the registry's handlers see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: Body
    base_url: str = ""
    grant: Grant | None = None

    def header(self, name: str) -> str:
        return str(self.headers.get(name) or "")

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Response:
    """What a handler answers: status, headers, and a body or a file range."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    file: tuple[Path, int, int] | None = None    # (path, offset, length) streamed by the server
    head: bool = False                           # send headers only

    @property
    def length(self) -> int:
        return self.file[2] if self.file else len(self.body)


def _json(status: int, data: object, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, [("Content-Type", "application/json"), *(headers or [])],
                    json.dumps(data).encode())


def error_response(err: ApiError) -> Response:
    return Response(err.status, [("Content-Type", "application/json"),
                                 *err.headers.items()], err.body())


_ROUTES = [
    ("manifest", re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")),
    ("upload", re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/(?P<upload>[^/]*)$")),
    ("blob", re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<digest>[^/]+)$")),
    ("tags", re.compile(r"^/v2/(?P<name>.+)/tags/list$")),
    ("referrers", re.compile(r"^/v2/(?P<name>.+)/referrers/(?P<digest>[^/]+)$")),
]
_WRITE_METHODS = {"PUT", "POST", "PATCH", "DELETE"}


class RegistryApi:
    """Answers distribution-spec requests from a Storage, under a profile and auth."""

    def __init__(self, storage: Storage, auth: Authenticator, profile: str = "dev",
                 read_only: bool = False, limits: Limits | None = None):
        self.storage = storage
        self.auth = auth
        self.profile = profile
        self.read_only = read_only
        self.limits = limits or Limits()
        # Manifests are read whole and parsed: a few at a time keeps memory bounded.
        self._manifest_gate = Gate(self.limits.manifest_slots,
                                   self.limits.manifest_wait_seconds, "manifest pushes")

    @property
    def referrers_enabled(self) -> bool:
        return self.profile != "v1.0"

    # ---- entry point ------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        try:
            return self._dispatch(req)
        except ApiError as err:
            return error_response(err)

    def _dispatch(self, req: Request) -> Response:
        path = req.path
        if path == "/token":
            return self._token(req)
        if path in ("/v2", "/v2/"):
            self._authorize(req, "", "pull", base=True)
            return _json(200, {})
        if path == "/v2/_catalog":
            if req.method not in ("GET", "HEAD"):
                raise errors.unsupported(f"{req.method} is not supported on the catalog")
            self._authorize_catalog(req)
            return self._catalog_get(req)
        for kind, pattern in _ROUTES:
            m = pattern.match(path)
            if m:
                name = m.group("name")
                if not valid_name(name):
                    raise errors.name_invalid(name)
                action = "push" if req.method in _WRITE_METHODS else "pull"
                req.grant = self._authorize(req, name, action)
                if action == "push" and self.read_only:
                    raise errors.unsupported("this registry is read-only")
                handler = getattr(self, f"_{kind}_{req.method.lower()}", None)
                if handler is None:
                    raise errors.unsupported(f"{req.method} is not supported here")
                return handler(req, **m.groupdict())
        raise ApiError(404, "NAME_UNKNOWN", "no such endpoint", {"path": path[:200]})

    # ---- auth -------------------------------------------------------------------
    def _authorize(self, req: Request, repo: str, action: str, base: bool = False) -> Grant:
        grant = self.auth.grant(req.header("Authorization"))
        cfg = self.auth.config
        if grant is None and cfg.anonymous_pull and action == "pull" and not cfg.token_realm:
            return Grant(access={repo: frozenset({"pull"})})
        if grant is None or not (base or grant.allows(repo, action)):
            if grant is not None and grant.user and not cfg.token_realm:
                raise ApiError(403, "DENIED", "access to the resource is denied")
            raise ApiError(401, "UNAUTHORIZED", "authentication required",
                           headers={"WWW-Authenticate": self.auth.challenge(repo, action)})
        return grant

    def _token(self, req: Request) -> Response:
        status, headers, body = answer_token(self.auth, req.method, req.query, req.header,
                                             req.body.read_all)
        return Response(status, headers, body)

    def _authorize_catalog(self, req: Request) -> None:
        grant = self.auth.grant(req.header("Authorization"))
        if grant is not None and grant.allows_catalog():
            return
        if grant is not None and grant.user and not self.auth.config.token_realm:
            raise ApiError(403, "DENIED", "access to the resource is denied")
        raise ApiError(401, "UNAUTHORIZED", "authentication required",
                       headers={"WWW-Authenticate": self.auth.challenge(
                           "", "", scope=CATALOG_SCOPE)})

    # ---- helpers ----------------------------------------------------------------
    def _digest(self, text: str) -> Digest:
        digest = parse_digest(text)
        if digest is None:
            raise errors.digest_invalid("digest is malformed or its algorithm unsupported", text)
        return digest

    def _resolve(self, name: str, ref: str) -> tuple[Digest, str]:
        """The manifest digest and media type a tag or digest names in ``name``. A
        reference that cannot name anything (malformed tag or digest, unsupported
        algorithm) names nothing here: 404 MANIFEST_UNKNOWN, as for an absent one."""
        if ":" in ref:
            found = parse_digest(ref)
        else:
            target = self.storage.resolve_tag(name, ref) if valid_tag(ref) else None
            found = parse_digest(target) if target else None
        if found is None:
            raise errors.manifest_unknown(ref)
        digest = found
        media_type = self.storage.manifest_media_type(name, digest)
        if media_type is None or self.storage.blob_size(digest) is None:
            raise errors.manifest_unknown(ref)
        return digest, media_type

    def _require_repo(self, name: str) -> None:
        if not self.storage.repo_exists(name):
            raise errors.name_unknown(name)

    # ---- manifests ----------------------------------------------------------------
    def _manifest_get(self, req: Request, name: str, ref: str, head: bool = False) -> Response:
        self._require_repo(name)
        digest, media_type = self._resolve(name, ref)
        size = self.storage.blob_size(digest) or 0
        headers = [("Content-Type", media_type), ("Docker-Content-Digest", str(digest)),
                   ("ETag", f'"{digest}"')]
        return Response(200, headers, file=(self.storage.blob_path(digest), 0, size), head=head)

    def _manifest_head(self, req: Request, name: str, ref: str) -> Response:
        return self._manifest_get(req, name, ref, head=True)

    def _manifest_put(self, req: Request, name: str, ref: str) -> Response:
        by_digest = ":" in ref
        if not by_digest and not valid_tag(ref):
            raise ApiError(400, "MANIFEST_INVALID", "malformed tag", {"tag": ref[:200]})
        if req.body.length is not None and req.body.length > MAX_MANIFEST:
            raise ApiError(413, "SIZE_INVALID", f"manifest larger than {MAX_MANIFEST} bytes")
        with self._manifest_gate.slot():
            data = req.body.read_all(MAX_MANIFEST)
            if data is None:
                raise ApiError(413, "SIZE_INVALID", f"manifest larger than {MAX_MANIFEST} bytes")
            facts = parse_manifest(data, req.header("Content-Type"))
        algorithm = self._digest(ref).algorithm if by_digest else "sha256"
        digest = digest_of(data, algorithm)
        if by_digest and str(digest) != ref:
            raise errors.digest_invalid("manifest body does not match the digest", ref)
        self._check_references(name, facts)
        extra_tags = self._extra_tags(req) if by_digest else []
        self.storage.ensure_repo(name)
        self.storage.put_manifest(name, digest, data, facts.media_type)
        for tag in ([] if by_digest else [ref]) + extra_tags:
            self.storage.tag(name, tag, digest)
        headers = [("Location", f"/v2/{name}/manifests/{digest}"),
                   ("Docker-Content-Digest", str(digest))]
        headers += [("OCI-Tag", tag) for tag in extra_tags]
        if facts.subject is not None and self.referrers_enabled:
            self.storage.add_referrer(name, facts.subject, digest,
                                      self._referrer_descriptor(facts, digest, len(data)))
            headers.append(("OCI-Subject", str(facts.subject)))
        return Response(201, headers)

    def _extra_tags(self, req: Request) -> list[str]:
        tags = req.query.get("tag", [])
        if tags and self.profile != "dev":
            raise errors.unsupported("tag parameters on manifest push need the dev profile", 400)
        if len(tags) > MAX_TAGS_PER_PUSH:
            raise ApiError(414, "UNSUPPORTED", "too many tags in one request")
        bad = [t for t in tags if not valid_tag(t)]
        if bad:
            raise ApiError(400, "MANIFEST_INVALID", "malformed tag", {"tag": bad[0][:200]})
        return tags

    def _check_references(self, name: str, facts: ManifestFacts) -> None:
        missing = [str(d) for d in facts.blobs if not self.storage.repo_has_blob(name, d)]
        missing += [str(d) for d in facts.children
                    if self.storage.manifest_media_type(name, d) is None]
        if missing:
            raise ApiError(400, "MANIFEST_BLOB_UNKNOWN",
                           "manifest references content unknown to this repository",
                           {"digests": missing[:20]})

    @staticmethod
    def _referrer_descriptor(facts: ManifestFacts, digest: Digest, size: int) -> dict:
        desc: dict = {"mediaType": facts.media_type, "digest": str(digest), "size": size}
        if facts.artifact_type:
            desc["artifactType"] = facts.artifact_type
        if facts.annotations:
            desc["annotations"] = facts.annotations
        return desc

    def _manifest_delete(self, req: Request, name: str, ref: str) -> Response:
        self._require_repo(name)
        if ":" not in ref:
            if not (valid_tag(ref) and self.storage.delete_tag(name, ref)):
                raise errors.manifest_unknown(ref)
            return Response(202)
        digest = parse_digest(ref)
        if digest is None or not self.storage.delete_manifest(name, digest):
            raise errors.manifest_unknown(ref)
        return Response(202)

    # ---- blobs ------------------------------------------------------------------------
    def _blob_get(self, req: Request, name: str, digest: str, head: bool = False) -> Response:
        d = self._digest(digest)
        self._require_repo(name)
        size = self.storage.blob_size(d)
        if size is None or not self.storage.repo_has_blob(name, d):
            raise errors.blob_unknown(digest)
        headers = [("Content-Type", "application/octet-stream"), ("Docker-Content-Digest", str(d)),
                   ("Accept-Ranges", "bytes"), ("ETag", f'"{d}"')]
        span = _parse_range(req.header("Range"), size)
        if span is None:
            return Response(200, headers, file=(self.storage.blob_path(d), 0, size), head=head)
        if isinstance(span, str):     # unsatisfiable
            raise ApiError(416, "BLOB_UNKNOWN", "requested range not satisfiable",
                           headers={"Content-Range": f"bytes */{size}"})
        start, end = span
        headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
        return Response(206, headers, file=(self.storage.blob_path(d), start, end - start + 1),
                        head=head)

    def _blob_head(self, req: Request, name: str, digest: str) -> Response:
        return self._blob_get(req, name, digest, head=True)

    def _blob_delete(self, req: Request, name: str, digest: str) -> Response:
        d = self._digest(digest)
        self._require_repo(name)
        if not self.storage.unlink_blob(name, d):
            raise errors.blob_unknown(digest)
        return Response(202)

    # ---- uploads ----------------------------------------------------------------------
    def _upload_location(self, name: str, upload: Upload) -> str:
        return f"/v2/{name}/blobs/uploads/{upload.id}"

    def _upload_headers(self, name: str, upload: Upload) -> list[tuple[str, str]]:
        return [("Location", self._upload_location(name, upload)),
                ("Range", f"0-{max(upload.offset - 1, 0)}"),
                ("Docker-Upload-UUID", upload.id)]

    def _upload_post(self, req: Request, name: str, upload: str) -> Response:
        if upload:
            raise errors.unsupported("POST goes to the uploads collection")
        mount, source = req.param("mount"), req.param("from")
        if mount is not None:
            mounted = self._try_mount(name, mount, source, req.grant)
            if mounted is not None:
                return mounted
        algorithm = "sha256"
        wanted = req.param("digest-algorithm")
        if wanted is not None:
            if self.profile != "dev" or wanted not in ALGORITHMS:
                raise errors.digest_invalid(f"unsupported digest algorithm {wanted[:40]!r}")
            algorithm = wanted
        digest_param = req.param("digest")
        expected = self._digest(digest_param) if digest_param is not None else None
        if self.storage.open_uploads() >= self.limits.max_open_uploads:
            raise too_many("too many upload sessions open; finish or cancel some, or retry later")
        self.storage.ensure_repo(name)
        session = self.storage.start_upload(name, expected.algorithm if expected else algorithm)
        if expected is None:
            return Response(202, self._upload_headers(name, session))
        with session.lock:
            try:
                return self._finish(req, name, session, expected)
            finally:
                if not session.closed:      # a single-POST upload leaves no session behind
                    self.storage.cancel_upload(session)

    def _try_mount(self, name: str, mount: str, source: str | None,
                   grant: Grant | None) -> Response | None:
        digest = parse_digest(mount)
        if digest is None:
            return None
        if source is not None:
            readable = grant is not None and grant.allows(source, "pull")
            ok = readable and valid_name(source) and self.storage.repo_has_blob(source, digest)
        else:   # without "from", only a registry open to everyone may look everywhere
            ok = (grant is not None and grant.everything
                  and self.storage.any_repo_has_blob(digest))
        if not ok:
            return None
        self.storage.ensure_repo(name)
        self.storage.link_blob(name, digest)
        return Response(201, [("Location", f"/v2/{name}/blobs/{digest}"),
                              ("Docker-Content-Digest", str(digest))])

    def _session(self, name: str, upload: str) -> Upload:
        session = self.storage.get_upload(name, upload)
        if session is None or session.closed:
            raise errors.upload_unknown(upload)
        return session

    @contextlib.contextmanager
    def _holding(self, name: str, upload: str) -> Iterator[Upload]:
        """The session, locked; a request that waited while another closed it gets 404."""
        session = self._session(name, upload)
        with session.lock:
            if session.closed:
                raise errors.upload_unknown(upload)
            yield session

    def _append(self, req: Request, session: Upload) -> None:
        """Append the request body (all or nothing); a full disk is a 507 that says where
        the session still stands."""
        try:
            self.storage.append(session, req.body.chunks())
        except OSError as exc:
            if not errors.is_no_space(exc):
                raise
            raise errors.storage_full("BLOB_UPLOAD_INVALID", {"offset": session.offset},
                                      dict(self._upload_headers(session.repo, session))) from None

    def _upload_get(self, req: Request, name: str, upload: str) -> Response:
        session = self._session(name, upload)
        return Response(204, self._upload_headers(name, session))

    def _check_range(self, req: Request, session: Upload) -> None:
        """A Content-Range must start where the upload stands (else 416)."""
        text = req.header("Content-Range")
        if not text:
            return
        m = re.fullmatch(r"(?:bytes )?([0-9]+)-([0-9]+)", text.strip())
        if not m:
            raise ApiError(400, "BLOB_UPLOAD_INVALID", "malformed Content-Range",
                           {"Content-Range": text[:100]})
        start, end = _number(m.group(1)), _number(m.group(2))
        length = req.body.length
        if start != session.offset or end < start or (
                length is not None and end - start + 1 != length):
            raise ApiError(416, "BLOB_UPLOAD_INVALID", "chunk out of order",
                           {"offset": session.offset},
                           headers=dict(self._upload_headers_for(session)))

    def _upload_headers_for(self, session: Upload) -> list[tuple[str, str]]:
        return self._upload_headers(session.repo, session)

    def _upload_patch(self, req: Request, name: str, upload: str) -> Response:
        with self._holding(name, upload) as session:
            self._check_range(req, session)
            self._append(req, session)
            return Response(202, self._upload_headers(name, session))

    def _upload_put(self, req: Request, name: str, upload: str) -> Response:
        self._session(name, upload)
        digest_param = req.param("digest")
        if digest_param is None:
            raise errors.digest_invalid("the closing PUT needs a digest parameter")
        expected = self._digest(digest_param)
        with self._holding(name, upload) as session:
            return self._finish(req, name, session, expected)

    def _finish(self, req: Request, name: str, session: Upload, expected: Digest) -> Response:
        """Close a session the caller holds the lock of: last chunk, verify, commit."""
        self._check_range(req, session)
        self._append(req, session)
        if not self.storage.commit_upload(session, expected):
            self.storage.cancel_upload(session)
            raise errors.digest_invalid("content does not match the digest", str(expected))
        return Response(201, [("Location", f"/v2/{name}/blobs/{expected}"),
                              ("Docker-Content-Digest", str(expected))])

    def _upload_delete(self, req: Request, name: str, upload: str) -> Response:
        with self._holding(name, upload) as session:
            self.storage.cancel_upload(session)
        return Response(204)

    # ---- discovery ----------------------------------------------------------------------
    def _tags_get(self, req: Request, name: str) -> Response:
        self._require_repo(name)
        n = page_size(req.param("n"))
        tags, headers = paginate(sorted(self.storage.tags(name), key=_lexical), n,
                                 req.param("last"), _lexical,
                                 lambda size, last: f"/v2/{name}/tags/list?n={size}&last={last}")
        return _json(200, {"name": name, "tags": tags}, headers)

    def _catalog_get(self, req: Request) -> Response:
        n = page_size(req.param("n"))
        names, headers = paginate(self.storage.repositories(), n, req.param("last"), str,
                                  lambda size, last: f"/v2/_catalog?n={size}&last={last}",
                                  default=CATALOG_PAGE)
        return _json(200, {"repositories": names}, headers)

    def _referrers_get(self, req: Request, name: str, digest: str) -> Response:
        if not self.referrers_enabled:
            raise ApiError(404, "UNSUPPORTED", "the referrers API needs profile v1.1 or later")
        subject = self._digest(digest)
        found = {d["digest"]: d for d in self.storage.referrers(name, subject)}
        for desc in self._tag_schema_referrers(name, subject):
            found.setdefault(desc.get("digest", ""), desc)
        manifests = [d for k, d in sorted(found.items()) if k]
        headers = [("Content-Type", OCI_INDEX)]
        wanted = req.param("artifactType")
        if wanted is not None:
            manifests = [d for d in manifests if d.get("artifactType") == wanted]
            headers.append(("OCI-Filters-Applied", "artifactType"))
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
        return Response(200, headers, body.encode())

    def _tag_schema_referrers(self, name: str, subject: Digest) -> list[dict]:
        """Referrers listed in a pre-existing referrers-tag index (kept when enabling the API)."""
        target = self.storage.resolve_tag(name, referrers_tag(subject)) if \
            self.storage.repo_exists(name) else None
        digest = parse_digest(target) if target else None
        if digest is None or self.storage.manifest_media_type(name, digest) not in INDEX_TYPES:
            return []
        try:
            doc = json.loads(self.storage.read_blob(digest))
        except (OSError, ValueError):
            return []
        return [m for m in doc.get("manifests", []) if isinstance(m, dict)]


def _lexical(tag: str) -> tuple[str, str]:
    """Case-insensitive order (what every spec version accepts), ties broken by bytes."""
    return tag.lower(), tag


def _number(digits: str) -> int:
    """ASCII digits as a number; past 19 digits, a number larger than any size here."""
    return int(digits) if len(digits) <= 19 else 1 << 64


def _parse_range(text: str, size: int) -> tuple[int, int] | str | None:
    """A single byte range as (start, end inclusive); None = whole; 'unsatisfiable'."""
    m = re.fullmatch(r"[ \t]*bytes=([0-9]*)-([0-9]*)[ \t]*", text or "")
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if not m.group(1):
        length = _number(m.group(2))
        if length == 0:
            return "unsatisfiable"
        return max(size - length, 0), size - 1
    start = _number(m.group(1))
    end = _number(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, min(end, size - 1)
