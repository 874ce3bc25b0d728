"""A small HTTP client for OCI registries that records every exchange as evidence.

Use::

    client = RegistryClient("http://127.0.0.1:5000", credentials=Credentials.basic("u", "p"))
    resp = client.request("GET", "/v2/library/app/manifests/latest",
                          headers={"Accept": MANIFEST_ACCEPT})
    digest, size = client.download_digest("/v2/library/app/blobs/sha256:...")
    client.exchanges        # [HttpExchange, ...]: method, url, status, headers, bodies (redacted)

Deadlines: every request has a total deadline (``request_timeout`` seconds for headers and
body together, enforced while a body streams: a peer that drips bytes is cut off) and the
client may have an overall one (``deadline`` seconds from its creation); running past either
raises ``DeadlineExceeded`` (a ``requests.Timeout``) naming the request.

Credentials belong to the origin of the base URL (``registry_credentials``): a ``Location``,
redirect or absolute URL on another origin gets none, bearer tokens stay with the origin that
asked for them, and a token realm on another origin gets the basic credentials only over https
(or with ``allow_insecure_realm``). Authentication: anonymous, basic, or bearer tokens obtained
through the ``WWW-Authenticate`` challenge (realm, service, scope). Secrets are redacted from
everything recorded; ``Credentials.secrets()`` lists the literal values so callers can scrub
any other text too.

Bodies are read with bounds: a non-streamed body is cut at ``max_body`` bytes (marked in the
exchange), and no body is ever decompressed (``Accept-Encoding: identity``, raw reads), so a
gzip bomb stays its compressed size. ``send_raw`` sends a prepared request whose URL is set
byte-exact (no ``..`` folding), for path-traversal probes; ``download_digest`` hashes
``raw.read(decode_content=False)``.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import requests

from oci_conform.drivers import http_deadline
from oci_conform.drivers.http_deadline import Deadline, DeadlineExceeded
from oci_conform.drivers.registry_credentials import (
    Credentials,
    CredentialStore,
    origin_of,
    origin_text,
)
from oci_conform.model.evidence import (
    REDACTED,
    HttpExchange,
    excerpt,
    redact_headers,
    redact_url,
)

__all__ = ["AuthError", "Credentials", "DeadlineExceeded", "Exchange", "RegistryClient",
           "Redactor", "StreamBody", "parse_challenge", "MANIFEST_ACCEPT", "REDACTED"]

BODY_LIMIT = 4096
CONNECT_TIMEOUT = 10.0
DEFAULT_REQUEST_TIMEOUT = 120.0         # seconds per request, headers and body together
MAX_BODY = 16 << 20                     # a non-streamed response body is cut here
USER_AGENT = "oci-conform-registry/1"

MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
MANIFEST_ACCEPT = ", ".join(MANIFEST_TYPES)

_JSON_SECRET_RE = re.compile(
    r'("(?:[A-Za-z_]*(?:token|password|passwd|secret|credential)[A-Za-z_]*)"\s*:\s*)"[^"]*"',
    re.IGNORECASE)
_BEARER_RE = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)

Exchange = HttpExchange     # the client records the model's typed exchanges


# --------------------------------------------------------------------------- redaction

class Redactor:
    """Removes secrets from headers, URLs and bodies."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._lock = threading.Lock()
        self._secrets: set[str] = {s for s in secrets if s}

    def add(self, secret: str) -> None:
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.add(secret)

    def text(self, value: str) -> str:
        out = _BEARER_RE.sub(lambda m: f"{m.group(1)} {REDACTED}", value)
        out = _JSON_SECRET_RE.sub(lambda m: f'{m.group(1)}"{REDACTED}"', out)
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            out = out.replace(secret, REDACTED)
        return out

    def url(self, url: str) -> str:
        return self.text(redact_url(url))

    def headers(self, headers: Any) -> dict[str, str]:
        """The model's header redaction, then the known secrets out of every other value."""
        out = redact_headers({str(k): str(v) for k, v in dict(headers or {}).items()})
        for key, value in out.items():
            if not value.endswith(REDACTED):
                out[key] = self.url(value) if key.lower() == "location" else self.text(value)
        return out

    def body(self, data: bytes | str | None, limit: int = BODY_LIMIT) -> str:
        if data is None:
            return ""
        raw = data.encode() if isinstance(data, str) else bytes(data)
        shown = raw[:limit]
        try:
            text = shown.decode("utf-8")
        except UnicodeDecodeError:
            text = f"<{len(raw)} bytes, binary; first 64 as hex: {raw[:64].hex()}>"
            return text
        text = self.text(text)
        if len(raw) > limit:
            text += f"... <{len(raw) - limit} more bytes>"
        return text


