"""The distribution-spec error body and the status each code goes with."""
from __future__ import annotations

import json
from typing import Any


class ApiError(Exception):
    """An error answer: status, spec error code, message and optional detail."""

    def __init__(self, status: int, code: str, message: str, detail: Any = None,
                 headers: dict[str, str] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = headers or {}

    def body(self) -> bytes:
        entry: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            entry["detail"] = self.detail
        return json.dumps({"errors": [entry]}).encode()


def blob_unknown(digest: str) -> ApiError:
    return ApiError(404, "BLOB_UNKNOWN", "blob unknown to registry", {"digest": digest})


def manifest_unknown(ref: str) -> ApiError:
    return ApiError(404, "MANIFEST_UNKNOWN", "manifest unknown", {"reference": ref})


def name_unknown(name: str) -> ApiError:
    return ApiError(404, "NAME_UNKNOWN", "repository name not known to registry", {"name": name})


def name_invalid(name: str) -> ApiError:
    return ApiError(400, "NAME_INVALID", "invalid repository name", {"name": name[:300]})


def digest_invalid(message: str, digest: str = "") -> ApiError:
    return ApiError(400, "DIGEST_INVALID", message, {"digest": digest[:300]} if digest else None)


def upload_unknown(upload: str) -> ApiError:
    return ApiError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown", {"upload": upload[:100]})


def unsupported(message: str, status: int = 405) -> ApiError:
    return ApiError(status, "UNSUPPORTED", message)


NO_SPACE_ERRNOS = {28, 122}     # ENOSPC, EDQUOT


def is_no_space(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in NO_SPACE_ERRNOS


def storage_full(code: str = "UNSUPPORTED", detail: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> ApiError:
    """507: the store has no room; nothing of this request was kept."""
    return ApiError(507, code, "no space left on the registry's storage; nothing of this "
                    "request was kept, retry later", {"cause": "ENOSPC", **(detail or {})},
                    headers)


def internal_error() -> ApiError:
    return ApiError(500, "UNSUPPORTED", "internal error (logged by the registry)")
