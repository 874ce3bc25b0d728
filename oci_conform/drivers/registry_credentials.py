"""Origin-scoped credentials for the registry client: who may receive which secret.

Credentials are given for one origin (scheme, host, port of the registry URL). The store
hands them out only for requests to that origin:

- an upload ``Location``, a redirect or any other absolute URL on another origin gets no
  ``Authorization`` at all (a second port on the same host is another origin);
- a bearer token is kept under the origin whose challenge asked for it (and its scope), so it
  never travels elsewhere;
- a token realm on another origin receives the basic credentials only over https, or over
  plain http when the user passed ``allow_insecure_realm`` explicitly.

Every withheld secret is noted (``withheld``) so a run can say why a request went without.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_NOTES = 20


@dataclass(frozen=True)
class Credentials:
    """Anonymous (both empty), basic (username + password), or a fixed bearer token."""

    username: str = ""
    password: str = ""
    token: str = ""

    @classmethod
    def basic(cls, username: str, password: str) -> Credentials:
        return cls(username=username, password=password)

    @classmethod
    def bearer(cls, token: str) -> Credentials:
        return cls(token=token)

    @property
    def anonymous(self) -> bool:
        return not (self.username or self.password or self.token)

    def secrets(self) -> list[str]:
        """The literal secret strings (to scrub from any text)."""
        return [s for s in (self.password, self.token) if s]

    def __repr__(self) -> str:  # never print a secret by accident
        kind = "anonymous" if self.anonymous else ("token" if self.token else "basic")
        return f"Credentials({kind}, username={self.username!r})"


Origin = tuple[str, str, int]


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an absolute http(s) URL; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def origin_text(origin: Origin | None) -> str:
    if origin is None:
        return "<no origin>"
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}"


@dataclass
class CredentialStore:
    """The credentials of one registry origin, and the bearer tokens it handed out."""

    origin: Origin | None
    credentials: Credentials = field(default_factory=Credentials)
    allow_insecure_realm: bool = False
    basic_asked: bool = False                 # the registry's origin challenged for basic
    withheld: list[str] = field(default_factory=list)
    _tokens: dict[tuple[Origin, str], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def for_url(cls, base_url: str, credentials: Credentials | None = None,
                allow_insecure_realm: bool = False) -> CredentialStore:
        return cls(origin_of(base_url), credentials or Credentials(), allow_insecure_realm)

    def owns(self, url: str) -> bool:
        """True when ``url`` is on the origin the credentials were given for."""
        return self.origin is not None and origin_of(url) == self.origin

    def authorization(self, url: str, scope: str) -> str:
        """The ``Authorization`` value for a request to ``url`` ("" = send none)."""
        if not self.owns(url):
            if not self.credentials.anonymous or self._tokens:
                self.note(f"no credentials sent to {origin_text(origin_of(url))} (another "
                          f"origin than {origin_text(self.origin)})")
            return ""
        assert self.origin is not None
        with self._lock:
            token = self._tokens.get((self.origin, scope)) or self._tokens.get(
                (self.origin, "*"))
        token = token or self.credentials.token
        if token:
            return f"Bearer {token}"
        if self.basic_asked and self.credentials.username:
            return _basic(self.credentials.username, self.credentials.password)
        return ""

    def keep_token(self, url: str, scope: str, token: str) -> bool:
        """Keep a token for the origin of ``url`` (the one that challenged); False elsewhere."""
        if not self.owns(url) or self.origin is None:
            return False
        with self._lock:
            self._tokens[(self.origin, scope or "*")] = token
        return True

    def realm_may_get_credentials(self, realm: str) -> tuple[bool, str]:
        """Whether the basic credentials may go to the token service at ``realm``."""
        where = origin_of(realm)
        if where is None:
            return False, f"token realm {realm[:100]!r} is not an http(s) URL"
        if where == self.origin or where[0] == "https":
            return True, ""
        if self.allow_insecure_realm:
            return True, ""
        return False, (f"credentials withheld from the token realm {origin_text(where)}: another "
                       "origin over plain http (pass --allow-insecure-realm to send them)")

    def note(self, text: str) -> None:
        with self._lock:
            if text not in self.withheld and len(self.withheld) < MAX_NOTES:
                self.withheld.append(text)


def _basic(username: str, password: str) -> str:
    import base64
    raw = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")
