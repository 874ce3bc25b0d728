"""Typed evidence: what a case saw, in three shapes every renderer understands.

- ``ProcessRun``: one command the harness ran (argv, exit code, output tails, time, the
  config it used);
- ``HttpExchange``: one HTTP request and its answer, secrets redacted;
- ``FileSpan``: a place in a file (path, line, column, JSON pointer or tar entry).

``Evidence`` holds lists of them plus ``facts``: other structured observations (a state
document, probe files, leftovers) as plain JSON.  Every producer writes these types; every
renderer reads them; ``schemas/results.schema.json`` describes their JSON form.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
TAIL_CHARS = 4000          # output kept of one stream of one process run
BODY_CHARS = 2000          # body excerpt kept of one HTTP message
MAX_RUNS = 12
MAX_EXCHANGES = 40
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie",
                            "x-registry-auth", "x-auth-token"})
REDACTED = "<redacted>"
# query keys whose values are secrets (token, password, X-Amz-Signature, api_key, ...)
_SECRET_KEY = re.compile(r"(token|password|passwd|secret|auth|credential|signature|sig$|key$)",
                         re.IGNORECASE)


def tail(text: str, limit: int = TAIL_CHARS) -> str:
    """The last ``limit`` characters of ``text`` (marked when cut)."""
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def excerpt(text: str, limit: int = BODY_CHARS) -> str:
    """The first ``limit`` characters of ``text`` (marked when cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with credentials replaced (the auth scheme is kept: ``Bearer <redacted>``)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            # only an auth scheme word is kept ("Bearer"); a cookie keeps nothing
            first = str(value).split(" ", 1)[0] if " " in str(value) else ""
            scheme = first if name.lower().endswith("authorization") and first.isalpha() else ""
            out[name] = f"{scheme} {REDACTED}".strip()
        else:
            out[name] = str(value)
    return out


def redact_url(url: str) -> str:
    """``url`` with user info and the values of secret query parameters replaced."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_KEY.search(k) for k, _ in pairs):
            query = urlencode([(k, REDACTED if _SECRET_KEY.search(k) else v)
                               for k, v in pairs], safe=":/,<>")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


@dataclass
class ProcessRun:
    """One process the harness ran and what it did."""

    argv: list[str]
    exit_code: int | None            # None: killed after its deadline, or could not start
    stdout: str = ""                 # tail
    stderr: str = ""                 # tail
    duration: float = 0.0            # seconds, from a blocking wait
    timed_out: bool = False
    error: str = ""                  # could not start (binary missing, ...)
    config: str = ""                 # the config it used (a diff from the base, or an excerpt)
    cwd: str = ""

    def to_dict(self) -> JSON:
        data: JSON = {"argv": list(self.argv), "exit_code": self.exit_code}
        for key in ("stdout", "stderr", "error", "config", "cwd"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.timed_out:
            data["timed_out"] = True
        data["duration"] = round(self.duration, 4)
        return data

    @classmethod
    def from_dict(cls, data: JSON) -> ProcessRun:
        code = data.get("exit_code")
        return cls(argv=[str(a) for a in data.get("argv", [])],
                   exit_code=code if isinstance(code, int) else None,
                   stdout=str(data.get("stdout", "")), stderr=str(data.get("stderr", "")),
                   duration=float(data.get("duration", 0.0) or 0.0),
                   timed_out=bool(data.get("timed_out", False)),
                   error=str(data.get("error", "")), config=str(data.get("config", "")),
                   cwd=str(data.get("cwd", "")))

    def line(self) -> str:
        """``argv -> exit N`` on one line."""
        outcome = ("timed out" if self.timed_out else self.error if self.error
                   else f"exit {self.exit_code}")
        return f"{' '.join(self.argv)} -> {outcome}"


@dataclass
class HttpExchange:
    """One HTTP request and its answer (headers and URL already redacted)."""

    method: str
    url: str
    status: int | None               # None: no answer (connection error, deadline)
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    request_body: str = ""           # excerpt
    response_body: str = ""          # excerpt
    duration: float = 0.0
    error: str = ""

    @classmethod
    def recorded(cls, method: str, url: str, status: int | None, *,
                 request_headers: Mapping[str, str] = {}, response_headers: Mapping[str, str] = {},
                 request_body: str = "", response_body: str = "", duration: float = 0.0,
                 error: str = "") -> HttpExchange:
        """An exchange with its secrets redacted and its bodies cut to excerpts."""
        return cls(method, redact_url(url), status, redact_headers(request_headers),
                   redact_headers(response_headers), excerpt(request_body),
                   excerpt(response_body), duration, error)

    def to_dict(self) -> JSON:
        data: JSON = {"method": self.method, "url": self.url, "status": self.status}
        for key in ("request_headers", "response_headers", "request_body", "response_body",
                    "error"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        data["duration"] = round(self.duration, 4)
        return data

    @classmethod
    def from_dict(cls, data: JSON) -> HttpExchange:
        status = data.get("status")
        return cls(method=str(data.get("method", "")), url=str(data.get("url", "")),
                   status=status if isinstance(status, int) and status else None,
                   request_headers=_str_dict(data.get("request_headers")),
                   response_headers=_str_dict(data.get("response_headers")),
                   request_body=str(data.get("request_body", "")),
                   response_body=str(data.get("response_body", data.get("body", ""))),
                   duration=float(data.get("duration", data.get("seconds", 0.0)) or 0.0),
                   error=str(data.get("error", "")))

    def line(self) -> str:
        """``METHOD URL -> status`` on one line."""
        return f"{self.method} {self.url} -> {self.status or self.error or 'no answer'}"


@dataclass(frozen=True)
class FileSpan:
    """A place in a file: path plus line/column (1-based, 0 = unknown) and a pointer."""

    path: str
    line: int = 0
    column: int = 0
    pointer: str = ""                # JSON pointer, tar entry name, ...

    def to_dict(self) -> JSON:
        data: JSON = {"path": self.path}
        data.update({k: v for k, v in (("line", self.line), ("column", self.column),
                                       ("pointer", self.pointer)) if v})
        return data

    @classmethod
    def from_dict(cls, data: JSON) -> FileSpan:
        return cls(path=str(data.get("path", "")), line=int(data.get("line", 0) or 0),
                   column=int(data.get("column", 0) or 0), pointer=str(data.get("pointer", "")))

    def line_text(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "")
        where += f":{self.column}" if self.line and self.column else ""
        return where + (f" {self.pointer}" if self.pointer else "")


@dataclass
class Evidence:
    """Everything a case recorded, typed; ``facts`` holds the rest as plain JSON."""

    runs: list[ProcessRun] = field(default_factory=list)
    exchanges: list[HttpExchange] = field(default_factory=list)
    files: list[FileSpan] = field(default_factory=list)
    facts: JSON = field(default_factory=dict)
    omitted: dict[str, int] = field(default_factory=dict)   # items cut, by list name
    config: str = ""         # the config a runtime case used, as a diff from the base config
    replay: str = ""         # one shell line that makes the case's calls again by hand
    kept: str = ""           # where the case's folder was kept (--keep), or ""

    def __bool__(self) -> bool:
        return bool(self.runs or self.exchanges or self.files or self.facts or self.replay
                    or self.config or self.kept)

    @classmethod
    def of(cls, *, runs: Iterable[ProcessRun] = (), exchanges: Iterable[HttpExchange] = (),
           files: Iterable[FileSpan] = (), facts: JSON | None = None,
           max_runs: int = MAX_RUNS, max_exchanges: int = MAX_EXCHANGES) -> Evidence:
        """Evidence with the lists bounded: the last runs, the first exchanges."""
        all_runs, all_ex = list(runs), list(exchanges)
        omitted = {k: n for k, n in (("runs", len(all_runs) - max_runs),
                                     ("exchanges", len(all_ex) - max_exchanges)) if n > 0}
        return cls(all_runs[-max_runs:], all_ex[:max_exchanges], list(files), dict(facts or {}),
                   omitted)

    @property
    def last_run(self) -> ProcessRun | None:
        """The run a failure most likely came from: the last one that did not succeed."""
        for run in reversed(self.runs):
            if run.exit_code != 0:
                return run
        return self.runs[-1] if self.runs else None

    def to_dict(self) -> JSON:
        data: JSON = {}
        if self.runs:
            data["runs"] = [r.to_dict() for r in self.runs]
        if self.exchanges:
            data["exchanges"] = [x.to_dict() for x in self.exchanges]
        if self.files:
            data["files"] = [f.to_dict() for f in self.files]
        if self.facts:
            data["facts"] = self.facts
        if self.omitted:
            data["omitted"] = dict(self.omitted)
        for key in ("config", "replay", "kept"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    @classmethod
    def from_dict(cls, data: JSON) -> Evidence:
        if not isinstance(data, dict):
            return cls()
        return cls(runs=[ProcessRun.from_dict(r) for r in _dicts(data.get("runs"))],
                   exchanges=[HttpExchange.from_dict(x) for x in _dicts(data.get("exchanges"))],
                   files=[FileSpan.from_dict(f) for f in _dicts(data.get("files"))],
                   facts=dict(data.get("facts") or {}),
                   omitted={str(k): int(v) for k, v in (data.get("omitted") or {}).items()},
                   config=str(data.get("config", "")), replay=str(data.get("replay", "")),
                   kept=str(data.get("kept", "")))


def _dicts(value: Any) -> list[JSON]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _str_dict(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
