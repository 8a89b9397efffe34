"""The chat column: conversation, question box, Stop and New conversation; asking and streaming."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import gradio as gr

from tutor.retrieval import SearchUnavailable
from tutor.service.events import Final, Reset, Token, TutorAnswer, clean_question
from tutor.service.learner import ConversationThread, LearnerView, StoredTurn
from tutor.ui.render import (
    answer_messages,
    safe_markdown,
    user_message,
    without_suggestions,
)
from tutor.ui.session import FRIENDLY_ERROR, Session, friendly

if TYPE_CHECKING:
    from tutor.ui.page import Page

log = logging.getLogger("tutor.ui")

QUEUED = "⏳ _Your question is in line: the tutor answers one student at a time and will be with you shortly._"
RECHECKING = "🔁 _Checking the sources again…_"
CURSOR = " ▍"
STOPPED = "⏹ _Stopped._"


def show_conversation(
    session: Session, thread: ConversationThread, turns: list[StoredTurn], empty: str, domains: frozenset[str]
) -> None:
    """Put a stored conversation in the session's chat, each answer rateable again."""
    session.start_conversation(thread)
    for turn in turns:
        start = len(session.messages)
        session.messages += [user_message(turn.question), *answer_messages(turn.answer, turn.citations, empty, None, domains)]
        for index in range(start + 1, len(session.messages)):
            session.turn_ids[index] = turn.id


