"""Per-session state, the calm error handling every handler shares, and what a page part is."""

from __future__ import annotations

import functools
import inspect
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import gradio as gr

from tutor.service.learner import ConversationThread, LearnerView

if TYPE_CHECKING:
    from tutor.ui.page import Page

log = logging.getLogger("tutor.ui")

FRIENDLY_ERROR = "Sorry, something went wrong on our side. Please try again in a moment."


@dataclass
class QuizRun:
    """The quiz a tab is taking: whose, on which topic, the item on screen, the check's rest."""

    learner: str | None = None
    topic: str | None = None  # None: due reviews, then the weakest topic
    item: str | None = None  # the item shown, answered next
    queue: list[str] = field(default_factory=list)  # "I know this already": the check's remaining items
    feedback: str = ""  # the verdict on the previous answer, as shown


@dataclass
class Session:
    """What one browser tab (or API client) holds on the server; never sent by the client."""

    token: str | None = None  # the account session's token: the one proof of who is asking
    learner: str | None = None  # the signed-in name, for display (checked against `token`)
    messages: list[dict] = field(default_factory=list)  # the chat exactly as displayed
    turn_ids: dict[int, int] = field(default_factory=dict)  # message index -> stored turn id
    conversation: ConversationThread = field(default_factory=ConversationThread)
    pending: str | None = None  # staged by the instant step, answered by the queued step
    busy: bool = False  # a question of this session is waiting or being answered
    asking: int = 0  # number of the question being answered: a stopped answer sees it change
    stopped: bool = False  # the student pressed Stop
    suggestions: list[str] = field(default_factory=list)
    admin: bool = False  # shows the Admin tab; every admin action still checks `token`
    last_topic: str | None = None  # the last answer's first topic: what a quiz starts on
    quiz: QuizRun = field(default_factory=QuizRun)

    def start_conversation(self, thread: ConversationThread | None = None) -> None:
        """Show a conversation from its start (a new one unless `thread` is given)."""
        self.messages, self.turn_ids = [], {}
        self.conversation = thread or ConversationThread()


class Part(Protocol):
    """One part of the page: builds its components where the page puts it, wires its events once
    every part is built, and says what it shows for a learner (`show`, the outputs it names)."""

    place: str  # "main" (chat column), "side" (panel column) or "tab" (its own tab)

    def build(self, page: Page) -> None: ...

    def wire(self, page: Page) -> None: ...

    def show(self, session: Session, view: LearnerView) -> dict: ...


def address(request: gr.Request | None) -> str:
    """Where a request comes from, for throttling and the audit log."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"


def UserError(message: str) -> gr.Error:  # noqa: N802 - reads like the exception it returns
    """An error caused by the request (shown to the user, not logged with a traceback)."""
    return gr.Error(message, print_exception=False)


def friendly(fn):
    """Turn any unexpected exception into a calm message; gr.Error passes through unchanged."""

    def fail(exc: Exception):
        if isinstance(exc, gr.Error):
            raise exc
        log.error("handler %s failed: %s", fn.__name__, type(exc).__name__, exc_info=exc)
        raise gr.Error(FRIENDLY_ERROR, print_exception=False) from None

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - shown as a friendly message
                fail(exc)

        return generator

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - shown as a friendly message
            fail(exc)

    return wrapper
