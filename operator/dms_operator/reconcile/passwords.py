"""Passwords that satisfy DMS's rule, drawn from the `secrets` module.

The rule (DMS 1.x, for users and database admins): 8 to 20 characters from
`A-Z a-z 0-9 ?!@#$%^&*`, with at least one upper-case letter, one lower-case letter,
one digit and one of `?!@#$%^&*`.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Final

SPECIAL_CHARACTERS: Final = "?!@#$%^&*"
PASSWORD_ALPHABET: Final = string.ascii_letters + string.digits + SPECIAL_CHARACTERS
MIN_LENGTH: Final = 8
MAX_LENGTH: Final = 20
# The longest allowed password has the most entropy: about 123 bits.
GENERATED_LENGTH: Final = MAX_LENGTH

_RULE: Final = re.compile(
    r"^(?=.*?[A-Z])(?=.*?[a-z])(?=.*?[0-9])(?=.*?[?!@#$%^&*])[A-Za-z0-9?!@#$%^&*]{8,20}$"
)


def satisfies_dms_rule(password: str) -> bool:
    """Return whether `password` follows DMS's password rule."""
    return _RULE.match(password) is not None


def generate_password(length: int = GENERATED_LENGTH) -> str:
    """Return a random password of `length` characters that follows DMS's rule."""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"password length must be {MIN_LENGTH} to {MAX_LENGTH}, got {length}")
    required = [
        secrets.choice(string.ascii_uppercase),
        secrets.choice(string.ascii_lowercase),
        secrets.choice(string.digits),
        secrets.choice(SPECIAL_CHARACTERS),
    ]
    rest = [secrets.choice(PASSWORD_ALPHABET) for _ in range(length - len(required))]
    characters = required + rest
    # Shuffle so that the required classes do not always sit at the start.
    for index in range(len(characters) - 1, 0, -1):
        other = secrets.randbelow(index + 1)
        characters[index], characters[other] = characters[other], characters[index]
    return "".join(characters)
