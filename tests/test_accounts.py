"""Accounts attacked as an attacker would, on a real SQLite file and a real PostgreSQL server:
brute force, impersonation, stolen and expired sessions, disabled accounts, bad imports.
Time is a clock the tests move, so lock-outs and expiry are tested without sleeping."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tutor.accounts import (
    AccountDisabled,
    AccountError,
    AccountService,
    NotAllowed,
    SignInFailed,
    ThrottlePolicy,
    TooManyAttempts,
    describe_wait,
)
from tutor.config import Settings
from tutor.learners import LearnerStore

from .test_learners import ask, query, settings, store  # noqa: F401  (fixtures over both stores)

PASSWORD = "correct horse battery"
ATTACKER, STUDENT_HOME, ELSEWHERE = "203.0.113.66", "198.51.100.7", "192.0.2.10"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(store: LearnerStore, settings: Settings, clock: Clock) -> AccountService:  # noqa: F811
    service = AccountService(store, settings, clock)
    service.add("victim", PASSWORD)
    service.add("bystander", PASSWORD)
    service.add("boss", PASSWORD, role="admin")
    return service


def guess(accounts: AccountService, name: str, address: str = ATTACKER, password: str = "wrong-guess") -> str:
    """One sign-in attempt; the name of the exception it ended with, or "ok"."""
    try:
        accounts.authenticate(name, password, address)
    except AccountError as exc:
        return type(exc).__name__
    return "ok"


# --- passwords and sessions ------------------------------------------------------------------


def test_sign_in_gives_a_session_and_the_store_holds_only_hashes(accounts, settings):  # noqa: F811
    session = accounts.authenticate("victim", PASSWORD, STUDENT_HOME)
    assert session.name == session.learner_id == "victim" and session.role == "learner" and not session.is_admin
    assert accounts.session(session.token) == session
    [(stored,)] = query(settings, "SELECT password_hash FROM accounts WHERE name = ?", ("victim",))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    [(token_hash,)] = query(settings, "SELECT token_hash FROM sessions")
    assert session.token not in token_hash


def test_wrong_password_and_unknown_name_look_the_same(accounts):
    with pytest.raises(SignInFailed) as wrong:
        accounts.authenticate("victim", "not-the-password", ATTACKER)
    with pytest.raises(SignInFailed) as unknown:
        accounts.authenticate("nobody-here", "not-the-password", ELSEWHERE)
    assert str(wrong.value) == str(unknown.value)


def test_typing_a_name_alone_or_a_hostile_value_never_signs_in(accounts):
    attempts = [("victim", ""), ("victim", None), ("x'; DROP TABLE accounts;--", PASSWORD), (None, PASSWORD),
                ("victim", "a" * 100_000)]
    for i, (name, password) in enumerate(attempts):
        with pytest.raises(SignInFailed):
            accounts.authenticate(name, password, f"10.0.0.{i}")
    assert accounts.session(None) is None and accounts.session("") is None and accounts.session("forged-token") is None


def test_sessions_expire(accounts, clock, settings):  # noqa: F811
    session = accounts.authenticate("victim", PASSWORD, STUDENT_HOME)
    clock.advance(settings.session_hours * 3600 - 1)
    assert accounts.session(session.token) is not None
    clock.advance(2)
    assert accounts.session(session.token) is None


def test_sign_out_ends_the_session_server_side(accounts):
    first = accounts.authenticate("victim", PASSWORD, STUDENT_HOME)
    other_device = accounts.authenticate("victim", PASSWORD, STUDENT_HOME)
    copied_token = first.token
    accounts.sign_out(first.token, STUDENT_HOME)
    assert accounts.session(copied_token) is None, "a copy of the token must be worthless after sign-out"
    assert accounts.session(other_device.token) is not None, "signing out one device leaves the others"


def test_disabled_account_cannot_sign_in_and_its_sessions_end(accounts):
    session = accounts.authenticate("victim", PASSWORD, STUDENT_HOME)
    accounts.set_disabled("victim", True, actor="boss")
    assert accounts.session(session.token) is None
    with pytest.raises(AccountDisabled):
        accounts.authenticate("victim", PASSWORD, STUDENT_HOME)
    with pytest.raises(SignInFailed):  # without the password, disabled looks like anything else
        accounts.authenticate("victim", "not-the-password", STUDENT_HOME)
    accounts.set_disabled("victim", False, actor="boss")
    assert accounts.authenticate("victim", PASSWORD, STUDENT_HOME).name == "victim"


def test_reset_ends_sessions_and_replaces_the_password(accounts):
    session = accounts.authenticate("victim", PASSWORD, STUDENT_HOME)
    accounts.reset("victim", "a brand new secret", actor="boss")
    assert accounts.session(session.token) is None
    assert guess(accounts, "victim", STUDENT_HOME, PASSWORD) == "SignInFailed"
    assert accounts.authenticate("victim", "a brand new secret", STUDENT_HOME).name == "victim"


def test_forget_ends_sessions_but_keeps_the_account(accounts, store):  # noqa: F811
    session = accounts.authenticate("victim", PASSWORD, STUDENT_HOME)
    ask(store, "victim", "What is a hackathon?")
    assert store.forget("victim") >= 2
    assert accounts.session(session.token) is None and store.history("victim") == []
    assert accounts.authenticate("victim", PASSWORD, STUDENT_HOME).name == "victim"


# --- brute force -----------------------------------------------------------------------------


def test_brute_force_is_slowed_then_locked_out_and_the_honest_user_recovers(accounts, clock, settings):  # noqa: F811
    burst = [guess(accounts, "victim") for _ in range(40)]
    assert burst.count("SignInFailed") == settings.signin_free_failures, "only the free failures reach the password check"
    assert set(burst[settings.signin_free_failures:]) == {"TooManyAttempts"}
    assert guess(accounts, "victim", password=PASSWORD) == "TooManyAttempts", "even the right password waits"

    delays = []
    for attempt in range(settings.signin_lockout_after - settings.signin_free_failures):
        wait = accounts.store.blocked_until(["account:victim"]) - clock.now  # a patient attacker waits it out,
        delays.append(wait)
        clock.advance(wait)
        assert guess(accounts, "victim", address=f"198.18.0.{attempt}") == "SignInFailed"  # from fresh addresses
    assert delays == [1, 2, 4, 8, 16, 32, 64], "each failure doubles the wait"
    assert accounts.store.blocked_until(["account:victim"]) - clock.now == settings.signin_lockout_s
    with pytest.raises(TooManyAttempts, match="try again in 15 minutes"):
        accounts.authenticate("victim", PASSWORD, STUDENT_HOME)

    assert accounts.authenticate("bystander", PASSWORD, STUDENT_HOME).name == "bystander", "other accounts unaffected"
    clock.advance(settings.signin_lockout_s)
    assert accounts.authenticate("victim", PASSWORD, STUDENT_HOME).name == "victim", "the honest user recovers"
    assert guess(accounts, "victim", STUDENT_HOME) == "SignInFailed", "and a success starts the count again"


def test_one_address_guessing_many_names_is_slowed(accounts):
    assert [guess(accounts, name) for name in ("alice", "bob", "carol")] == ["SignInFailed"] * 3
    assert guess(accounts, "bystander", ATTACKER, PASSWORD) == "TooManyAttempts"
    assert guess(accounts, "bystander", ELSEWHERE, PASSWORD) == "ok"


def test_lock_out_holds_across_processes(accounts, settings, clock):  # noqa: F811
    for _ in range(3):
        guess(accounts, "victim")
    other_process = AccountService(LearnerStore(settings), settings, clock)
    assert guess(other_process, "victim", ELSEWHERE, PASSWORD) == "TooManyAttempts"


def test_admin_sign_in_is_throttled_and_audited_without_passwords(accounts):
    results = [guess(accounts, "boss", password=f"guess-{i}") for i in range(40)]
    assert results.count("ok") == 0 and results.count("SignInFailed") == 3
    log = accounts.audit_log(limit=100)
    assert {row["outcome"] for row in log if row["action"] == "sign_in"} >= {"wrong password", "throttled"}
    assert not any("guess-" in json.dumps(row) for row in log), "the audit log never holds a typed password"


def test_names_that_are_no_account_are_not_written_to_the_audit_log(accounts):
    guess(accounts, "my-real-password-typed-as-name")
    assert all(row["actor"] != "my-real-password-typed-as-name" for row in accounts.audit_log())


# --- roles, guests, registration, bootstrap --------------------------------------------------


def test_only_a_signed_in_admin_passes_the_admin_gate(accounts):
    learner = accounts.authenticate("victim", PASSWORD, STUDENT_HOME)
    admin = accounts.authenticate("boss", PASSWORD, STUDENT_HOME)
    for token in (None, "forged", learner.token):
        with pytest.raises(NotAllowed):
            accounts.require_admin(token, "upload", "page.txt", ATTACKER)
    assert accounts.require_admin(admin.token, "upload", "page.txt", STUDENT_HOME).name == "boss"
    denied = [row for row in accounts.audit_log() if row["action"] == "upload" and row["outcome"] == "denied"]
    assert len(denied) == 3 and {row["actor"] for row in denied} == {"(unknown)", "victim"}


def test_guest_is_off_by_default_and_stores_nothing(accounts, settings, store, clock):  # noqa: F811
    with pytest.raises(NotAllowed):
        accounts.guest()
    guest = AccountService(store, settings.model_copy(update={"guest_access": True}), clock).guest()
    assert guest.token is None and guest.learner_id is None and guest.role == "guest"


def test_self_registration_only_when_turned_on(accounts, settings, store, clock):  # noqa: F811
    with pytest.raises(NotAllowed):
        accounts.register("newcomer", PASSWORD, ELSEWHERE)
    open_door = AccountService(store, settings.model_copy(update={"self_registration": True}), clock)
    session = open_door.register("newcomer", PASSWORD, ELSEWHERE)
    assert session.role == "learner" and open_door.session(session.token).name == "newcomer"
    with pytest.raises(AccountError, match="already exists"):
        open_door.register("victim", PASSWORD, ATTACKER)
    with pytest.raises(AccountError, match="Passwords need"):
        open_door.register("shorty", "short", ELSEWHERE)


def test_bootstrap_creates_one_admin_with_a_password_shown_once(store, settings, clock):  # noqa: F811
    service = AccountService(store, settings.model_copy(update={"auth_users": "alice:alice-secret-1, bob:bob-secret-22"}), clock)
    password = service.bootstrap()
    assert password and service.authenticate("admin", password, STUDENT_HOME).is_admin
    assert service.bootstrap() is None, "never a second admin, never the password again"
    assert service.authenticate("alice", "alice-secret-1", STUDENT_HOME).role == "learner"
    hashes = [row[0] for row in query(settings, "SELECT password_hash FROM accounts")]
    assert all(h.startswith("$argon2") for h in hashes) and not any("secret" in h for h in hashes)


def test_bootstrap_uses_the_configured_admin_password(store, settings, clock):  # noqa: F811
    service = AccountService(store, settings.model_copy(update={"admin_password": "configured-admin-pw"}), clock)
    assert service.bootstrap() is None
    assert service.authenticate("admin", "configured-admin-pw", STUDENT_HOME).is_admin


# --- admin work: add, import ------------------------------------------------------------------


def test_import_reports_bad_lines_and_adds_the_good_ones(accounts):
    csv_text = """name,password,role
