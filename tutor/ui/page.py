"""The page: lays out its parts, lets them wire their events, and merges what they show.

Adding a part of the page is one new module with a `Part` class plus one line in `PARTS`.
Handlers return dicts keyed by component (named outputs); `Page.refresh` collects every
part's `show` for a learner, so a sign-in or an answer updates all parts without positions.
"""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from tutor.service.answering import TutorService
from tutor.service.learner import LearnerView, validate_learner_id
from tutor.ui.admin import AdminPart
from tutor.ui.chat import ChatPart
from tutor.ui.conversations import ConversationsPart
from tutor.ui.feedback import FeedbackPart
from tutor.ui.learner_panel import LearnerPanelPart
from tutor.ui.quiz import MasteryPart, QuizPart
from tutor.ui.session import Part, Session, UserError
from tutor.ui.signin import SignInPart
from tutor.ui.texts import PageTexts

PARTS: tuple[type, ...] = (
    ChatPart, FeedbackPart, QuizPart, SignInPart, LearnerPanelPart, MasteryPart, ConversationsPart, AdminPart
)


class Page:
    """One Blocks page over one service; parts reach the service and each other through it."""

    def __init__(self, service: TutorService, texts: PageTexts | None = None, parts: tuple[type, ...] = PARTS) -> None:
        self.service = service
        self.settings = service.settings
        self.texts = texts or PageTexts.for_institute(service.admin.profile())
        self.parts: list[Part] = [part(self) for part in parts]
        self.view_outputs: list[gr.components.Component] = []  # what the parts' `show` may update
        self.ask_sources: list[tuple[Callable, gr.components.Component]] = []  # (trigger, its question)
        self.demo: gr.Blocks | None = None
        self.session: gr.State | None = None

    def part(self, kind: type) -> Part:
        """The page's part of that class (for wiring across parts)."""
        return next(p for p in self.parts if isinstance(p, kind))

    # ------------------------------------------------------------ who is asking

    def learner_of(self, session: Session, request: gr.Request | None) -> str | None:
        """The session's learner; with password sign-in, always the signed-in user."""
        if self.service.accounts.enabled:
            username = getattr(request, "username", None) if request is not None else None
            if not username:
                raise UserError("Please sign in again.")
            return validate_learner_id(username)
        return session.learner

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
                    with gr.Tab(part.tab_label, id=part.tab_id):
                        part.build(self)
            gr.Markdown(self.texts.footer, elem_id="tutor-footer")
            for part in self.parts:
                part.wire(self)
        demo.queue(default_concurrency_limit=8, max_size=256)
        return demo
