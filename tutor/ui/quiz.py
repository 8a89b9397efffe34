""""Check my understanding": a quiz under the chat, and the learner's mastery in the side panel.

A quiz starts on the topic of the last answer or on one chosen in the list; one item at a time
(choices as a radio, a typed answer otherwise), graded at once with the source passage quoted
and cited. "I know this already" runs a short check instead of trusting the click. Every
attempt goes through the service layer (`TutorService.quizzes`), which records it.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import gradio as gr

from tutor.learning.bank import QuizItem
from tutor.learning.service import Feedback
from tutor.service.learner import LearnerView
from tutor.ui.render import plain_text
from tutor.ui.session import QuizRun, Session, UserError, friendly

if TYPE_CHECKING:
    from tutor.ui.page import Page

BAR_CELLS = 8
LAST_ANSWER = "@last-answer"  # the topic list's first entry: the topic of the last answer
NO_PROGRESS = "_Take a quiz to see how well you know each topic._"


def mastery_bar(mastery: float) -> str:
    """A text progress bar (it survives any Markdown sanitising): 60% ▓▓▓▓▓░░░."""
    filled = round(mastery * BAR_CELLS)
    return f"{mastery:.0%} " + "▓" * filled + "░" * (BAR_CELLS - filled)


def progress_markdown(progress: dict) -> str:
    """Mastery of the topics practised, what is due for review and what to explore next."""
    practised = [t for t in progress["topics"] if t["attempts"]]
    if not practised:
        return NO_PROGRESS
    rows = ["| Topic | Mastery |", "|---|---|"]
    for t in practised:
        mark = " ✓" if t["mastered"] else " (fading)" if t["decaying"] else ""
        rows.append(f"| {plain_text(t['label'])} | {mastery_bar(t['mastery'])}{mark} |")
    due = progress["due"]
    lines = ["\n".join(rows)]
    lines.append(f"**Due for review:** {len(due)}" if due else "_Nothing due for review._")
    lines += [f"- {plain_text(review['question'] or review['label'])}" for review in due[:3]]
    return "\n\n".join(lines)


def feedback_markdown(feedback: Feedback) -> str:
    """The verdict with the quoted, cited source and the topic's new standing."""
    icon = "✅" if feedback.correct else "❌"
    return (
        f"{icon} {plain_text(feedback.message)}\n\n"
        f"<small>Mastery of this topic: {feedback.mastery_before:.0%} → {feedback.mastery:.0%}</small>"
    )


def question_markdown(item: QuizItem | None, label: str, checking: int) -> str:
    """The item on screen under its topic (and how many of a check are left), or the end of the quiz."""
    if item is None:
        return "_No more questions here for now: well done._"
    check = f" · check, {checking} left" if checking else ""
    return f"**{html.escape(label)}**{check}\n\n{plain_text(item.question)}"


