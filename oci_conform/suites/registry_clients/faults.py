"""The front the client suite puts before the reference registry: one named fault at a time.

The suite sets ``Faults.mode`` between steps (steps run one after another). Every mode is a
way a registry may answer that a client must cope with, or a lie it must catch:

- ``opaque-location``: upload ``Location`` URLs carry an extra opaque query parameter, so a
  client that builds upload URLs itself (instead of using the one given) shows it;
- ``content-type-params``: manifest answers carry a parameter on their ``Content-Type``;
- ``warnings``: every answer carries the same ``Warning`` header;
- ``no-docker-digest``: no ``Docker-Content-Digest`` header anywhere;
- ``tamper-manifest``: a manifest fetched by digest has one byte more than its digest says;
- ``tamper-blob``: every blob body has one byte changed;
- ``redirect-blobs``: blob GETs are redirected (307) to another origin;
- ``fail-upload``: closing an upload (PUT) answers 400 with a plain-text body (the spec lets
  a 4xx body be in any format), and mounts are refused (202), so the client must upload and
  fails. The body is read to its end first. The clause judged, whether the abandoned
  sessions are deleted, is the same whatever the refusal; this one is the refusal the
  clients here give up on at once. A 500 kept containerd, Docker and oras retrying with
  back-off for 45 s each; a JSON ``BLOB_UPLOAD_INVALID`` still had Docker and
  containers/image retrying (Docker until the step's deadline); a 403 ``DENIED`` had oras
  retrying until it; and an answer sent before the body was read left ``ctr push``
  waiting on its own write now and then, until the deadline;
- ``tag-not-index``: a referrers tag (``<alg>-<hex>``) holds an image manifest, not an index;
- ``chunk-min``: upload sessions announce ``OCI-Chunk-Min-Length`` (:data:`CHUNK_MIN`).

It also keeps the body of every manifest pushed (bounded), so the judges can read what the
client sent.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

from oci_conform.drivers.files import open_regular
from oci_conform.reference.registry.api import Body, Request, Response

MODES = ("", "opaque-location", "content-type-params", "warnings", "no-docker-digest",
         "tamper-manifest", "tamper-blob", "redirect-blobs", "fail-upload", "tag-not-index",
         "chunk-min")
CHUNK_MIN = 2 * 1024 * 1024      # the smallest chunk the chunk-min fault announces
_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
REFERRERS_TAG = re.compile(r"^[a-z0-9]{1,32}-[0-9a-f]{64}$")
NOT_AN_INDEX = (b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
                b'"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:'
                b'44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},'
                b'"layers":[]}')
MAX_KEPT = 64                        # manifests kept per registry
MAX_MANIFEST = 4 * 1024 * 1024 + 1   # larger bodies are passed on unread
OPAQUE_KEY = "_oc_state"
_MANIFEST = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")
_UPLOAD = re.compile(r"^/v2/.+/blobs/uploads/[^/]*$")
_BLOB = re.compile(r"^/v2/.+/blobs/(?P<digest>[a-z0-9+._-]+:[a-zA-Z0-9=_-]+)$")


@dataclass(frozen=True)
class PushedManifest:
    """A manifest PUT as the registry received it."""

    time: float
    repo: str
    ref: str
    content_type: str
    body: bytes
    status: int

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.body).hexdigest()


class Faults:
    """A front (``RegistryConfig.front``) with a settable fault."""

    def __init__(self, other_origin: str = ""):
        self.mode = ""
        self.other_origin = other_origin          # "http://127.0.0.2:PORT" for redirects
        self.token = secrets.token_hex(6)
        self.warning = f"oci-conform-warning-{self.token}"
        self.manifests: list[PushedManifest] = []
        self._lock = threading.Lock()

    def __call__(self, req: Request, handle: Callable[[Request], Response]) -> Response:
        import time
        if req.method == "PUT" and _MANIFEST.match(req.path):
            return self._keep_manifest(req, handle, time.time())
        mode = self.mode
        if mode == "fail-upload":
            return self._fail_upload(req, handle)
        if mode == "redirect-blobs" and req.method == "GET" and _BLOB.match(req.path) \
                and self.other_origin:
            return Response(307, [("Location", self.other_origin + req.path)])
        if mode == "tag-not-index" and req.method in ("GET", "HEAD"):
            m = _MANIFEST.match(req.path)
            if m and REFERRERS_TAG.match(m.group("ref")):
                digest = "sha256:" + hashlib.sha256(NOT_AN_INDEX).hexdigest()
                return Response(200, [("Content-Type", _OCI_MANIFEST),
                                      ("Docker-Content-Digest", digest)], NOT_AN_INDEX)
        resp = handle(req)
        return self._bend(req, resp, mode)

    def _bend(self, req: Request, resp: Response, mode: str) -> Response:
        if mode == "chunk-min" and req.method == "POST" and _UPLOAD.match(req.path) \
                and resp.status == 202:
            resp.headers = [*resp.headers, ("OCI-Chunk-Min-Length", str(CHUNK_MIN))]
        elif mode == "opaque-location" and _UPLOAD.match(req.path) and resp.status == 202:
            resp.headers = [(k, _opaque(v, self.token) if k.lower() == "location" else v)
                            for k, v in resp.headers]
        elif mode == "content-type-params" and _MANIFEST.match(req.path) and resp.status == 200:
            resp.headers = [(k, f"{v}; charset=utf-8" if k.lower() == "content-type" else v)
                            for k, v in resp.headers]
        elif mode == "warnings":
            resp.headers = [*resp.headers, ("Warning", f'299 - "{self.warning}"')]
        elif mode == "no-docker-digest":
            resp.headers = [(k, v) for k, v in resp.headers
                            if k.lower() != "docker-content-digest"]
        elif mode == "tamper-manifest" and req.method == "GET" and resp.status == 200:
            m = _MANIFEST.match(req.path)
            if m and ":" in m.group("ref"):
                return replace(resp, body=_body(resp) + b"\n", file=None)
        elif mode == "tamper-blob" and req.method == "GET" and resp.status in (200, 206) \
                and _BLOB.match(req.path) and resp.length > 0:
            data = bytearray(_body(resp))
            data[len(data) // 2] ^= 0xFF
            return replace(resp, body=bytes(data), file=None)
        return resp

    def _fail_upload(self, req: Request, handle: Callable[[Request], Response]) -> Response:
        if req.method == "PUT" and _UPLOAD.match(req.path):
            for _ in req.body.chunks():   # read to the end first: a client still sending
                pass                      # (containerd) may otherwise wait on its own write
            return Response(400, [("Content-Type", "text/plain; charset=utf-8")],
                            b"injected fault: the upload is refused\n")
        if req.method == "POST" and _UPLOAD.match(req.path) and "mount" in req.query:
            query = {k: v for k, v in req.query.items() if k not in ("mount", "from")}
            return handle(replace(req, query=query))
        return handle(req)

    def _keep_manifest(self, req: Request, handle: Callable[[Request], Response],
                       now: float) -> Response:
        data = req.body.read_all(MAX_MANIFEST)
        if data is None:                 # too large to keep: the registry refuses it anyway
            return handle(req)
        resp = handle(replace(req, body=Body(lambda: iter([data]), len(data))))
        m = _MANIFEST.match(req.path)
        assert m is not None
        with self._lock:
            if len(self.manifests) < MAX_KEPT:
                self.manifests.append(PushedManifest(now, m.group("name"), m.group("ref"),
                                                     req.header("Content-Type"), data,
                                                     resp.status))
        return resp


def _opaque(location: str, token: str) -> str:
    path, _, query = location.partition("?")
    pairs = [(k, v) for k, vs in parse_qs(query, keep_blank_values=True).items() for v in vs]
    return f"{path}?{urlencode([*pairs, (OPAQUE_KEY, token)])}"


def _body(resp: Response) -> bytes:
    if resp.file is None:
        return resp.body
    path, offset, length = resp.file
    with open_regular(path) as fh:
        fh.seek(offset)
        return fh.read(length)
