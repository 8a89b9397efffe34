"""Password sign-in from `TUTOR_AUTH_USERS` ("alice:pw,bob:pw"): the user name is the learner id.

The page's sign-in asks this object only, so a real accounts backend replaces it in one place.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from tutor.config import Settings
from tutor.learners import validate_learner_id


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets of any length."""
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest())


def parse_auth_users(raw: str | None) -> dict[str, str]:
    """"alice:pw,bob:pw" -> {"alice": "pw", ...}; user names must be valid learner ids."""
    users: dict[str, str] = {}
    for entry in (raw or "").split(","):
        if not entry.strip():
            continue
        name, sep, password = entry.partition(":")
        if not sep or not password:
            raise ValueError("TUTOR_AUTH_USERS must look like 'alice:password,bob:password'")
        users[validate_learner_id(name)] = password
    return users


@dataclass
class PasswordAccounts:
    """The configured users; `enabled` is False when anyone may sign in with a name."""

    users: dict[str, str]

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordAccounts:
        return cls(parse_auth_users(settings.auth_users))

    @property
    def enabled(self) -> bool:
        return bool(self.users)

    def check(self, username: str, password: str) -> bool:
        """Whether the password is this user's (constant time)."""
        expected = self.users.get(username)
        return expected is not None and same_secret(password or "", expected)
