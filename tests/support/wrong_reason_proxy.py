"""A proxy in front of a real registry that keeps every status but names the wrong fault.

It forwards each request unchanged and, on a 4xx answer carrying a JSON error list, replaces
every ``code`` by ``DENIED`` (a listed code that names none of the faults the negative cases
send). A real registry cannot be made to misreport why it refused; this test double can.
Requests are forwarded byte-exact (no path normalisation), bodies are bounded.
"""
from __future__ import annotations

import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

MAX_BODY = 64 << 20
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class WrongReasonProxy:
    """``with WrongReasonProxy(upstream_url) as proxy: proxy.url``."""

    def __init__(self, upstream: str, code: str = "DENIED") -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname or "", parts.port or 80
        self.code = code
        self.rewritten = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> WrongReasonProxy:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def rewrite(self, status: int, body: bytes) -> bytes:
        if not 400 <= status < 500:
            return body
        try:
            doc = json.loads(body)
        except ValueError:
            return body
        if not isinstance(doc, dict) or not isinstance(doc.get("errors"), list):
            return body
        for item in doc["errors"]:
            if isinstance(item, dict):
                item["code"] = self.code
        self.rewritten += 1
        return json.dumps(doc).encode()


def _handler(owner: WrongReasonProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            pass

        def _forward(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            conn = http.client.HTTPConnection(owner.upstream_host, owner.upstream_port,
                                              timeout=30)
            try:
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                except OSError:
                    pass  # upstream answered (413) and closed before reading the whole body
                answer = conn.getresponse()
                data = answer.read(MAX_BODY) if self.command != "HEAD" else b""
                status, kept = answer.status, answer.getheaders()
            finally:
                conn.close()
            data = owner.rewrite(status, data)
            self.send_response(status)
            for key, value in kept:
                if key.lower() not in HOP:
                    self.send_header(key, value.replace(
                        f"{owner.upstream_host}:{owner.upstream_port}",
                        self.server.server_address[0] + ":" + str(
                            self.server.server_address[1])))
            length_header = dict((k.lower(), v) for k, v in kept).get("content-length", "0")
            self.send_header("Content-Length", length_header if self.command == "HEAD"
                             else str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _forward

    return Handler