ada,ada-password-1
grace,grace-password-2,admin
victim,whatever-password
bad/name,some-password-3
tiny,short
linus,linus-password-4,superuser
just-a-name

margaret,margaret-password-5,learner
"""
    report = accounts.import_csv(csv_text, actor="boss")
    assert report.added == ["ada", "grace", "margaret"] and report.existing == ["victim"]
    assert [line for line, _ in report.problems] == [5, 6, 7, 8]
    assert "Passwords need" in dict(report.problems)[6] and "Role" in dict(report.problems)[7]
    assert accounts.authenticate("grace", "grace-password-2", STUDENT_HOME).is_admin
    assert guess(accounts, "victim", STUDENT_HOME, "whatever-password") == "SignInFailed", "existing password kept"


def test_add_refuses_weak_passwords_and_taken_names(accounts):
    for name, password in [("carol", "short"), ("carol1234", "carol1234"), ("../etc", "long-enough-pw"), ("victim", "long-enough-pw")]:
        with pytest.raises(AccountError):
            accounts.add(name, password)
    assert {row["name"] for row in accounts.list_accounts()} == {"victim", "bystander", "boss"}
    assert all("password_hash" not in row for row in accounts.list_accounts())


# --- pure policy -----------------------------------------------------------------------------


def test_throttle_policy_doubles_then_locks_out():
    policy = ThrottlePolicy(free=3, base_s=1.0, lockout_after=10, lockout_s=900.0)
    assert [policy.delay_s(n) for n in range(1, 12)] == [0, 0, 1, 2, 4, 8, 16, 32, 64, 900, 900]


def test_waits_are_described_calmly_and_rounded_up():
    assert [describe_wait(s) for s in (0.2, 1, 59.5, 61, 900)] == ["1 second", "1 second", "60 seconds", "2 minutes", "15 minutes"]


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def cli(settings, monkeypatch):  # noqa: F811
    """Run `tutor ...` in-process against this test's store."""
    from tutor.cli import app
    from tutor.config import get_settings

    monkeypatch.setenv("TUTOR_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("TUTOR_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("TUTOR_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args, input=None: runner.invoke(app, list(args), input=input)
    get_settings.cache_clear()


def test_cli_manages_accounts(cli, tmp_path, settings, clock):  # noqa: F811
    added = cli("users", "add", "ada", "--generate")
    assert added.exit_code == 0, added.output
    password = added.output.split("password for ada: ")[1].split()[0]
    assert cli("users", "add", "grace", "--role", "admin", input="grace-secret-1\ngrace-secret-1\n").exit_code == 0
    assert cli("users", "add", "ada", "--generate").exit_code == 1  # taken: one calm line, no trace
    listed = json.loads(cli("users", "list", "--json").stdout)
    assert [(row["name"], row["role"], row["disabled"]) for row in listed] == [("ada", "learner", False), ("grace", "admin", False)]
    assert cli("users", "disable", "ada").exit_code == 0
    assert json.loads(cli("users", "list", "--json").stdout)[0]["disabled"] is True
    assert cli("users", "enable", "ada").exit_code == 0
    accounts = AccountService(LearnerStore(settings), settings, clock)
    assert accounts.authenticate("ada", password, STUDENT_HOME).name == "ada"
    assert cli("users", "reset", "ada", input="ada-new-secret\nada-new-secret\n").exit_code == 0
    assert accounts.authenticate("ada", "ada-new-secret", STUDENT_HOME).name == "ada"
    assert cli("users", "reset", "nobody", "--generate").exit_code == 1

    file = tmp_path / "people.csv"
    file.write_text("name,password\nlinus,linus-secret-1\nbad,x\n", encoding="utf-8")
    imported = cli("users", "import", str(file))
    assert imported.exit_code == 2 and "line 3" in imported.output

    audit = json.loads(cli("users", "audit", "--json").stdout)
    assert {"add_account", "disable_account", "enable_account", "reset_password", "import_accounts"} <= {r["action"] for r in audit}
    assert all(r["actor"].startswith("cli") for r in audit if r["action"] != "sign_in")
    assert password not in json.dumps(audit) and "ada-new-secret" not in json.dumps(audit)


def test_cli_bootstrap_prints_the_first_admin_password_once(cli):
    first = cli("users", "bootstrap")
    assert first.exit_code == 0 and "password for admin: " in first.output
    second = cli("users", "bootstrap")
    assert second.exit_code == 0 and "password" not in second.output
