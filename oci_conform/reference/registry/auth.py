"""Authentication for the reference registry: htpasswd users, basic auth, and bearer
tokens issued by its own token endpoint with per-repository pull/push scopes."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

TOKEN_TTL = 300
REFRESH_TTL = 24 * 3600
_APR_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _apr1(password: bytes, salt: bytes) -> str:
    """The Apache MD5 crypt ($apr1$) of ``password`` with ``salt``."""
    magic = b"$apr1$"
    ctx = hashlib.md5(password + magic + salt)
    alt = hashlib.md5(password + salt + password).digest()
    for i in range(len(password), 0, -16):
        ctx.update(alt[:min(16, i)])
    i = len(password)
    while i:
        ctx.update(b"\0" if i & 1 else password[:1])
        i >>= 1
    final = ctx.digest()
    for i in range(1000):
        step = hashlib.md5()
        step.update(password if i & 1 else final)
        if i % 3:
            step.update(salt)
        if i % 7:
            step.update(password)
        step.update(final if i & 1 else password)
        final = step.digest()
    out = ""
    for a, b, c in ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)):
        v = (final[a] << 16) | (final[b] << 8) | final[c]
        for _ in range(4):
            out += _APR_ALPHABET[v & 0x3F]
            v >>= 6
    v = final[11]
    for _ in range(2):
        out += _APR_ALPHABET[v & 0x3F]
        v >>= 6
    return f"$apr1${salt.decode()}${out}"


def verify_password(password: str, stored: str) -> bool:
    """Check a password against an htpasswd hash ({SHA}, $apr1$, or bcrypt if available)."""
    raw = password.encode()
    if stored.startswith("{SHA}"):
        want = base64.b64encode(hashlib.sha1(raw).digest()).decode()
        return hmac.compare_digest(want, stored[5:])
    if stored.startswith("$apr1$"):
        salt = stored.split("$")[2].encode()
        return hmac.compare_digest(_apr1(raw, salt), stored)
    if stored.startswith(("$2y$", "$2b$", "$2a$")):
        try:
            import bcrypt  # optional: only for htpasswd files made with htpasswd -B
        except ImportError:
            return False
        try:
            return bool(bcrypt.checkpw(raw, stored.replace("$2y$", "$2b$", 1).encode()))
        except ValueError:       # a malformed hash in the file
            return False
    return False


def hash_scheme(stored: str) -> str:
    """The htpasswd hash scheme of ``stored`` ("sha", "apr1", "bcrypt" or "other")."""
    if stored.startswith("{SHA}"):
        return "sha"
    if stored.startswith("$apr1$"):
        return "apr1"
    if stored.startswith(("$2y$", "$2b$", "$2a$")):
        return "bcrypt"
    return "other"


def load_htpasswd(path: Path) -> dict[str, str]:
    users = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            user, stored = line.split(":", 1)
            users[user] = stored
    return users


CATALOG_SCOPE = "registry:catalog:*"


@dataclass(frozen=True)
class Grant:
    """What a request may do: the user, the actions allowed per repository, and whether
    it may list the catalog."""

    user: str = ""
    access: dict[str, frozenset[str]] = field(default_factory=dict)
    everything: bool = False
    catalog: bool = False

    def allows(self, repo: str, action: str) -> bool:
        return self.everything or action in self.access.get(repo, frozenset())

    def allows_catalog(self) -> bool:
        return self.everything or self.catalog


@dataclass
class AuthConfig:
    """How the registry authenticates: users, token mode and its signing secret."""

    users: dict[str, str] = field(default_factory=dict)   # empty = no authentication
    token_realm: str = ""                                  # set = bearer token mode
    anonymous_pull: bool = False
    service: str = "oci-conform-registry"
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @property
    def enabled(self) -> bool:
        return bool(self.users)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_scopes(scopes: list[str]) -> dict[str, set[str]]:
    """``repository:NAME:pull,push`` scopes -> {NAME: {pull, push}}."""
    wanted: dict[str, set[str]] = {}
    for scope in scopes:
        for item in scope.split(" "):
            parts = item.split(":")
            if len(parts) >= 3 and parts[0] == "repository":
                name, actions = ":".join(parts[1:-1]), parts[-1]
                wanted.setdefault(name, set()).update(a for a in actions.split(",") if a)
    return wanted


def wants_catalog(scopes: list[str]) -> bool:
    return any(item == CATALOG_SCOPE for scope in scopes for item in scope.split(" "))


@dataclass(frozen=True)
class Issued:
    """A token answer: the access token, what it grants (as scope text), and times."""

    token: str
    scope: str
    issued_at: int
    expires_in: int = TOKEN_TTL


class Authenticator:
    """Decides who a request is and what it may do; issues and checks bearer tokens.

    Password checks cost the same whoever is named: every check runs one verification per
    hash scheme present in the user table, against the named user's hash for that user's
    scheme and against another user's hash (result ignored) for the others; an unknown
    user gets only those stand-ins. So timing tells nothing about which users exist."""

    def __init__(self, config: AuthConfig):
        self.config = config
        self._stand_ins: dict[str, str] = {}
        for stored in sorted(config.users.values()):
            self._stand_ins.setdefault(hash_scheme(stored), stored)

    def check_password(self, user: str, password: str) -> bool:
        stored = self.config.users.get(user)
        own = hash_scheme(stored) if stored is not None else ""
        ok = False
        for scheme, stand_in in self._stand_ins.items():
            if scheme == own and stored is not None:
                ok = verify_password(password, stored)
            else:
                verify_password(password, stand_in)
        return ok

    def basic_user(self, header: str) -> str | None:
        if not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user if self.check_password(user, password) else None

    def _sign(self, claims: dict) -> str:
        body = _b64(json.dumps(claims, sort_keys=True).encode())
        sig = _b64(hmac.new(self.config.secret, body.encode(), hashlib.sha256).digest())
        return f"{body}.{sig}"

    def _claims(self, token: str) -> dict | None:
        """The claims of a token this registry signed and that has not expired."""
        body, _, sig = token.partition(".")
        want = _b64(hmac.new(self.config.secret, body.encode(), hashlib.sha256).digest())
        if not sig or not hmac.compare_digest(sig, want):
            return None
        try:
            claims = json.loads(_unb64(body))
        except ValueError:
            return None
        if not isinstance(claims, dict) or claims.get("exp", 0) < time.time():
            return None
        return claims

    def issue(self, user: str, scopes: list[str]) -> Issued:
        """An access token for what ``user`` ("" = anonymous) may have of ``scopes``."""
        granted = {name: sorted(actions & {"pull", "push", "delete"})
                   for name, actions in parse_scopes(scopes).items()}
        if not user:   # anonymous: pull only, and only when allowed
            granted = {n: ["pull"] for n, a in granted.items()
                       if "pull" in a and self.config.anonymous_pull}
        granted = {n: a for n, a in granted.items() if a}
        catalog = bool(user) and wants_catalog(scopes)
        now = int(time.time())
        claims = {"typ": "access", "sub": user, "iat": now, "exp": now + TOKEN_TTL,
                  "access": granted, "catalog": catalog, "jti": secrets.token_hex(8)}
        text = [f"repository:{n}:{','.join(a)}" for n, a in sorted(granted.items())]
        return Issued(self._sign(claims), " ".join(text + ([CATALOG_SCOPE] if catalog else [])),
                      now)

    def issue_token(self, user: str, scopes: list[str]) -> str:
        return self.issue(user, scopes).token

    def issue_refresh(self, user: str) -> str:
        """A long-lived refresh token naming ``user``; it is no access token."""
        now = int(time.time())
        return self._sign({"typ": "refresh", "sub": user, "iat": now, "exp": now + REFRESH_TTL,
                           "jti": secrets.token_hex(8)})

    def refresh_user(self, token: str) -> str | None:
        """The user a valid refresh token names (and who still exists), else None."""
        claims = self._claims(token)
        if claims is None or claims.get("typ") != "refresh":
            return None
        user = claims.get("sub")
        return user if isinstance(user, str) and user in self.config.users else None

    def token_grant(self, token: str) -> Grant | None:
        claims = self._claims(token)
        if claims is None or claims.get("typ") != "access":
            return None
        access = claims.get("access")
        if not isinstance(access, dict):
            return None
        return Grant(str(claims.get("sub", "")),
                     {str(k): frozenset(v) for k, v in access.items() if isinstance(v, list)},
                     catalog=claims.get("catalog") is True)

    def grant(self, authorization: str) -> Grant | None:
        """The request's grant, or None when it carries no valid credential."""
        if not self.config.enabled:
            return Grant(everything=True)
        if self.config.token_realm:
            if authorization.lower().startswith("bearer "):
                return self.token_grant(authorization[7:].strip())
            return None
        user = self.basic_user(authorization)
        return Grant(user, everything=True) if user else None

    def challenge(self, repo: str, action: str, scope: str = "") -> str:
        """The WWW-Authenticate value for a refused request (``scope`` overrides)."""
        if self.config.token_realm:
            scope = scope or (f"repository:{repo}:{action}" if repo else "")
            text = f',scope="{scope}"' if scope else ""
            return (f'Bearer realm="{self.config.token_realm}",'
                    f'service="{self.config.service}"{text}')
        return 'Basic realm="oci-conform-registry"'
