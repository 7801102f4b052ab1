"""Generated passwords follow the DMS password rule."""

from __future__ import annotations

import pytest

from dms_operator.reconcile.passwords import (
    SPECIAL_CHARACTERS,
    generate_password,
    satisfies_dms_rule,
)


def test_generated_passwords_follow_rule() -> None:
    passwords = [generate_password() for _ in range(500)]

    for password in passwords:
        assert satisfies_dms_rule(password), password
        assert len(password) == 20
    assert len(set(passwords)) == len(passwords)


@pytest.mark.parametrize("length", [8, 12, 20])
def test_generated_length(length: int) -> None:
    password = generate_password(length)

    assert len(password) == length
    assert satisfies_dms_rule(password)


@pytest.mark.parametrize("length", [7, 21])
def test_length_outside_rule_rejected(length: int) -> None:
    with pytest.raises(ValueError, match="8 to 20"):
        generate_password(length)


def test_special_character_always_present() -> None:
    for _ in range(200):
        assert any(character in SPECIAL_CHARACTERS for character in generate_password(8))


@pytest.mark.parametrize(
    ("password", "valid"),
    [
        ("Abcdefg1!", True),
        ("abcdefg1!", False),
        ("ABCDEFG1!", False),
        ("Abcdefgh!", False),
        ("Abcdefg12", False),
        ("Ab1!", False),
        ("Abcdefg1!Abcdefg1!xyz", False),
        ("Abcdefg1! ", False),
        ("Abcdefg1-", False),
    ],
)
def test_rule(password: str, valid: bool) -> None:
    assert satisfies_dms_rule(password) is valid
