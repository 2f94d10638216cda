"""API keys and roles: how keys look, how they are stored (hashed) and what each role may do.

A key reads `dsp_<key id>_<secret>`. The key id is public (it names the key in listings and
in the service record); only a salted SHA-256 of the secret is stored. The secret has 256 bits
of entropy, so a slow password hash would add latency to every request without adding
strength. No FastAPI here: `dispatch keys` uses this module.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

KEY_PREFIX = "dsp"


class Role(StrEnum):
    """What a key may do; each role may also do everything the roles before it may."""

    viewer = "viewer"
    dispatcher = "dispatcher"
    coordinator = "coordinator"
    admin = "admin"

    @property
    def rank(self) -> int:
        """Position in the order viewer < dispatcher < coordinator < admin."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """Whether a key with this role may do what `needed` may."""
        return self.rank >= needed.rank


@dataclass(frozen=True)
class NewKey:
    """A freshly made key: the full text (shown once) and what is stored."""

    key_id: str
    text: str
    salt: str
    digest: str


def digest(salt: str, secret: str) -> str:
    """The stored form of a secret: hex SHA-256 of the salt and the secret."""
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def new_key() -> NewKey:
    """Make a key with a fresh id, secret and salt."""
    key_id = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    return NewKey(
        key_id=key_id,
        text=f"{KEY_PREFIX}_{key_id}_{secret}",
        salt=salt,
        digest=digest(salt, secret),
    )


def split_key(text: str) -> tuple[str, str] | None:
    """The key id and secret of a key's text, or None when it is not shaped like a key."""
    parts = text.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def matches(salt: str, stored: str, secret: str) -> bool:
    """Whether `secret` hashes to the stored digest (constant-time comparison)."""
    return hmac.compare_digest(digest(salt, secret), stored)


def key_id_of(text: str) -> str:
    """The key id named by a key id, a key's printed prefix (`dsp_<id>`) or a whole key."""
    text = text.strip()
    if text.startswith(f"{KEY_PREFIX}_"):
        return text.split("_", 2)[1]
    return text
