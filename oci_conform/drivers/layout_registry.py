"""A small read-only registry that serves OCI image layouts as they are, faults included.

The reference registry (and docker-registry) refuse malformed pushes, so the pull columns of
the image-tools suite need a server that hands the malformed corpus to engines unchanged.
Repository ``NAME`` is the layout folder ``ROOT/NAME``; a tag is resolved through that
layout's ``index.json`` (the ``org.opencontainers.image.ref.name`` annotation), a digest is
the blob of that name.  Only ``GET``/``HEAD`` of ``/v2/``, ``/v2/NAME/manifests/REF`` and
``/v2/NAME/blobs/DIGEST``; everything else is a JSON error.  Bodies are what the files
hold: ``Docker-Content-Digest`` is the digest the content is stored under (the server makes
no claim of its own), ``Content-Type`` the descriptor's or the document's media type.

Bounded: names and digests are checked against their grammars before any path is built,
only regular files are read (no symlinks, no special files), ``index.json`` and manifests
are read up to 4 MiB, blobs are streamed in 64 KiB pieces, and every connection has an
idle deadline (``timeout``) and a deadline for its whole life (``lifetime``).  ``start``
binds a free loopback port; ``stop`` shuts the server down.
"""
from __future__ import annotations

import json
import os
import re
import stat
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

NAME = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)"
                  r"[a-z0-9]+)*)*$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
DIGEST = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")
ROUTE = re.compile(r"^/v2/(?P<name>.+)/(?P<kind>manifests|blobs)/(?P<ref>[^/]+)$")
DOC_LIMIT = 4 << 20
CHUNK = 64 << 10
REF_NAME = "org.opencontainers.image.ref.name"
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.oci.image.index.v1+json")


class NotServed(Exception):
    """The request names nothing this server holds (``code`` is the registry error code)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code = status, code


def open_regular(path: Path) -> tuple[int, int]:
    """(fd, size) of a regular file, not following a final symlink; NotServed otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise NotServed(404, "BLOB_UNKNOWN", f"{path.name}: {exc.strerror}") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotServed(404, "BLOB_UNKNOWN", f"{path.name} is not a regular file")
    return fd, info.st_size


def read_small(path: Path, limit: int = DOC_LIMIT) -> bytes:
    fd, size = open_regular(path)
    with os.fdopen(fd, "rb") as f:
        if size > limit:
            raise NotServed(400, "SIZE_INVALID", f"{path.name} is over {limit} bytes")
        return f.read(limit + 1)


def layout_folder(root: Path, name: str) -> Path:
    """The layout folder of repository ``name`` under ``root`` (grammar-checked)."""
    if not NAME.match(name) or len(name) > 255:
        raise NotServed(400, "NAME_INVALID", f"repository name {name!r} is not valid")
    folder = root.joinpath(*name.split("/"))
    if not folder.is_dir() or folder.is_symlink():
        raise NotServed(404, "NAME_UNKNOWN", f"no repository {name}")
    return folder


def blob_path(folder: Path, digest: str) -> Path:
    if not DIGEST.match(digest):
        raise NotServed(400, "DIGEST_INVALID", f"{digest!r} is not a digest")
    algorithm, _, encoded = digest.partition(":")
    return folder / "blobs" / algorithm / encoded


