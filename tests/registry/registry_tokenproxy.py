"""A small bearer-token front for docker-registry, for tests only (stdlib http.server).

``/token`` checks HTTP basic credentials and issues a random bearer token for the scopes
asked; every other path needs ``Authorization: Bearer <issued token>`` and is relayed to
the registry behind it, otherwise it answers 401 with a ``WWW-Authenticate: Bearer``
challenge naming the realm, service and scope. It is a real HTTP server on loopback that
enforces tokens; docker-registry's own token auth needs a signing certificate chain,
which this replaces.
"""
from __future__ import annotations

import base64
import http.client
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SERVICE = "oci-conform-test"
MAX_BODY = 64 << 20
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-authorization", "proxy-authenticate"}


class TokenProxy:
    """Start with ``with TokenProxy(upstream_port, user, password) as proxy: proxy.url``."""

    def __init__(self, upstream_port: int, username: str, password: str):
        self.upstream_port = upstream_port
        self.username = username
        self.password = password
        self.tokens: set[str] = set()
        self.issued: list[tuple[str, list[str]]] = []    # (service, scopes) per token issued
        self.refused = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> TokenProxy:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def issue(self) -> str:
        token = "tok-" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return token

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _send(self, code: int, headers: dict[str, str], body: bytes = b"") -> None:
                self.send_response(code)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = bytearray()
                    while len(out) <= MAX_BODY:
                        size = int(self.rfile.readline().strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            break
                        out.extend(self.rfile.read(size))
                        self.rfile.readline()
                    return bytes(out)
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(min(length, MAX_BODY)) if length else b""

            def _token(self) -> None:
                auth = self.headers.get("Authorization", "")
                expected = base64.b64encode(
                    f"{proxy.username}:{proxy.password}".encode()).decode()
                if auth != f"Basic {expected}":
                    proxy.refused += 1
                    self._send(401, {"WWW-Authenticate": 'Basic realm="token"'})
                    return
                query = parse_qs(urlsplit(self.path).query)
                token = proxy.issue()
                proxy.issued.append((query.get("service", [""])[0], query.get("scope", [])))
                body = json.dumps({"token": token, "access_token": token,
                                   "expires_in": 300}).encode()
                self._send(200, {"Content-Type": "application/json"}, body)

            def _challenge(self) -> None:
                match = re.match(r"^/v2/(.+?)/(manifests|blobs|tags|referrers)/", self.path)
                scope = f'repository:{match.group(1)}:pull,push' if match else ""
                value = f'Bearer realm="{proxy.url}/token",service="{SERVICE}"'
                if scope:
                    value += f',scope="{scope}"'
                proxy.refused += 1
                body = b'{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}'
                self._send(401, {"WWW-Authenticate": value,
                                 "Content-Type": "application/json"}, body)

            def _relay(self) -> None:
                body = self._body()
                auth = self.headers.get("Authorization", "")
                if not (auth.startswith("Bearer ") and auth[7:] in proxy.tokens):
                    self._challenge()
                    return
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in HOP and k.lower() != "authorization"}
                headers["Content-Length"] = str(len(body))
                try:
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                except (BrokenPipeError, ConnectionResetError):
                    pass                      # the registry answered before reading it all
                try:
                    resp = conn.getresponse()
                    try:
                        data = resp.read()
                    except http.client.IncompleteRead as exc:
                        data = exc.partial    # relay what the registry really sent
                except (OSError, http.client.HTTPException):
                    conn.close()
                    self._send(502, {"Content-Type": "text/plain"}, b"upstream failed")
                    return
                conn.close()
                out = {k: v for k, v in resp.getheaders()
                       if k.lower() not in HOP and k.lower() != "content-length"}
                self.send_response(resp.status)
                for key, value in out.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def handle_one(self) -> None:
                if urlsplit(self.path).path == "/token":
                    self._body()
                    self._token()
                else:
                    self._relay()

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one

        return Handler
