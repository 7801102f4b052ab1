"""Password rule and hashing. Stored users keep only a salted PBKDF2 hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

# DMS's rule for user and database admin passwords.
PASSWORD_PATTERN = (
    r"^(?=.*?[A-Z])(?=.*?[a-z])(?=.*?[0-9])(?=.*?[?!@#$%^&*])[A-Za-z\d?!@#$%^&*]{8,20}$"  # noqa: S105
)
PASSWORD_RULE = (
    "must be 8 to 20 characters from A-Z, a-z, 0-9 and ?!@#$%^&*, with at least one "  # noqa: S105
    "upper-case letter, one lower-case letter, one digit and one of ?!@#$%^&*"
)
_PASSWORD_RE = re.compile(PASSWORD_PATTERN)
_ITERATIONS = 50_000


def password_is_valid(password: str) -> bool:
    return _PASSWORD_RE.match(password) is not None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)
    encoded_salt = base64.b64encode(salt).decode()
    encoded_digest = base64.b64encode(digest).decode()
    return f"pbkdf2_sha256${_ITERATIONS}${encoded_salt}${encoded_digest}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, iterations, encoded_salt, encoded_digest = stored.split("$")
        salt = base64.b64decode(encoded_salt)
        expected = base64.b64decode(encoded_digest)
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, int(iterations))
    return hmac.compare_digest(digest, expected)