class ChatPart:
    place = "main"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.answer_events: list = []

    def build(self, page: Page) -> None:
        self.chatbot = gr.Chatbot(
            label="Conversation",
            show_label=False,
            elem_id="chat",
            height="62vh",
            min_height=380,
            placeholder=page.texts.welcome,
            sanitize_html=True,
            allow_tags=False,
            render_markdown=True,
            latex_delimiters=[],
            buttons=["copy"],
            feedback_options=("Like", "Dislike"),
            group_consecutive_messages=True,
            layout="bubble",
        )
        self.question = gr.Textbox(
            show_label=False,
            placeholder="Ask a question, e.g. “What does a machine learning engineer do?”",
            max_length=page.settings.max_question_chars,
            lines=1,
            max_lines=6,
            submit_btn="Ask",
            autofocus=True,
            elem_id="question",
        )
        with gr.Row():
            self.stop_btn = gr.Button("⏹ Stop", variant="stop", size="sm", visible=False, elem_id="stop")
            self.new_btn = gr.Button("New conversation", size="sm", elem_id="new-conversation")
        with gr.Row(visible=False):
            self.api_ask = gr.Button("ask")  # the API's one-call ask (never shown)
        page.view_outputs.append(self.chatbot)
        page.ask_sources.append((self.question.submit, self.question))

    def show(self, session: Session, view: LearnerView) -> dict:
        return {self.chatbot: session.messages}

    def wire(self, page: Page) -> None:
        staged = [page.session, self.chatbot, self.question, self.stop_btn]
        for trigger, source in page.ask_sources:
            self.then_answer(trigger(self.stage, [source, page.session], staged, queue=False, api_visibility="private"))
        self.then_answer(
            self.chatbot.option_select(self.stage_option, [page.session], staged, queue=False, api_visibility="private")
        )
        self.api_ask.click(
            self.ask, [self.question, page.session], page.outputs(self.question, self.stop_btn), api_name="ask", **self.queue()
        )
        self.stop_btn.click(
            self.stop, [page.session], staged, cancels=self.answer_events, queue=False, api_visibility="private"
        )
        self.new_btn.click(self.new_conversation, [page.session], page.outputs(), api_name="new_conversation")
        self.chatbot.clear(self.new_conversation, [page.session], page.outputs(), api_visibility="private")

    def queue(self) -> dict:
        return {"concurrency_id": "chat", "concurrency_limit": self.page.settings.concurrency_limit}

    def then_answer(self, staged_event) -> None:
        outputs = self.page.outputs(self.question, self.stop_btn)
        event = staged_event.then(
            self.answer, [self.page.session], outputs, api_visibility="private", show_progress="minimal", **self.queue()
        )
        self.answer_events.append(event)

    # ------------------------------------------------------------ asking

    @friendly
    def stage(self, question: str, session: Session, request: gr.Request) -> dict:
        """Instant step: show the question with a waiting line and lock the input. What stops it
        (not signed in, a session that ended) is said in the chat, and the question stays in the
        box: an error of this unqueued step would show only a red "Error" over the chat."""
        try:
            return self.staged(question, session, request)
        except gr.Error as refused:
            return self.noticed(session, f"🔒 {safe_markdown(refused.message)}")

    def staged(self, question: str, session: Session, request: gr.Request) -> dict:
        """The question staged for `answer`; raises when this tab may not ask (the API's refusal)."""
        page = self.page
        if session.busy:
            return self.noticed(session, "_One moment: the tutor is still answering your previous question._")
        text = clean_question(question)
        if not text:
            return self.noticed(session, "_Please type a question first._")
        page.learner_of(session, request)  # signed in (or a guest, when allowed): fails early otherwise
        session.pending, session.busy, session.stopped = text, True, False
        session.asking += 1
        session.messages = session.messages + [user_message(text), {"role": "assistant", "content": QUEUED}]
        return {
            page.session: session,
            self.chatbot: session.messages,
            self.question: gr.update(value="", interactive=False),
            self.stop_btn: gr.update(visible=True),
        }

    def noticed(self, session: Session, notice: str) -> dict:
        """The chat with a passing line from the tutor under it: never stored, gone at the next
        update (the unqueued step's toasts are not shown)."""
        return {self.page.session: session, self.chatbot: session.messages + [{"role": "assistant", "content": notice}]}

    def stage_option(self, session: Session, selected: gr.SelectData, request: gr.Request) -> dict:
        """A suggestion under a declined answer was clicked: ask it."""
        return self.stage(str(selected.value), session, request)

    def answer(self, session: Session, request: gr.Request):
        """Queued step: stream the answer into the waiting line, then record and refresh the page."""
        page = self.page
        question, session.pending = session.pending, None
        if not question:  # nothing was staged (empty question, or another one is being answered)
            yield {page.session: session}
            return
        mine = session.asking
        try:
            final = None
            for shown, final in self.drafts(session, question, request, mine):
                if shown is not None:
                    yield {page.session: session, self.chatbot: shown}
            if final is None:  # stopped: the Stop handler has shown what was written
                return
            updates = self.finish(session, final)
        except Exception as exc:  # noqa: BLE001 - the student sees a calm message, the log the cause
            yield self.failed(session, exc)
            return
        finally:
            if session.asking == mine:
                session.busy = False
        yield updates

    def drafts(self, session: Session, question: str, request: gr.Request, mine: int):
        """(chat to show, final answer or None) while the service streams; ends early on Stop."""
        learner = self.page.learner_of(session, request)
        text = ""
        self.set_line(session, self.page.texts.searching)
        yield session.messages, None
        events = self.page.service.stream(question, learner=learner, conversation=session.conversation)
        try:
            for event in events:
                if session.stopped or session.asking != mine:
                    return
                if isinstance(event, Token):
                    text += event.text
                    self.set_line(session, safe_markdown(text) + CURSOR)
                elif isinstance(event, Reset):
                    text = ""
                    self.set_line(session, RECHECKING)
                elif isinstance(event, Final):
                    yield None, event.answer
                    return
                yield session.messages, None
        finally:
            events.close()

    @staticmethod
    def set_line(session: Session, content: str) -> None:
        """Replace the answer being written (the chat's last message)."""
        session.messages = session.messages[:-1] + [{"role": "assistant", "content": content}]

    def finish(self, session: Session, final: TutorAnswer) -> dict:
        """The answer in the chat (sources collapsible, a declined answer's suggestions clickable)."""
        page = self.page
        declined = final.route != "answer"
        text = without_suggestions(final.answer, final.suggestions) if declined else final.answer
        replies = answer_messages(text, final.citations, page.texts.no_answer, final.notice, page.allowed_domains)
        if declined and final.suggestions:
            replies[0]["options"] = [{"value": s, "label": s} for s in final.suggestions]
        base = session.messages[:-2]  # without the staged question and waiting line
        session.messages = base + [user_message(final.question), *replies]
        if final.turn_id is not None:
            for index in range(len(base) + 1, len(session.messages)):
                session.turn_ids[index] = final.turn_id
        if final.suggestions:
            session.suggestions = final.suggestions
        if final.topics:
            session.last_topic = final.topics[0]
        if final.notice:
            gr.Warning(final.notice)
        view = page.service.learners.view(final.learner, answer=final)
        return {**page.refresh(session, view), **self.unlocked()}

    def failed(self, session: Session, exc: Exception) -> dict:
        if isinstance(exc, gr.Error):
            shown = exc.message
        elif isinstance(exc, SearchUnavailable):
            log.warning("search unavailable: %s", exc.__cause__)
            shown = f"⚠️ {exc}"
        else:
            log.error("answering failed: %s", type(exc).__name__, exc_info=exc)
            shown = FRIENDLY_ERROR
        self.set_line(session, f"⚠️ {safe_markdown(shown)}")
        return {self.page.session: session, self.chatbot: session.messages, **self.unlocked()}

    def unlocked(self) -> dict:
        return {self.question: gr.update(interactive=True), self.stop_btn: gr.update(visible=False)}

    def ask(self, question: str, session: Session, request: gr.Request):
        """The API's one-call version of stage + answer (the page uses the two steps)."""
        self.staged(question, session, request)
        if not session.pending:  # nothing to answer: the chat as it is
            yield {self.page.session: session, self.chatbot: session.messages}
            return
        yield from self.answer(session, request)

    # ------------------------------------------------------------ stopping and starting over

    @friendly
    def stop(self, session: Session) -> dict:
        """Stop the answer being written; what was written stays, marked as stopped (not stored)."""
        if session.busy:
            session.stopped, session.busy, session.pending = True, False, None
            written = session.messages[-1]["content"] if session.messages else ""
            partial = written.removesuffix(CURSOR) if written.endswith(CURSOR) else ""
            self.set_line(session, f"{partial}\n\n{STOPPED}".strip())
        return {self.page.session: session, self.chatbot: session.messages, **self.unlocked()}

    @friendly
    def new_conversation(self, session: Session) -> dict:
        """Start a new conversation; the stored ones stay listed and can be reopened."""
        self.page.account(session)  # an ended session is reset here, not shown again
        if session.busy:
            gr.Warning("A new conversation starts once the current answer is complete.")
            return {self.page.session: session, self.chatbot: session.messages}
        session.start_conversation()
        return self.page.refresh(session)
