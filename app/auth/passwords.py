"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

# ASVS 4.0.3 V2.1.1-2.1.2: at least 12 characters, up to 128, no composition rules.
MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_DIFFERENT = 5  # different characters (no "aaaaaaaaaaaa")
# The most common passwords in breach corpora of about the minimum length; a real deployment
# can extend this list from a file.
COMMON = {
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "passord123",
    "password123",
    "passord1234",
    "password1234",
    "sommer2024",
    "sommer2025",
    "sommer2026",
    "vinter2025",
    "vinter2026",
    "qwerty1234",
    "1q2w3e4r5t",
    "abcdefghij",
    "iloveyou12",
    "fastlege123",
    "allmennlege",
    "123456789012",
    "passord12345",
    "password12345",
    "qwertyuiop12",
    "qwertyuiopå1",
    "fastlege1234",
    "allmennlege1",
    "sommer202612",
    "passordpassord",
    "passwordpassword",
}


def hasher() -> PasswordHasher:
    """The app's argon2id hasher (cheaper parameters in tests, set by configuration)."""
    ph = current_app.extensions.get("argon2")
    if ph is None:
        ph = PasswordHasher(
            time_cost=current_app.config["ARGON2_TIME_COST"],
            memory_cost=current_app.config["ARGON2_MEMORY_COST"],
            parallelism=current_app.config["ARGON2_PARALLELISM"],
        )
        current_app.extensions["argon2"] = ph
    return ph


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


def password_hint() -> str:
    """The policy in a sentence, for the password fields' hints."""
    return str(
        _l(
            "At least %(n)d characters. A sentence you remember is a good password.",
            n=MIN_LENGTH,
        )
    )


def password_problem(password: str, email: str = "") -> str | None:
    """What is wrong with ``password``, in the user's language, or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return str(_l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        return str(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in COMMON:
        return str(_l("This password is too common. Choose another."))
    if len(set(password)) < MIN_DIFFERENT:
        return str(_l("Use more different characters."))
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in lowered:
        return str(_l("The password must not contain your email address."))
    return None