class QuizPart:
    """The quiz under the chat (signed-in learners only)."""

    place = "main"

    def __init__(self, page: Page) -> None:
        self.page = page

    def build(self, page: Page) -> None:
        with gr.Accordion("Check my understanding", open=False, visible=False, elem_id="quiz") as self.box:
            with gr.Row():
                self.topic = gr.Dropdown(label="Topic", choices=[], elem_id="quiz-topic", scale=3)
                self.start_btn = gr.Button("Quiz me", variant="primary", size="sm", elem_id="quiz-start", scale=1)
                self.know_btn = gr.Button("I know this already", size="sm", elem_id="quiz-know", scale=1)
            self.feedback = gr.Markdown(elem_id="quiz-feedback")
            self.question = gr.Markdown(elem_id="quiz-question")
            self.choices = gr.Radio([], label="Your answer", visible=False, elem_id="quiz-choices")
            self.typed = gr.Textbox(label="Your answer", visible=False, max_length=200, elem_id="quiz-typed")
            self.submit_btn = gr.Button("Check answer", size="sm", visible=False, elem_id="quiz-submit")
        page.view_outputs += [self.box, self.topic, self.feedback, self.question, self.choices, self.typed, self.submit_btn]

    def show(self, session: Session, view: LearnerView) -> dict:
        quizzes = self.page.service.quizzes
        if session.quiz.learner != session.learner:  # signed out, or someone else signed in
            session.quiz = QuizRun(learner=session.learner)
        run = session.quiz
        item = quizzes.item(run.item)
        topics = [("Topic of my last answer", LAST_ANSWER), *quizzes.topics()] if session.learner else []
        started = run.item is not None or bool(run.feedback)
        return {
            self.box: gr.update(visible=bool(session.learner)),
            self.topic: gr.update(choices=topics, value=run.topic or LAST_ANSWER),
            self.feedback: run.feedback,
            self.question: question_markdown(item, quizzes.label(item.topic) if item else "", len(run.queue)) if started else "",
            self.choices: gr.update(choices=list(item.choices) if item else [], value=None, visible=bool(item and item.choices)),
            self.typed: gr.update(value="", visible=bool(item and not item.choices)),
            self.submit_btn: gr.update(visible=item is not None),
        }

    def wire(self, page: Page) -> None:
        outputs = page.outputs()
        self.start_btn.click(self.start, [self.topic, page.session], outputs, api_name="quiz_start")
        self.know_btn.click(self.check, [self.topic, page.session], outputs, api_name="quiz_know")
        answer_inputs = [self.choices, self.typed, page.session]
        self.submit_btn.click(self.submit, answer_inputs, outputs, api_name="quiz_answer")
        self.typed.submit(self.submit, answer_inputs, outputs, api_visibility="private")

    # ------------------------------------------------------------ handlers

    def signed_in(self, session: Session, request: gr.Request | None) -> str:
        learner = self.page.learner_of(session, request)
        if not learner:
            raise UserError("Sign in first: your quiz results are kept with your history.")
        return learner

    def chosen(self, topic: str | None, session: Session) -> str | None:
        """The topic picked in the list, else the last answer's (None: reviews, then the weakest)."""
        return topic if topic and topic != LAST_ANSWER else session.last_topic

    @friendly
    def start(self, topic: str | None, session: Session, request: gr.Request) -> dict:
        learner = self.signed_in(session, request)
        chosen = self.chosen(topic, session)
        item = self.page.service.quizzes.next_item(learner, chosen)
        session.quiz = QuizRun(learner=learner, topic=chosen, item=item.id if item else None)
        if item is None:
            session.quiz.feedback = "_No questions on this topic yet._"
        return self.page.refresh(session)

    @friendly
    def check(self, topic: str | None, session: Session, request: gr.Request) -> dict:
        """"I know this already": a few items of the topic; mastery moves only if they are right."""
        learner = self.signed_in(session, request)
        chosen = self.chosen(topic, session)
        if not chosen:
            raise UserError("Choose a topic first, or ask a question about it.")
        try:
            items = self.page.service.quizzes.check_known(learner, chosen)
        except ValueError:
            raise UserError("There are no questions on this topic yet.") from None
        session.quiz = QuizRun(learner=learner, topic=chosen, item=items[0].id, queue=[i.id for i in items[1:]])
        session.quiz.feedback = f"_Show what you know: {len(items)} questions on this topic._"
        return self.page.refresh(session)

    @friendly
    def submit(self, choice: str | None, typed: str | None, session: Session, request: gr.Request) -> dict:
        learner = self.signed_in(session, request)
        run = session.quiz
        response = (choice or typed or "").strip()
        if run.item is None:
            raise UserError("Start a quiz first.")
        if not response:
            raise UserError("Choose or type an answer first.")
        quizzes = self.page.service.quizzes
        try:
            feedback = quizzes.answer(learner, run.item, response)
        except ValueError:  # a re-index dropped the item: carry on with a fresh one
            feedback = None
        run.feedback = feedback_markdown(feedback) if feedback else "_That question was updated; here is another._"
        if run.queue:
            run.item = run.queue.pop(0)
        else:
            following = quizzes.next_item(learner, run.topic)
            run.item = following.id if following else None
        return self.page.refresh(session)


class MasteryPart:
    """Mastery per topic and due reviews in the side panel (signed-in learners only)."""

    place = "side"

    def __init__(self, page: Page) -> None:
        self.page = page

    def build(self, page: Page) -> None:
        self.heading = gr.Markdown("#### Your understanding", visible=False)
        self.progress = gr.Markdown(visible=False, elem_id="mastery")
        page.view_outputs += [self.heading, self.progress]

    def show(self, session: Session, view: LearnerView) -> dict:
        if not session.learner:
            return {self.heading: gr.update(visible=False), self.progress: gr.update(value="", visible=False)}
        progress = self.page.service.quizzes.progress(session.learner)
        return {self.heading: gr.update(visible=True), self.progress: gr.update(value=progress_markdown(progress), visible=True)}

    def wire(self, page: Page) -> None:
        """Nothing to wire: every handler that changes mastery refreshes the page."""