def resolve_tag(folder: Path, tag: str) -> dict:
    """The descriptor ``index.json`` gives for ``tag`` (NotServed when there is none)."""
    if not TAG.match(tag):
        raise NotServed(400, "TAG_INVALID", f"{tag!r} is not a tag")
    try:
        index = json.loads(read_small(folder / "index.json"))
    except ValueError as exc:
        raise NotServed(404, "MANIFEST_UNKNOWN", f"index.json is not JSON: {exc}") from exc
    except NotServed as exc:
        raise NotServed(404, "MANIFEST_UNKNOWN", f"no index.json: {exc}") from exc
    entries = index.get("manifests") if isinstance(index, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and (entry.get("annotations") or {}).get(REF_NAME) == tag \
                and isinstance(entry.get("digest"), str):
            return entry
    raise NotServed(404, "MANIFEST_UNKNOWN", f"no tag {tag} in index.json")


def manifest_type(body: bytes, default: str) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return default
    kind = doc.get("mediaType") if isinstance(doc, dict) else None
    return kind if isinstance(kind, str) and kind else default


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        line = format % args if args else format
        self.server.log.append(line[:300])

    def setup(self) -> None:
        """A whole-connection deadline on top of the idle one: a peer that drips bytes
        just inside the idle deadline is cut off all the same."""
        super().setup()
        self._cutoff = threading.Timer(self.server.lifetime, self._cut)
        self._cutoff.daemon = True
        self._cutoff.start()

    def _cut(self) -> None:
        import socket
        self.server.log.append(f"connection cut after {self.server.lifetime:.0f}s")
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def finish(self) -> None:
        self._cutoff.cancel()
        try:
            super().finish()
        except OSError:
            pass

    def do_GET(self) -> None:  # noqa: N802
        self._serve(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(body=False)

    def _refuse(self) -> None:
        self._error(NotServed(405, "UNSUPPORTED", "this registry is read-only"))

    do_PUT = do_POST = do_PATCH = do_DELETE = _refuse  # noqa: N815

    def _serve(self, body: bool) -> None:
        path = self.path.split("?", 1)[0]
        try:
            if path in ("/v2", "/v2/"):
                self._send(200, b"{}", "application/json", {}, body)
                return
            route = ROUTE.match(path)
            if not route:
                raise NotServed(404, "NAME_UNKNOWN", f"no route {path}")
            folder = layout_folder(self.server.root, route["name"])
            if route["kind"] == "blobs":
                self._blob(folder, route["ref"], body)
            else:
                self._manifest(folder, route["ref"], body)
        except NotServed as exc:
            self._error(exc, body)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    def _manifest(self, folder: Path, ref: str, body: bool) -> None:
        if ref.startswith(("sha256:", "sha512:")):
            digest, declared = ref, ""
        else:
            entry = resolve_tag(folder, ref)
            digest, declared = entry["digest"], str(entry.get("mediaType") or "")
        data = read_small(blob_path(folder, digest))
        kind = declared or manifest_type(data, MANIFEST_TYPES[0])
        self._send(200, data, kind, {"Docker-Content-Digest": digest}, body)

    def _blob(self, folder: Path, digest: str, body: bool) -> None:
        fd, size = open_regular(blob_path(folder, digest))
        with os.fdopen(fd, "rb") as f:
            self.send_response(200)
            self._headers("application/octet-stream", size, {"Docker-Content-Digest": digest})
            if not body:
                return
            while piece := f.read(CHUNK):
                self.wfile.write(piece)

    def _send(self, status: int, data: bytes, kind: str, extra: dict, body: bool) -> None:
        self.send_response(status)
        self._headers(kind, len(data), extra)
        if body:
            self.wfile.write(data)

    def _headers(self, kind: str, size: int, extra: dict) -> None:
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(size))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()

    def _error(self, exc: NotServed, body: bool = True) -> None:
        data = json.dumps({"errors": [{"code": exc.code, "message": str(exc)}]}).encode()
        self._send(exc.status, data, "application/json", {}, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, timeout: float, lifetime: float):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root
        self.timeout = timeout
        self.lifetime = lifetime
        self.log: list[str] = []

    def get_request(self):
        """Every connection gets the socket deadline (a peer that drips is cut off)."""
        conn, address = super().get_request()
        conn.settimeout(self.timeout)
        return conn, address

    def handle_error(self, request, client_address) -> None:
        """A connection that broke (TLS hello on plain http, reset): noted, never printed."""
        import sys
        self.log.append(f"connection from {client_address[1]} broke: {sys.exc_info()[1]}"[:300])


@dataclass
class LayoutRegistry:
    """Serve the layouts under ``root`` on a free loopback port.  ``start``, then ``stop``."""

    root: Path
    timeout: float = 30.0          # seconds a connection may sit idle mid-request
    lifetime: float = 300.0        # seconds a connection may live at all
    server: _Server | None = field(default=None, init=False)

    def start(self) -> LayoutRegistry:
        self.server = _Server(self.root, self.timeout, self.lifetime)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                         name="layout-registry", daemon=True).start()
        return self

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT`` (only once started)."""
        assert self.server is not None, "start the registry first"
        return f"127.0.0.1:{self.server.server_address[1]}"

    def reference(self, layout: Path, tag: str = "latest") -> str:
        """``HOST/NAME:TAG`` of a layout folder below ``root``."""
        name = layout.resolve().relative_to(self.root.resolve()).as_posix()
        return f"{self.host}/{name}:{tag}"

    @property
    def log(self) -> list[str]:
        return self.server.log if self.server else []

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> LayoutRegistry:
        return self if self.server is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
