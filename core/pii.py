"""Keys for personal data: HMAC for identities, Fernet for phone numbers at rest."""
import base64
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet
from flask import current_app


@dataclass(frozen=True)
class PiiKeys:
    """Keys derived from one configured secret, each for one purpose."""

    identity: bytes
    phone_lookup: bytes
    fernet: Fernet

    def phone_key(self, phone):
        """Keyed hash of a phone number, to find and compare without decrypting."""
        return hmac.new(self.phone_lookup, phone.encode(), hashlib.sha256).hexdigest() if phone else None

    def encrypt(self, text):
        """Encrypt a phone number for storage."""
        return self.fernet.encrypt(text.encode()).decode() if text else None

    def decrypt(self, token):
        """Decrypt a stored phone number."""
        return self.fernet.decrypt(token.encode()).decode() if token else None


@lru_cache(maxsize=8)
def derive_keys(secret):
    """Derive the purpose keys from the PII secret."""
    def derive(purpose):
        return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
    return PiiKeys(derive("identity"), derive("phone-lookup"),
                   Fernet(base64.urlsafe_b64encode(derive("phone-encryption"))))


def keys():
    """The keys of the running app."""
    return derive_keys(current_app.config["PII_KEY"])