# --------------------------------------------------------------------------- auth challenge

def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="...",service="...",scope="..."`` -> ("bearer", {realm, service, scope}).

    Quoted values may hold commas (scopes do); unknown or empty input gives ("", {}).
    """
    header = (header or "").strip()
    if not header:
        return "", {}
    scheme, _, rest = header.partition(" ")
    params: dict[str, str] = {}
    for match in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))', rest):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", value or "")
    return scheme.lower(), params


class AuthError(Exception):
    """The registry asked for credentials the client could not satisfy."""


# --------------------------------------------------------------------------- the client

class RegistryClient:
    """A ``requests.Session`` wrapper for one registry base URL, recording exchanges.

    ``exchanges`` grows with every request; ``take()`` returns and clears it (a check takes
    the exchanges it made). Thread-safe enough for a few concurrent uploads: recording is
    under a lock.
    """

    def __init__(self, base_url: str, credentials: Credentials | None = None,
                 timeout: float | None = None, verify_tls: bool = True,
                 body_limit: int = BODY_LIMIT, max_body: int = MAX_BODY, *,
                 deadline: float | None = None, allow_insecure_realm: bool = False):
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials or Credentials()
        self.store = CredentialStore.for_url(self.base_url, self.credentials,
                                             allow_insecure_realm)
        self.request_timeout = float(timeout if timeout is not None
                                     else DEFAULT_REQUEST_TIMEOUT)
        self.run_deadline: float | None = None
        self.run_seconds = 0.0
        if deadline is not None:
            self.set_deadline(deadline)
        self.body_limit = body_limit
        self.max_body = max_body
        self.session = requests.Session()
        http_deadline.mount(self.session)
        self.session.verify = verify_tls
        self.session.headers["User-Agent"] = USER_AGENT
        # bodies as stored: no transfer compression, so raw bytes are the content hashed
        self.session.headers["Accept-Encoding"] = "identity"
        self.session.trust_env = False
        self.redactor = Redactor(self.credentials.secrets())
        self.exchanges: list[HttpExchange] = []
        self._lock = threading.Lock()

    # -- public -------------------------------------------------------------------------

    def set_deadline(self, seconds: float) -> None:
        """An overall deadline ``seconds`` from now for every later request."""
        self.run_seconds = float(seconds)
        self.run_deadline = time.monotonic() + float(seconds)

    @property
    def past_deadline(self) -> bool:
        return self.run_deadline is not None and time.monotonic() >= self.run_deadline

    @property
    def withheld(self) -> list[str]:
        """Notes on credentials kept from other origins (for evidence)."""
        return list(self.store.withheld)

    def url(self, path_or_url: str) -> str:
        """An absolute URL: absolute ones unchanged, paths joined to the base URL."""
        if re.match(r"^[a-z][a-z0-9+.-]*://", path_or_url, re.IGNORECASE):
            return path_or_url
        return urljoin(self.base_url + "/", path_or_url)

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                data: Any = None, params: dict[str, Any] | None = None, stream: bool = False,
                scope: str = "", timeout: float | None = None,
                record_body: bool = True) -> requests.Response:
        """Send one request (with auth retry), record it, return the response.

        Network failures (and deadlines: ``DeadlineExceeded``) raise
        ``requests.RequestException`` after being recorded. With ``stream=True`` the body is
        not read or recorded; the caller reads it with ``read_body`` or ``download_digest``
        (the request's deadline keeps running until the body is read to its end).
        """
        url = self.url(path)
        if params:
            url = _add_query(url, params)
        resp = self._send(method, url, headers or {}, data, stream, scope, timeout, record_body)
        if resp.status_code == 401 and self._answer_challenge(resp, scope):
            resp.close()
            resp = self._send(method, url, headers or {}, data, stream, scope, timeout,
                              record_body)
        return resp

    def send_raw(self, method: str, raw_url: str, *, headers: dict[str, str] | None = None,
                 data: bytes | None = None, scope: str = "") -> requests.Response:
        """Send a request whose URL goes on the wire exactly as given (traversal probes).

        ``requests``/urllib3 would fold ``..`` segments and re-quote; here the prepared
        request gets ``raw_url`` set after preparation, so the bytes are sent as given.
        """
        def prepare() -> requests.PreparedRequest:
            req = requests.Request(method, self.url("/v2/"), headers=headers or {}, data=data)
            prepared = self.session.prepare_request(req)
            prepared.url = raw_url
            self._authorize(prepared, scope)
            return prepared
        resp = self._send_prepared(prepare(), stream=False, timeout=None, record_body=True)
        if resp.status_code == 401 and self._answer_challenge(resp, scope):
            resp = self._send_prepared(prepare(), stream=False, timeout=None, record_body=True)
        return resp

    def download_digest(self, path: str, *, headers: dict[str, str] | None = None,
                        algorithm: str = "sha256", scope: str = "",
                        chunk: int = 1 << 20) -> tuple[requests.Response, str, int, bytes]:
        """GET streaming; hash the raw (undecoded) bytes. Returns (response, digest, size, head).

        ``head`` is the first few KB of the body (for evidence and small documents).
        """
        resp = self.request("GET", path, headers=headers, stream=True, scope=scope)
        hasher = hashlib.new(algorithm)
        size = 0
        head = bytearray()
        try:
            while True:
                block = read_raw(resp, chunk)
                if not block:
                    break
                hasher.update(block)
                size += len(block)
                if len(head) < self.body_limit:
                    head.extend(block[: self.body_limit - len(head)])
        finally:
            finish_response(resp)
        self._set_last_body(resp, bytes(head), size)
        return resp, f"{algorithm}:{hasher.hexdigest()}", size, bytes(head)

    def read_body(self, resp: requests.Response, limit: int = 64 << 20) -> bytes:
        """The raw bytes of a streamed response, at most ``limit`` (bounded memory)."""
        out = bytearray()
        try:
            while len(out) <= limit:
                block = read_raw(resp, min(1 << 20, limit + 1 - len(out)))
                if not block:
                    break
                out.extend(block)
        finally:
            finish_response(resp)
        self._set_last_body(resp, bytes(out[: self.body_limit]), len(out))
        return bytes(out[:limit])

    def take(self) -> list[HttpExchange]:
        """The exchanges recorded so far, clearing the record."""
        with self._lock:
            taken, self.exchanges = self.exchanges, []
        return taken

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------

    def _send(self, method: str, url: str, headers: dict[str, str], data: Any, stream: bool,
              scope: str, timeout: float | None, record_body: bool) -> requests.Response:
        req = requests.Request(method, url, headers=headers, data=data)
        prepared = self.session.prepare_request(req)
        self._authorize(prepared, scope)
        return self._send_prepared(prepared, stream, timeout, record_body)

    def _start_deadline(self, what: str, timeout: float | None) -> Deadline:
        """This request's deadline (raises at once when the run's deadline has passed)."""
        if self.past_deadline:
            raise DeadlineExceeded(f"{what}: not sent, the run's deadline of "
                                   f"{self.run_seconds:g}s has passed")
        seconds = timeout if timeout is not None else self.request_timeout
        return http_deadline.start(seconds, what, until=self.run_deadline)

    def _deadline_error(self, deadline: Deadline, exc: Exception) -> requests.RequestException:
        """The exception to raise for a failed read: the deadline's when it fired."""
        if deadline.fired or deadline.remaining() <= 0:
            return DeadlineExceeded(f"{deadline.what}: cut off, {deadline.limit} passed "
                                    f"(answer not complete)")
        if isinstance(exc, requests.RequestException):
            return exc
        return requests.exceptions.ChunkedEncodingError(f"{type(exc).__name__}: {exc}")

    def _send_prepared(self, prepared: requests.PreparedRequest, stream: bool,
                       timeout: float | None, record_body: bool) -> requests.Response:
        started = time.monotonic()
        shown_url = self.redactor.url(str(prepared.url))
        ex = HttpExchange(method=str(prepared.method), url=shown_url, status=None,
                          request_headers=self.redactor.headers(prepared.headers),
                          request_body=self._describe_request_body(prepared.body)
                          if record_body else "")
        try:
            deadline = self._start_deadline(f"{prepared.method} {shown_url}", timeout)
        except DeadlineExceeded as exc:
            ex.error = str(exc)[:500]
            self._record(ex)
            raise
        read_timeout = max(0.05, min(self.request_timeout, deadline.remaining()))
        try:
            try:
                resp = self.session.send(prepared, stream=True,
                                         timeout=(min(CONNECT_TIMEOUT, read_timeout),
                                                  read_timeout),
                                         allow_redirects=False)
            except requests.RequestException as exc:
                raise self._deadline_error(deadline, exc) from exc
            _check_framing(resp)
            resp._oci_deadline = deadline  # type: ignore[attr-defined]
            if not stream:
                _load_bounded(resp, self.max_body)
        except requests.RequestException as exc:
            deadline.finish()
            ex.error = self.redactor.text(f"{type(exc).__name__}: {exc}")[:500]
            ex.duration = time.monotonic() - started
            self._record(ex)
            raise
        ex.status = resp.status_code
        ex.response_headers = self.redactor.headers(resp.headers)
        if not stream and record_body:
            ex.response_body = self.redactor.body(resp.content, self.body_limit)
        if getattr(resp, "_oci_cut", False):
            ex.error = f"body cut at {self.max_body} bytes (larger than the client reads)"
        ex.duration = time.monotonic() - started
        resp._oci_exchange = ex  # type: ignore[attr-defined]
        self._record(ex)
        return resp

    def _describe_request_body(self, body: Any) -> str:
        if body is None:
            return ""
        if isinstance(body, (bytes, str)):
            return self.redactor.body(body, min(self.body_limit, 1024))
        return "<streamed body>"

    def _set_last_body(self, resp: requests.Response, head: bytes, size: int) -> None:
        ex = getattr(resp, "_oci_exchange", None)
        if ex is not None:
            ex.response_body = self.redactor.body(head, self.body_limit) \
                if size <= self.body_limit \
                else self.redactor.body(head, self.body_limit) + f" <{size} bytes in all>"

    def _record(self, ex: HttpExchange) -> None:
        ex.response_body = excerpt(ex.response_body, self.body_limit)
        with self._lock:
            self.exchanges.append(ex)

    def _authorize(self, prepared: requests.PreparedRequest, scope: str) -> None:
        value = self.store.authorization(str(prepared.url), scope)
        if value:
            prepared.headers["Authorization"] = value
        else:
            prepared.headers.pop("Authorization", None)

    def _answer_challenge(self, resp: requests.Response, scope: str) -> bool:
        """Handle a 401: basic -> send credentials; bearer -> fetch a token. False = give up.

        Only a challenge from the registry's own origin is answered: credentials never go
        to another origin's challenge."""
        url = resp.request.url if resp.request is not None else ""
        if not self.store.owns(str(url)):
            if not self.credentials.anonymous:
                self.store.note(f"401 from {origin_text(origin_of(str(url)))} left unanswered:"
                                " credentials belong to " + origin_text(self.store.origin))
            return False
        scheme, params = parse_challenge(resp.headers.get("WWW-Authenticate", ""))
        if scheme == "basic":
            if not self.credentials.username or self.store.basic_asked:
                return False
            self.store.basic_asked = True
            return True
        if scheme == "bearer":
            wanted = params.get("scope", "") or scope
            if self.credentials.token or "realm" not in params:
                return False          # a fixed token was already sent and refused
            try:
                token = self._fetch_token(params["realm"], params.get("service", ""), wanted)
            except AuthError:
                return False
            sent = resp.request.headers.get("Authorization", "") if resp.request else ""
            if not token or sent == f"Bearer {token}":
                return False          # the registry refused this very token: give up
            return self.store.keep_token(str(url), scope, token)
        return False

    def _fetch_token(self, realm: str, service: str, scope: str) -> str:
        allowed, why = self.store.realm_may_get_credentials(realm)
        if origin_of(realm) is None:
            raise AuthError(why)
        query: list[tuple[str, str]] = []
        if service:
            query.append(("service", service))
        for one in scope.split(" ") if scope else []:
            query.append(("scope", one))
        url = realm + ("&" if "?" in realm else "?") + urlencode(query) if query else realm
        prepared = self.session.prepare_request(requests.Request("GET", url))
        if self.credentials.username and allowed:
            prepared.prepare_auth((self.credentials.username, self.credentials.password))
        elif self.credentials.username:
            self.store.note(why)
        try:
            resp = self._send_prepared(prepared, stream=False, timeout=None, record_body=True)
        except requests.RequestException as exc:
            raise AuthError(str(exc)) from exc
        if resp.status_code != 200:
            raise AuthError(f"token endpoint answered {resp.status_code}")
        doc = json_or_none(resp.content)
        if not isinstance(doc, dict):
            raise AuthError("token endpoint did not answer a JSON object")
        token = str(doc.get("token") or doc.get("access_token") or "")
        self.redactor.add(token)
        for extra in ("access_token", "refresh_token"):
            self.redactor.add(str(doc.get(extra) or ""))
        # the exchange was recorded before we knew the token: scrub it now
        with self._lock:
            for ex in self.exchanges:
                ex.response_body = self.redactor.text(ex.response_body)
        return token


