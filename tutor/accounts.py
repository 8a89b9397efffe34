"""Accounts, sign-in, sessions and the audit log, over the learners store.

Why it looks like this:
- Passwords are hashed with argon2 (argon2-cffi), never by hand; sessions are random tokens of
  which the store keeps only a SHA-256 digest, so a copy of the database signs nobody in.
- Sessions live in the store, not in one process: they expire (`session_hours`), sign-out and
  disabling end them at once, and several app processes see the same truth.
- Failed sign-ins are throttled per account and per address with doubling delays and then a
  temporary lock-out. The counts live in the store too: a lock-out must hold across processes
  and restarts, which an in-memory rate limiter cannot do.
- Every message a user sees is calm, names the fix, and never tells whether an account exists.
- The audit log records who did what, when, from where and how it ended; never a password or a
  learner's question.
Every time-based rule reads an injectable clock, so tests never sleep.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tutor.config import Settings
from tutor.learners import LearnerStore, validate_learner_id

ROLES = ("learner", "admin")
MAX_PASSWORD_CHARS = 256  # hashing cost grows with length; nobody types more
# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): ~0.1 s per sign-in on two
# busy cores, so a burst of sign-ins cannot starve the tutor; a hash made with other parameters
# is upgraded at the next sign-in.
HASH_PARAMETERS = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
MAX_ACTOR_CHARS = 80
UNKNOWN_ACTOR = "(unknown)"  # a name typed at sign-in that is no account: may be a mistyped password


class AccountError(Exception):
    """A refusal to show as it is: the message is calm and says what to do."""


class SignInFailed(AccountError):
    def __init__(self) -> None:
        super().__init__("That name and password don't match. Check both and try again.")


class TooManyAttempts(AccountError):
    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"Too many attempts; try again in {describe_wait(retry_after_s)}.")


class AccountDisabled(AccountError):
    """Only said once the password has been proven, so it reveals nothing to a guesser."""

    def __init__(self) -> None:
        super().__init__("This account is disabled; ask an admin to enable it.")


class NotAllowed(AccountError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} Sign in with an account that may do this.")


@dataclass(frozen=True)
class Session:
    """Who is asking. A guest has no token and no name: nothing is stored for them."""

    token: str | None
    name: str | None
    role: str  # learner | admin | guest
    expires: float

    @property
    def learner_id(self) -> str | None:
        """The id the tutor service records turns under (None for a guest: nothing recorded)."""
        return self.name

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass
class ImportReport:
    """What `import_csv` did: accounts added, names already taken (left alone), bad lines."""

    added: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, what is wrong)


@dataclass(frozen=True)
class ThrottlePolicy:
    """How failed sign-ins slow a subject down: `free` failures cost nothing, then each blocks
    for a doubling delay, and from `lockout_after` on for the whole lock-out."""

    free: int
    base_s: float
    lockout_after: int
    lockout_s: float

    def delay_s(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        if failures >= self.lockout_after:
            return self.lockout_s
        return min(self.base_s * 2 ** (failures - self.free), self.lockout_s)


def describe_wait(seconds: float) -> str:
    """'40 seconds', '2 minutes': rounded up, so the user never retries too early."""
    if seconds <= 60:
        n = max(1, math.ceil(seconds))
        return f"{n} second{'s' if n != 1 else ''}"
    n = math.ceil(seconds / 60)
    return f"{n} minute{'s' if n != 1 else ''}"


def generate_password() -> str:
    """A random password to hand out once (about 96 bits)."""
    return secrets.token_urlsafe(12)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccountService:
    """Accounts on top of a `LearnerStore`; thread- and process-safe like the store itself.

    `actor` in admin methods is who acts (an admin's name, or `cli:USER` from the command line)
    and `address` where from; both go to the audit log.
    """

    def __init__(self, store: LearnerStore, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.hasher = PasswordHasher(**HASH_PARAMETERS)
        self._dummy_hash = self.hasher.hash(generate_password())  # verified for unknown names, so timing tells nothing
        self.account_policy = ThrottlePolicy(
            settings.signin_free_failures, settings.signin_delay_s, settings.signin_lockout_after, settings.signin_lockout_s
        )
        self.address_policy = ThrottlePolicy(
            settings.signin_free_failures, settings.signin_delay_s, settings.signin_address_lockout_after, settings.signin_lockout_s
        )

    # ------------------------------------------------------------ admin work

    def add(self, name: str, password: str, role: str = "learner", actor: str = "cli", address: str = "local") -> None:
        """Create an account; AccountError when the name is taken or the password too weak."""
        name = self.check_new_account(name, password, role)
        if not self.store.create_account(name, self.hasher.hash(password), role, self.clock()):
            self.audit(actor, "add_account", name, "exists", address)
            raise AccountError(f"An account named {name!r} already exists; choose another name or reset its password.")
        self.audit(actor, "add_account", name, f"ok ({role})", address)

    def check_new_account(self, name: str, password: str, role: str) -> str:
        """The validated name; AccountError naming the fix otherwise."""
        try:
            name = validate_learner_id(name)
        except ValueError as exc:
            raise AccountError(f"Account name: {exc}.") from None
        if role not in ROLES:
            raise AccountError(f"Role must be one of {', '.join(ROLES)} (got {role!r}).")
        self.check_password(name, password)
        return name

    def check_password(self, name: str, password: str) -> None:
        minimum = self.settings.password_min_chars
        if not isinstance(password, str) or not minimum <= len(password) <= MAX_PASSWORD_CHARS:
            raise AccountError(f"Passwords need {minimum} to {MAX_PASSWORD_CHARS} characters.")
        if password.casefold() == name.casefold():
            raise AccountError("A password must not be the account name.")

    def import_csv(self, text: str, actor: str = "cli", address: str = "local") -> ImportReport:
        """Accounts from CSV lines `name,password[,role]` (a header line `name,password,...` is
        skipped). Good lines are added, names already taken are left alone, bad lines are
        reported by number; so fixing the file and importing again is safe."""
        report = ImportReport()
        reader = csv.reader(io.StringIO(text))
        for row in reader:
            line_no = reader.line_num  # the file's line, also after a quoted field spanning lines
            cells = [cell.strip() for cell in row]
            if not any(cells) or (line_no == 1 and cells[:2] == ["name", "password"]):
                continue
            if len(cells) not in (2, 3):
                report.problems.append((line_no, "expected name,password or name,password,role"))
                continue
            name, password, role = cells[0], cells[1], (cells[2] if len(cells) == 3 else "learner")
            try:
                self.add(name, password, role, actor, address)
            except AccountError as exc:
                taken = self.store.account(name) if _valid_id(name) else None
                if taken is not None:
                    report.existing.append(name)
                else:
                    report.problems.append((line_no, str(exc)))
                continue
            report.added.append(name)
        self.audit(actor, "import_accounts", f"{len(report.added)} added", "ok" if not report.problems else "partial", address)
        return report

    def list_accounts(self) -> list[dict]:
        """Every account (name, role, disabled, created, last_sign_in), never a hash."""
        return [{**row, "disabled": bool(row["disabled"])} for row in self.store.list_accounts()]

    def reset(self, name: str, password: str, actor: str = "cli", address: str = "local") -> None:
        """New password; every session of the account ends and its lock-out is lifted."""
        name = self.existing(name, "reset_password", actor, address)
        self.check_password(name, password)
        self.store.set_password_hash(name, self.hasher.hash(password), end_sessions=True)
        self.store.clear_failures(account_subject(name))
        self.audit(actor, "reset_password", name, "ok", address)

    def set_disabled(self, name: str, disabled: bool, actor: str = "cli", address: str = "local") -> None:
        """Disable (its sessions end at once) or enable an account."""
        action = "disable_account" if disabled else "enable_account"
        name = self.existing(name, action, actor, address)
        self.store.set_disabled(name, disabled)
        self.audit(actor, action, name, "ok", address)

    def existing(self, name: str, action: str, actor: str, address: str) -> str:
        """The validated name of an existing account, or AccountError (admins may know this)."""
        if not _valid_id(name) or self.store.account(name) is None:
            self.audit(actor, action, name if _valid_id(name) else UNKNOWN_ACTOR, "no such account", address)
            raise AccountError(f"There is no account named {name!r}; see `tutor users list`.")
        return validate_learner_id(name)

    # ------------------------------------------------------------ signing in and out

    def authenticate(self, name: str, password: str, address: str) -> Session:
        """A new session for the right name and password. Raises TooManyAttempts while the
        account or the address is blocked (without looking at the password), SignInFailed for
        a wrong name or password (the same either way), AccountDisabled for a disabled account."""
        now = self.clock()
        valid = _valid_id(name)
        subjects = [address_subject(address)] + ([account_subject(name)] if valid else [])
        self.wait_for_throttle(subjects, now, name if valid else UNKNOWN_ACTOR, "sign_in", address)
        account = self.store.account(name) if valid else None
        if not self.password_matches(account, password):
            self.record_failures(subjects, now)
            self.audit(account["name"] if account else UNKNOWN_ACTOR, "sign_in", "", "wrong password", address)
            raise SignInFailed()
        if account["disabled"]:
            self.audit(account["name"], "sign_in", "", "disabled", address)
            raise AccountDisabled()
        self.store.clear_failures(account_subject(account["name"]))
        if self.hasher.check_needs_rehash(account["password_hash"]):
            self.store.set_password_hash(account["name"], self.hasher.hash(password), end_sessions=False)
        session = self.start_session(account["name"], account["role"], now)
        self.audit(account["name"], "sign_in", "", "ok", address)
        return session

    def password_matches(self, account: dict | None, password: str) -> bool:
        """Verify against the account's hash, or a dummy one so unknown names cost the same time."""
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS:
            return False
        try:
            return self.hasher.verify(account["password_hash"] if account else self._dummy_hash, password) and account is not None
        except (VerificationError, InvalidHashError):
            return False

    def wait_for_throttle(self, subjects: list[str], now: float, actor: str, action: str, address: str) -> None:
        until = self.store.blocked_until(subjects)
        if until > now:
            self.audit(actor, action, "", "throttled", address)
            raise TooManyAttempts(until - now)

    def record_failures(self, subjects: list[str], now: float) -> None:
        for subject in subjects:
            policy = self.address_policy if subject.startswith("address:") else self.account_policy
            self.store.record_failure(subject, now, policy.lockout_s, policy.delay_s)

    def start_session(self, name: str, role: str, now: float) -> Session:
        token = secrets.token_urlsafe(32)
        expires = now + self.settings.session_hours * 3600
        self.store.start_session(token_digest(token), name, now, expires)
        return Session(token, name, role, expires)

    def session(self, token: str | None) -> Session | None:
        """The live session for a token: None once it expired, was signed out, or its account
        was disabled or its password reset."""
        if not token or not isinstance(token, str):
            return None
        row = self.store.live_session(token_digest(token), self.clock())
        return None if row is None else Session(token, row["account"], row["role"], row["expires"])

    def sign_out(self, token: str | None, address: str = "local") -> None:
        """End the session server-side; the token is worthless afterwards, wherever it was copied."""
        session = self.session(token)
        if session is not None:
            self.store.end_session(token_digest(token))
            self.audit(session.name, "sign_out", "", "ok", address)

    def guest(self) -> Session:
        """A session that stores nothing (no token, no name), when `guest_access` is on."""
        if not self.settings.guest_access:
            raise NotAllowed("Guest access is off.")
        return Session(None, None, "guest", math.inf)

    def register(self, name: str, password: str, address: str) -> Session:
        """Self-registration of a learner account, when `self_registration` is on; signs in."""
        if not self.settings.self_registration:
            raise NotAllowed("Creating your own account is off here; ask an admin for one.")
        now = self.clock()
        subjects = [address_subject(address)]
        self.wait_for_throttle(subjects, now, UNKNOWN_ACTOR, "register", address)
        try:
            self.add(name, password, "learner", actor=f"self:{name}"[:MAX_ACTOR_CHARS], address=address)
        except AccountError:
            self.record_failures(subjects, now)  # probing names by registering costs like guessing
            raise
        return self.start_session(validate_learner_id(name), "learner", now)

    def require_admin(self, token: str | None, action: str, target: str = "", address: str = "local") -> Session:
        """The admin's session, or NotAllowed (audited): the gate of every admin action on the page."""
        session = self.session(token)
        if session is None or not session.is_admin:
            self.audit(session.name if session else UNKNOWN_ACTOR, action, target, "denied", address)
            raise NotAllowed("Only a signed-in admin can do this.")
        return session

    # ------------------------------------------------------------ audit

    def audit(self, actor: str, action: str, target: str, outcome: str, address: str) -> None:
        """Record who did what to what, how it ended and from where. Never pass a password or
        a learner's question here."""
        self.store.add_audit(self.clock(), actor, action, target, outcome, address)

    def audit_log(self, limit: int = 100) -> list[dict]:
        return self.store.audit_log(limit)

    # ------------------------------------------------------------ first start

    def bootstrap(self) -> str | None:
        """Make the installation usable: when no enabled admin exists, create the first admin
        (`first_admin_name`) with `TUTOR_ADMIN_PASSWORD` or a random password, and hash legacy
        `TUTOR_AUTH_USERS` pairs into learner accounts that don't exist yet. Returns the
        generated password, to print once, or None."""
        for pair in filter(None, (p.strip() for p in (self.settings.auth_users or "").split(","))):
            name, _, password = pair.partition(":")
            if _valid_id(name) and self.store.account(name.strip()) is None:
                self.add(name.strip(), password.strip(), "learner", actor="bootstrap")
        if self.store.count_admins():
            return None
        name = self.settings.first_admin_name
        generated = None if self.settings.admin_password else generate_password()
        password = self.settings.admin_password or generated
        existing = self.store.account(name)
        if existing is None:
            self.add(name, password, "admin", actor="bootstrap")
        elif existing["role"] == "admin":  # the first admin was disabled: make it usable again
            self.reset(name, password, actor="bootstrap")
            self.set_disabled(name, False, actor="bootstrap")
        else:
            raise AccountError(
                f"No admin account exists and {name!r} is a learner's account; "
                "set TUTOR_FIRST_ADMIN_NAME to another name and start again."
            )
        return generated



def account_subject(name: str) -> str:
    return f"account:{name.strip()}"


def address_subject(address: str) -> str:
    return f"address:{address}"


def _valid_id(name: object) -> bool:
    try:
        validate_learner_id(name)
    except ValueError:
        return False
    return True


def open_accounts(settings: Settings, clock: Callable[[], float] = time.time) -> AccountService:
    """The account service over the configured learners store."""
    return AccountService(LearnerStore(settings), settings, clock)


__all__ = [
    "AccountDisabled",
    "AccountError",
    "AccountService",
    "ImportReport",
    "NotAllowed",
    "Session",
    "SignInFailed",
    "TooManyAttempts",
    "generate_password",
    "open_accounts",
]

