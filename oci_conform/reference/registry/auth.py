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
        return bcrypt.checkpw(raw, stored.replace("$2y$", "$2b$", 1).encode())
    return False


def load_htpasswd(path: Path) -> dict[str, str]:
    users = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            user, stored = line.split(":", 1)
            users[user] = stored
    return users


@dataclass(frozen=True)
class Grant:
    """What a request may do: the user and the actions allowed per repository."""

    user: str = ""
    access: dict[str, frozenset[str]] = field(default_factory=dict)
    everything: bool = False

    def allows(self, repo: str, action: str) -> bool:
        return self.everything or action in self.access.get(repo, frozenset())


@dataclass
class AuthConfig:
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


class Authenticator:
    """Decides who a request is and what it may do; issues and checks bearer tokens."""

    def __init__(self, config: AuthConfig):
        self.config = config

    def basic_user(self, header: str) -> str | None:
        if not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        stored = self.config.users.get(user)
        return user if stored and verify_password(password, stored) else None

    def issue_token(self, user: str, scopes: list[str]) -> str:
        granted = {name: sorted(actions & {"pull", "push", "delete"})
                   for name, actions in parse_scopes(scopes).items()}
        if not user:   # anonymous: pull only, and only when allowed
            granted = {n: ["pull"] for n, a in granted.items()
                       if "pull" in a and self.config.anonymous_pull}
        claims = {"sub": user, "exp": int(time.time()) + TOKEN_TTL, "access": granted,
                  "jti": secrets.token_hex(8)}
        body = _b64(json.dumps(claims, sort_keys=True).encode())
        sig = _b64(hmac.new(self.config.secret, body.encode(), hashlib.sha256).digest())
        return f"{body}.{sig}"

    def token_grant(self, token: str) -> Grant | None:
        body, _, sig = token.partition(".")
        want = _b64(hmac.new(self.config.secret, body.encode(), hashlib.sha256).digest())
        if not sig or not hmac.compare_digest(sig, want):
            return None
        try:
            claims = json.loads(_unb64(body))
        except ValueError:
            return None
        if claims.get("exp", 0) < time.time():
            return None
        return Grant(claims.get("sub", ""),
                     {k: frozenset(v) for k, v in claims.get("access", {}).items()})

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

    def challenge(self, repo: str, action: str) -> str:
        if self.config.token_realm:
            scope = f',scope="repository:{repo}:{action}"' if repo else ""
            return (f'Bearer realm="{self.config.token_realm}",'
                    f'service="{self.config.service}"{scope}')
        return 'Basic realm="oci-conform-registry"'
