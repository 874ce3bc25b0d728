"""The ``/token`` endpoint of token mode, in both shapes clients use.

``GET`` (the Docker token flow): credentials by HTTP basic auth, ``scope`` and ``service``
in the query; ``offline_token=true`` adds a refresh token. ``POST`` (the OAuth2 flow of
containerd and BuildKit): an ``application/x-www-form-urlencoded`` body with ``grant_type``
``password`` (``username``, ``password``) or ``refresh_token`` (``refresh_token``), plus
``service``, ``scope`` (space separated), ``client_id`` and ``access_type=offline`` for a
refresh token. Both answer ``token``/``access_token``, ``expires_in``, ``issued_at`` and,
for POST, ``scope``. Refusals carry the OAuth2 ``error`` field and the distribution-spec
``errors`` list, so either kind of client can read them.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import parse_qs

from oci_conform.reference.registry.auth import Authenticator, Issued
from oci_conform.reference.registry.errors import ApiError

MAX_FORM = 64 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"


class TokenRefused(Exception):
    """A refused token request: HTTP status, OAuth2 error name, message."""

    def __init__(self, status: int, oauth_error: str, message: str):
        super().__init__(message)
        self.status, self.oauth_error, self.message = status, oauth_error, message

    def body(self) -> bytes:
        code = "UNAUTHORIZED" if self.status == 401 else "UNSUPPORTED"
        return json.dumps({"error": self.oauth_error, "error_description": self.message,
                           "errors": [{"code": code, "message": self.message}]}).encode()


def _rfc3339(when: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def _answer(issued: Issued, refresh: str | None, with_scope: bool) -> dict[str, object]:
    doc: dict[str, object] = {"token": issued.token, "access_token": issued.token,
                              "token_type": "Bearer", "expires_in": issued.expires_in,
                              "issued_at": _rfc3339(issued.issued_at)}
    if with_scope:
        doc["scope"] = issued.scope
    if refresh:
        doc["refresh_token"] = refresh
    return doc


def _check_service(auth: Authenticator, values: list[str]) -> None:
    if values and values[0] and values[0] != auth.config.service:
        raise TokenRefused(400, "invalid_request",
                           f"this token server serves {auth.config.service!r}, "
                           f"not {values[0][:80]!r}")


def token_get(auth: Authenticator, query: dict[str, list[str]], authorization: str) -> dict:
    _check_service(auth, query.get("service", []))
    user = ""
    if authorization:
        found = auth.basic_user(authorization)
        if found is None:
            raise TokenRefused(401, "invalid_grant", "bad credentials")
        user = found
    issued = auth.issue(user, query.get("scope", []))
    offline = (query.get("offline_token") or [""])[0].lower() == "true"
    return _answer(issued, auth.issue_refresh(user) if offline and user else None, False)


def parse_form(data: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(data.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                        max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        raise TokenRefused(400, "invalid_request", "the form body is not valid "
                           "UTF-8 x-www-form-urlencoded text") from None


def _one(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def token_post(auth: Authenticator, form: dict[str, list[str]]) -> dict:
    _check_service(auth, form.get("service", []))
    grant_type = _one(form, "grant_type")
    if grant_type == "password":
        user, password = _one(form, "username"), _one(form, "password")
        if not user:
            raise TokenRefused(400, "invalid_request", "grant_type=password needs a username")
        if not auth.check_password(user, password):
            raise TokenRefused(401, "invalid_grant", "bad username or password")
    elif grant_type == "refresh_token":
        found = auth.refresh_user(_one(form, "refresh_token"))
        if found is None:
            raise TokenRefused(401, "invalid_grant", "the refresh token is not valid")
        user = found
    else:
        raise TokenRefused(400, "unsupported_grant_type",
                           f"grant_type {grant_type[:40]!r} is not supported "
                           "(password or refresh_token)")
    issued = auth.issue(user, form.get("scope", []))
    offline = _one(form, "access_type") == "offline"
    return _answer(issued, auth.issue_refresh(user) if offline else None, True)


def answer_token(auth: Authenticator, method: str, query: dict[str, list[str]],
                 headers: Callable[[str], str], read_body: Callable[[int], bytes | None]
                 ) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) for a request to ``/token``."""
    if not auth.config.token_realm:
        raise ApiError(404, "UNSUPPORTED", "this registry issues no tokens")
    json_type = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
    try:
        if method in ("GET", "HEAD"):
            doc = token_get(auth, query, headers("Authorization"))
        elif method == "POST":
            media_type = headers("Content-Type").split(";")[0].strip().lower()
            if media_type and media_type != FORM_TYPE:
                raise TokenRefused(400, "invalid_request", f"the form must be {FORM_TYPE}")
            data = read_body(MAX_FORM)
            if data is None:
                raise TokenRefused(400, "invalid_request", f"form larger than {MAX_FORM} bytes")
            doc = token_post(auth, parse_form(data))
        else:
            raise ApiError(405, "UNSUPPORTED", "the token endpoint answers GET and POST",
                           headers={"Allow": "GET, HEAD, POST"})
    except TokenRefused as refused:
        extra = [("WWW-Authenticate", 'Basic realm="oci-conform-token"')] \
            if refused.status == 401 else []
        return refused.status, json_type + extra, refused.body()
    return 200, json_type, json.dumps(doc).encode()