def finish_response(resp: requests.Response) -> None:
    """Close a streamed response and stop its deadline."""
    resp.close()
    deadline = getattr(resp, "_oci_deadline", None)
    if deadline is not None:
        deadline.finish()


def _load_bounded(resp: requests.Response, limit: int) -> None:
    """Read a response body raw, at most ``limit`` bytes, and make it ``resp.content``
    (``resp._oci_cut`` tells whether more was there)."""
    out = bytearray()
    cut = False
    try:
        while True:
            block = read_raw(resp, min(1 << 20, limit + 1 - len(out)))
            if not block:
                break
            out.extend(block)
            if len(out) > limit:
                cut = True
                del out[limit:]
                break
    finally:
        finish_response(resp)
    resp._content = bytes(out)  # type: ignore[attr-defined]
    resp._content_consumed = True  # type: ignore[attr-defined]
    resp._oci_cut = cut  # type: ignore[attr-defined]


def _check_framing(resp: requests.Response) -> None:
    """Refuse an answer whose body length cannot be known: a Content-Length that is not a
    plain number (or several that differ) would otherwise make the client read until the
    peer closes a kept-alive connection, i.e. until the deadline."""
    if "chunked" in resp.headers.get("Transfer-Encoding", "").lower():
        return
    value = resp.headers.get("Content-Length")
    if value is None:
        return
    lengths = {v.strip() for v in value.split(",")}
    if len(lengths) != 1 or not all(v.isascii() and v.isdigit() for v in lengths):
        resp.close()
        raise requests.exceptions.InvalidHeader(
            f"malformed Content-Length {value[:40]!r} in the answer: its body cannot be read")


