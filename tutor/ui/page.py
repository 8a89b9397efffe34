"""The page: lays out its parts, lets them wire their events, and merges what they show.

Adding a part of the page is one new module with a `Part` class plus one line in `PARTS`.
Handlers return dicts keyed by component (named outputs); `Page.refresh` collects every
part's `show` for a learner, so a sign-in or an answer updates all parts without positions.
"""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from tutor.service.answering import TutorService
from tutor.service.accounts import Session as AccountSession
from tutor.service.learner import LearnerView
from tutor.ui.admin import AdminPart
from tutor.ui.chat import ChatPart
from tutor.ui.conversations import ConversationsPart
from tutor.ui.feedback import FeedbackPart
from tutor.ui.learner_panel import LearnerPanelPart
from tutor.ui.quiz import MasteryPart, QuizPart
from tutor.ui.session import Part, Session, UserError
from tutor.ui.signin import SignInPart
from tutor.ui.texts import PageTexts

SIGN_IN_FIRST = "Please sign in first: your name and password, then Enter."
SESSION_ENDED = "Your session has ended. Please sign in again."

PARTS: tuple[type, ...] = (
    ChatPart, FeedbackPart, QuizPart, SignInPart, LearnerPanelPart, MasteryPart, ConversationsPart, AdminPart
)


class Page:
    """One Blocks page over one service; parts reach the service and each other through it."""

    def __init__(self, service: TutorService, texts: PageTexts | None = None, parts: tuple[type, ...] = PARTS) -> None:
        self.service = service
        self.settings = service.settings
        profile = service.admin.profile()
        self.texts = texts or PageTexts.for_institute(profile)
        self.allowed_domains = profile.allowed_domains  # the only domains the Sources panel links to
        self.parts: list[Part] = [part(self) for part in parts]
        self.view_outputs: list[gr.components.Component] = []  # what the parts' `show` may update
        self.ask_sources: list[tuple[Callable, gr.components.Component]] = []  # (trigger, its question)
        self.demo: gr.Blocks | None = None
        self.session: gr.State | None = None

    def part(self, kind: type) -> Part:
        """The page's part of that class (for wiring across parts)."""
        return next(p for p in self.parts if isinstance(p, kind))

    # ------------------------------------------------------------ who is asking

    def account(self, session: Session) -> AccountSession | None:
        """The live account session behind this tab, None when nobody signed in. Read from the
        store on every call, so a sign-out, expiry or disabled account counts at once; a tab
        whose session ended is reset and told to sign in again."""
        if not session.token:
            return None
        live = self.service.accounts.session(session.token)
        if live is None:
            session.token, session.learner, session.admin = None, None, False
            raise UserError(SESSION_ENDED)
        return live

    def learner_of(self, session: Session, request: gr.Request | None = None) -> str | None:
        """Who is asking: the signed-in learner, or None for a guest (only when guests may ask).
        Never anything the client sent: the token lives in server-side state."""
        live = self.account(session)
        if live is not None:
            return live.learner_id
        if self.settings.guest_access:
            return None
        raise UserError(SIGN_IN_FIRST)

    # ------------------------------------------------------------ what every part shows

    def outputs(self, *extra: gr.components.Component) -> list:
        """The outputs of a handler that may refresh the whole page, plus `extra`."""
        return [self.session, *self.view_outputs, *extra]

    def refresh(self, session: Session, view: LearnerView | None = None) -> dict:
        """Every part's components for the session's learner (read once when no view is given)."""
        view = view or self.service.learners.view(session.learner)
        updates: dict = {self.session: session}
        for part in self.parts:
            updates.update(part.show(session, view))
        return updates

    def anonymous(self) -> Session:
        """A visitor who has not signed in: the starter suggestions, nothing stored."""
        return Session(suggestions=self.service.learners.view(None).suggestions)

    # ------------------------------------------------------------ layout

    def placed(self, place: str) -> list[Part]:
        return [part for part in self.parts if part.place == place]

    def build(self) -> gr.Blocks:
        with gr.Blocks(title=self.texts.title, delete_cache=(3600, 3600)) as demo:
            self.demo = demo
            self.session = gr.State(self.anonymous())
            gr.Markdown(self.texts.header, elem_id="tutor-header")
            with gr.Tabs():
                with gr.Tab("Ask the tutor", id="chat"):
                    with gr.Row(equal_height=False):
                        with gr.Column(scale=7):
                            for part in self.placed("main"):
                                part.build(self)
                        with gr.Column(scale=3, min_width=280):
                            for part in self.placed("side"):
                                part.build(self)
                for part in self.placed("tab"):
                    with gr.Tab(part.tab_label, id=part.tab_id, visible=part.tab_visible) as part.tab:
                        part.build(self)
            gr.Markdown(self.texts.footer, elem_id="tutor-footer")
            for part in self.parts:
                part.wire(self)
        demo.queue(default_concurrency_limit=8, max_size=256)
        return demo
