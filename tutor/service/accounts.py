"""Accounts as the faces see them: `tutor.accounts.AccountService` over the service's own
learners store (one store, one truth), plus the gate every admin action on the page passes.

The page imports accounts from here only, so the service layer stays the one thing it calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tutor.accounts import AccountError, AccountService, NotAllowed, Session, TooManyAttempts
from tutor.config import Settings
from tutor.learners import LearnerStore


def account_service(store: LearnerStore, settings: Settings, clock: Callable[[], float] = time.time) -> AccountService:
    """The accounts over `store` (the learners store the tutor already holds open)."""
    return AccountService(store, settings, clock)


@dataclass
class AdminAction:
    """One admin action under way: who does it, and the outcome to audit (set it when known)."""

    admin: Session
    outcome: str = "ok"


@contextmanager
def admin_action(accounts: AccountService, token: str | None, action: str, target: str, address: str) -> Iterator[AdminAction]:
    """Run an admin action only for a signed-in admin (NotAllowed, audited, otherwise) and audit
    how it ended: the outcome the body set, or that it failed. Private endpoints stay reachable
    over HTTP, so this check in the handler is what protects them."""
    done = AdminAction(accounts.require_admin(token, action, target, address))
    try:
        yield done
    except Exception as exc:
        accounts.audit(done.admin.name, action, target, f"failed: {type(exc).__name__}", address)
        raise
    accounts.audit(done.admin.name, action, target, done.outcome, address)


__all__ = ["AccountError", "AccountService", "AdminAction", "NotAllowed", "Session", "TooManyAttempts", "account_service", "admin_action"]
