"""The learner's side panel: suggested next questions (one click asks), a hint, their topics
and their level."""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

from tutor.service import pedagogy
from tutor.service.learner import LearnerView
from tutor.ui.render import hint_markdown, topics_markdown
from tutor.ui.session import Session, UserError, friendly

if TYPE_CHECKING:
    from tutor.ui.page import Page

SUGGESTION_SLOTS = 3
ANONYMOUS_TOPICS = "_Sign in to keep your history and see the topics you've explored._"


class LearnerPanelPart:
    place = "side"

    def __init__(self, page: Page) -> None:
        self.page = page

    def build(self, page: Page) -> None:
        gr.Markdown("#### You could ask next")
        starters = (page.session.value.suggestions + [""] * SUGGESTION_SLOTS)[:SUGGESTION_SLOTS]
        self.suggestions = [
            gr.Button(s or " ", size="sm", visible=bool(s), elem_classes=["suggestion"]) for s in starters
        ]
        self.hint = gr.Markdown(elem_id="hint", label="Hint")
        gr.Markdown("#### Your topics")
        self.topics = gr.Markdown(ANONYMOUS_TOPICS, elem_id="topics", label="Your topics")
        self.level = gr.Radio(list(pedagogy.levels()), label="Your level", interactive=True, visible=False, elem_id="level")
        page.view_outputs += [*self.suggestions, self.hint, self.topics, self.level]
        page.ask_sources += [(button.click, button) for button in self.suggestions]

    def show(self, session: Session, view: LearnerView) -> dict:
        shown = (session.suggestions + [""] * SUGGESTION_SLOTS)[:SUGGESTION_SLOTS]
        return {
            **{button: gr.update(value=s or " ", visible=bool(s)) for button, s in zip(self.suggestions, shown)},
            self.hint: hint_markdown(view.hint),
            self.topics: topics_markdown(view.topics) if view.learner else ANONYMOUS_TOPICS,
            self.level: gr.update(value=view.level, visible=bool(view.learner)),
        }

    def wire(self, page: Page) -> None:
        self.level.input(self.set_level, [self.level, page.session], None, api_name="set_level")

    @friendly
    def set_level(self, level: str, session: Session, request: gr.Request) -> None:
        learner = self.page.learner_of(session, request)
        if not learner:
            gr.Info("Sign in first, then your level is remembered.", duration=4)
            return
        try:
            self.page.service.learners.set_level(learner, level)
        except ValueError:
            raise UserError(f"Choose one of: {', '.join(pedagogy.levels())}.") from None
        gr.Info(f"Got it: answers will be pitched at {level} level.", duration=4)
