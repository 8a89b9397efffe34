"""Thumbs up/down on answers (the chat's buttons, and an API endpoint by message index)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

from tutor.service.learner import LearnerView
from tutor.ui.chat import ChatPart
from tutor.ui.session import Session, UserError, friendly

if TYPE_CHECKING:
    from tutor.ui.page import Page

THANKS = "Thanks! Your feedback helps us improve the tutor."
NOT_RATEABLE = "That message can't be rated."


class FeedbackPart:
    place = "main"

    def __init__(self, page: Page) -> None:
        self.page = page

    def build(self, page: Page) -> None:
        with gr.Row(visible=False):  # API-only: feedback by message index
            self.index = gr.Number(precision=0, label="index")
            self.rating = gr.Number(precision=0, label="rating")
            self.status = gr.Textbox(label="status")
            self.api_btn = gr.Button("feedback")

    def show(self, session: Session, view: LearnerView) -> dict:
        return {}

    def wire(self, page: Page) -> None:
        chatbot = page.part(ChatPart).chatbot
        chatbot.like(self.on_like, [page.session], None, api_visibility="private")
        self.api_btn.click(self.feedback_api, [self.index, self.rating, page.session], [self.status], api_name="feedback")

    def rate(self, session: Session, request: gr.Request | None, index: int, rating: int) -> str:
        learner = self.page.learner_of(session, request)
        if not learner:
            return "Sign in to rate answers."
        turn_id = session.turn_ids.get(int(index))
        if turn_id is None:
            return NOT_RATEABLE
        try:
            self.page.service.learners.rate(learner, turn_id, rating)
        except PermissionError:
            return NOT_RATEABLE
        return THANKS

    @friendly
    def on_like(self, session: Session, data: gr.LikeData, request: gr.Request) -> None:
        if data.liked not in (True, False):
            return  # the thumb was un-selected: keep the earlier rating
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        gr.Info(self.rate(session, request, int(index), 1 if data.liked else -1), duration=4)

    @friendly
    def feedback_api(self, index: float, rating: float, session: Session, request: gr.Request) -> str:
        if rating not in (1, -1) or index is None:
            raise UserError("rating must be 1 or -1, index the rated message's position in the chat")
        return self.rate(session, request, int(index), int(rating))