def read_raw(resp: requests.Response, size: int) -> bytes:
    """One raw (undecoded) block; read errors become requests exceptions (the deadline's
    ``DeadlineExceeded`` when it cut the read off)."""
    deadline: Deadline | None = getattr(resp, "_oci_deadline", None)
    try:
        if deadline is not None and deadline.fired:
            raise OSError("deadline passed")
        return bytes(resp.raw.read(size, decode_content=False) or b"")
    except Exception as exc:  # urllib3 ProtocolError, IncompleteRead, socket errors
        if deadline is not None and (deadline.fired or deadline.remaining() <= 0):
            raise DeadlineExceeded(f"{deadline.what}: cut off, {deadline.limit} passed while "
                                   "the body was read") from exc
        if isinstance(exc, requests.RequestException):
            raise
        raise requests.exceptions.ChunkedEncodingError(f"{type(exc).__name__}: {exc}") from exc


def _add_query(url: str, params: dict[str, Any]) -> str:
    parts = urlsplit(url)
    extra = urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class StreamBody:
    """An upload body streamed from an iterator of byte blocks, with a known total length.

    ``requests`` sends it with ``Content-Length: total`` (not chunked transfer encoding),
    reading one block at a time: memory stays bounded by the block size.
    """

    def __init__(self, blocks: Iterable[bytes], total: int):
        self._blocks = iter(blocks)
        self.total = total

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[bytes]:
        return self._blocks


def iter_chunks(data: bytes, size: int) -> Iterator[bytes]:
    """``data`` in pieces of ``size`` bytes (a streamed upload body)."""
    for start in range(0, len(data), size):
        yield data[start:start + size]


def json_or_none(text: bytes | str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return None
