"""Keys for personal data: HMAC for identities, AES-GCM for phone numbers at rest."""
import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

NONCE = 12


@dataclass(frozen=True)
class PiiKeys:
    """Keys derived from one configured secret, each for one purpose."""

    identity: bytes
    phone_lookup: bytes
    cipher: AESGCM

    def phone_key(self, phone):
        """Keyed hash of a phone number, to find and compare without decrypting."""
        return hmac.new(self.phone_lookup, phone.encode(), hashlib.sha256).hexdigest() if phone else None

    def encrypt(self, text):
        """Encrypt a phone number for storage."""
        if not text:
            return None
        nonce = os.urandom(NONCE)
        return base64.b64encode(nonce + self.cipher.encrypt(nonce, text.encode(), b"phone")).decode()

    def decrypt(self, token):
        """Decrypt a stored phone number."""
        if not token:
            return None
        raw = base64.b64decode(token)
        return self.cipher.decrypt(raw[:NONCE], raw[NONCE:], b"phone").decode()


@lru_cache(maxsize=8)
def derive_keys(secret):
    """Derive the purpose keys from the PII secret."""
    def derive(purpose):
        return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
    return PiiKeys(derive("identity"), derive("phone-lookup"),
                   AESGCM(derive("phone-encryption")))


def keys():
    """The keys of the running app."""
    return derive_keys(current_app.config["PII_KEY"])
