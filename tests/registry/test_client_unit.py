"""Unit tests of the registry HTTP client: redaction and auth challenge parsing."""
from __future__ import annotations

from oci_conform.drivers.registry_http import (
    REDACTED,
    Credentials,
    Exchange,
    Redactor,
    parse_challenge,
)


def test_challenge_bearer_with_comma_in_scope() -> None:
    scheme, params = parse_challenge(
        'Bearer realm="https://auth.example/token",service="registry.example",'
        'scope="repository:a/b:pull,push"')
    assert scheme == "bearer"
    assert params == {"realm": "https://auth.example/token", "service": "registry.example",
                      "scope": "repository:a/b:pull,push"}


def test_challenge_basic_and_unquoted_and_escaped() -> None:
    assert parse_challenge('Basic realm="Registry Realm"') == ("basic", {"realm": "Registry Realm"})
    scheme, params = parse_challenge('Bearer realm=http://x/t, error="invalid \\"token\\""')
    assert scheme == "bearer"
    assert params["realm"] == "http://x/t"
    assert params["error"] == 'invalid "token"'


def test_challenge_empty_or_garbage() -> None:
    assert parse_challenge("") == ("", {})
    assert parse_challenge("Negotiate") == ("negotiate", {})


def test_headers_redacted() -> None:
    red = Redactor()
    out = red.headers({"Authorization": "Bearer abc.def.ghi", "Cookie": "s=1",
                       "X-Other": "Bearer zzzzzzzz", "Accept": "application/json"})
    assert out["Authorization"] == f"Bearer {REDACTED}"
    assert out["Cookie"] == REDACTED
    assert "zzzzzzzz" not in out["X-Other"]
    assert out["Accept"] == "application/json"


def test_basic_header_redacted() -> None:
    out = Redactor().headers({"authorization": "Basic dXNlcjpzZWNyZXQ="})
    assert "dXNlcjpzZWNyZXQ=" not in str(out)


def test_url_query_and_userinfo_redacted() -> None:
    red = Redactor()
    url = red.url("https://user:pw@r.example/v2/x/blobs/uploads/1?_state=abc&access_token=T0K3N"
                  "&X-Amz-Signature=sig123&digest=sha256:00")
    assert "pw" not in url.split("@")[0].replace(REDACTED, "")
    assert "T0K3N" not in url and "sig123" not in url
    assert "_state=abc" in url and "digest=sha256:00" in url


def test_body_json_secrets_redacted() -> None:
    red = Redactor()
    body = red.body(b'{"token":"t1","access_token":"t2","refresh_token":"t3","password":"p",'
                    b'"expires_in":300}')
    for secret in ('"t1"', '"t2"', '"t3"', '"p"'):
        assert secret not in body
    assert '"expires_in":300' in body


def test_literal_secrets_redacted_everywhere() -> None:
    red = Redactor(["hunter2-password"])
    red.add("opaque-token-value-123")
    text = red.text("user said hunter2-password and got opaque-token-value-123")
    assert "hunter2" not in text and "opaque-token" not in text


def test_binary_body_shown_as_hex_and_truncation() -> None:
    red = Redactor()
    assert "binary" in red.body(b"\xff\xfe\x00" * 10)
    long = red.body(b"a" * 10000, limit=100)
    assert long.startswith("a" * 100) and "9900 more bytes" in long


def test_credentials_repr_hides_secrets() -> None:
    creds = Credentials.basic("alice", "s3cr3t-pass")
    assert "s3cr3t" not in repr(creds)
    assert creds.secrets() == ["s3cr3t-pass"]
    assert Credentials().anonymous


def test_exchange_dict_shape() -> None:
    ex = Exchange("GET", "http://h/v2/", 200, {"A": "b"}, {"C": "d"}, response_body="{}")
    data = ex.to_dict()
    assert {"method", "url", "status", "request_headers", "response_headers",
            "response_body"} <= set(data)


def test_send_raw_is_byte_exact_and_request_is_not() -> None:
    """A local socket records the request line: send_raw keeps '..', request folds it."""
    import socket
    import threading

    from oci_conform.drivers.registry_http import RegistryClient

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(2)
    port = srv.getsockname()[1]
    lines: list[bytes] = []

    def serve() -> None:
        for _ in range(2):
            conn, _addr = srv.accept()
            lines.append(conn.recv(65536).split(b"\r\n")[0])
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with RegistryClient(f"http://127.0.0.1:{port}") as client:
        client.send_raw("GET", f"http://127.0.0.1:{port}/v2/a/../../etc/passwd/manifests/x")
        client.request("GET", "/v2/a/../../etc/passwd/manifests/x")
    thread.join(timeout=5)
    srv.close()
    assert lines[0] == b"GET /v2/a/../../etc/passwd/manifests/x HTTP/1.1"
    assert lines[1] == b"GET /etc/passwd/manifests/x HTTP/1.1"
