"""Keys derived from ENGAGEMENT_SECRET_KEY, and the few primitives built on them.

Each purpose gets its own key (HKDF with a distinct label), so a leak of one
derived value says nothing about the others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from engagement.settings import get_settings

__all__ = ["InvalidToken", "Keyring", "keyring", "random_token", "sha256_hex"]


def _derive(secret: str, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label.encode()).derive(secret.encode())


class Keyring:
    def __init__(self, secret: str) -> None:
        self._lookup_key = _derive(secret, "engagement/lookup-hash")
        self._code_key = _derive(secret, "engagement/sms-code")
        self._data = Fernet(base64.urlsafe_b64encode(_derive(secret, "engagement/personal-data")))
        self._tokens = Fernet(base64.urlsafe_b64encode(_derive(secret, "engagement/citizen-token")))

    def lookup_hash(self, value: str) -> str:
        """Keyed hash for finding a row by a personal value without storing it in clear."""
        return hmac.new(self._lookup_key, value.encode(), hashlib.sha256).hexdigest()

    def code_hash(self, phone_hash: str, code: str) -> str:
        return hmac.new(self._code_key, f"{phone_hash}:{code}".encode(), hashlib.sha256).hexdigest()

    def encrypt(self, value: str) -> str:
        return self._data.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._data.decrypt(token.encode()).decode()

    def sign_token(self, payload: str) -> str:
        return self._tokens.encrypt(payload.encode()).decode()

    def read_token(self, token: str, max_age: int) -> str:
        """The payload of a token younger than ``max_age`` seconds; raises InvalidToken."""
        return self._tokens.decrypt(token.encode(), ttl=max_age).decode()


@lru_cache(maxsize=4)
def _keyring_for(secret: str) -> Keyring:
    return Keyring(secret)


def keyring() -> Keyring:
    return _keyring_for(get_settings().secret_key)


def random_token(prefix: str) -> str:
    return f"{prefix}{secrets.token_urlsafe(32)}"


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def constant_time_equals(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())
