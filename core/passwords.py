"""The one password policy for staff accounts: long enough, and not one that leak lists start with."""
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 10
MAX_LENGTH = 256
COMMON_FILE = Path(__file__).parent / "data" / "common_passwords.txt"


@lru_cache(maxsize=1)
def common_passwords():
    """The shipped list of common passwords, lower-cased."""
    with COMMON_FILE.open(encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip() and not line.startswith("#"))


def password_faults(password, username=None):
    """Message keys (with parameters) of everything wrong with a new password; empty when it will do."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return [("password.too_short", {"min": MIN_LENGTH})]
    if len(password) > MAX_LENGTH:
        return [("password.too_long", {"max": MAX_LENGTH})]
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) == 1:
        return [("password.common", {})]
    if username and username.strip().lower() in lowered:
        return [("password.has_username", {})]
    return []


def policy_params():
    """The parameters of the policy text shown beside every new-password field."""
    return {"min": MIN_LENGTH}
