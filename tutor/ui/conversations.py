"""The learner's past conversations: listed newest first, one click reopens one to continue it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import gradio as gr

from tutor.service.learner import EARLIER, Conversation, LearnerView
from tutor.ui.chat import show_conversation
from tutor.ui.session import Session, UserError, friendly

if TYPE_CHECKING:
    from tutor.ui.page import Page

EARLIER_CHOICE = "earlier"  # the radio's value for turns stored before conversations existed
LABEL_CHARS = 48


def choice(conversation: Conversation) -> tuple[str, str]:
    """(label, value) of a conversation in the list: its first question and when it was last used."""
    first = conversation.first_question
    first = first if len(first) <= LABEL_CHARS else first[:LABEL_CHARS].rstrip() + "…"
    when = time.strftime("%d %b %H:%M", time.localtime(conversation.last))
    return f"{first} · {when}", conversation.id or EARLIER_CHOICE


class ConversationsPart:
    place = "side"

    def __init__(self, page: Page) -> None:
        self.page = page

    def build(self, page: Page) -> None:
        self.listing = gr.Radio([], label="Your conversations", visible=False, elem_id="conversations")
        page.view_outputs.append(self.listing)

    def show(self, session: Session, view: LearnerView) -> dict:
        choices = [choice(c) for c in view.conversations]
        current = session.conversation.id if any(value == session.conversation.id for _, value in choices) else None
        return {self.listing: gr.update(choices=choices, value=current, visible=bool(choices))}

    def wire(self, page: Page) -> None:
        self.listing.input(self.reopen, [self.listing, page.session], page.outputs(), api_name="reopen_conversation")

    @friendly
    def reopen(self, conversation_id: str, session: Session, request: gr.Request) -> dict:
        page = self.page
        learner = page.learner_of(session, request)
        if not learner:  # a guest has no stored conversations
            raise UserError("Sign in to see your conversations.")
        if session.busy:
            raise UserError("One moment: the tutor is still answering your question.")
        stored_id = EARLIER if conversation_id == EARLIER_CHOICE else str(conversation_id or "")
        thread, turns = page.service.learners.conversation(learner, stored_id)
        if not turns:
            raise UserError("That conversation no longer exists.")
        show_conversation(session, thread, turns, page.texts.no_answer, page.allowed_domains)
        return page.refresh(session)
