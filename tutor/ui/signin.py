"""Signing in with a name (remembered by the browser), or with a password when configured;
signing out; "Forget me". Replacing the sign-in replaces this module only."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import gradio as gr

from tutor.service.learner import LearnerView, validate_learner_id
from tutor.ui.chat import show_conversation
from tutor.ui.session import Session, UserError, friendly

if TYPE_CHECKING:
    from tutor.ui.page import Page

REMEMBER_KEY = "institute-tutor-learner"


def remember(learner: str | None) -> dict:
    """What the browser keeps of the sign-in. Always a non-empty dict: Gradio's BrowserState
    skips writing falsy values, so storing "" would never forget a name."""
    return {"learner": learner or ""}


class SignInPart:
    place = "side"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.auth = page.service.accounts.enabled

    def build(self, page: Page) -> None:
        self.remembered = gr.BrowserState(remember(None), storage_key=REMEMBER_KEY, secret=REMEMBER_KEY)
        with gr.Group():
            with gr.Column(visible=not self.auth, elem_id="sign-in") as self.signed_out_box:
                self.name = gr.Textbox(
                    label="Sign in to keep your history",
                    placeholder="Your name or learner id",
                    max_length=64,
                    elem_id="learner-name",
                )
                self.sign_in_btn = gr.Button("Sign in", variant="primary", size="sm", elem_id="sign-in-btn")
                gr.Markdown("<small>No password: use a name only you would use.</small>", padding=True)
            self.who = gr.Markdown(visible=False, elem_id="signed-in", padding=True, label="Signed in")
            with gr.Row():
                self.sign_out_btn = gr.Button("Sign out", size="sm", visible=False)
                self.forget_btn = gr.Button("Forget me", variant="stop", size="sm", visible=False, elem_id="forget")
            with gr.Column(visible=False) as self.confirm_box:
                gr.Markdown("**Delete your history, topics and feedback for good?**")
                with gr.Row():
                    self.confirm_btn = gr.Button("Yes, delete everything", variant="stop", size="sm")
                    self.cancel_btn = gr.Button("Cancel", size="sm")
        page.view_outputs += [self.signed_out_box, self.who, self.sign_out_btn, self.forget_btn]

    def show(self, session: Session, view: LearnerView) -> dict:
        learner = session.learner
        who = ""
        if learner:
            who = f"Signed in as **{html.escape(learner)}**" + (" · [Log out](/logout)" if self.auth else "")
        return {
            self.signed_out_box: gr.update(visible=not learner and not self.auth),
            self.who: gr.update(value=who, visible=bool(learner)),
            self.sign_out_btn: gr.update(visible=bool(learner) and not self.auth),
            self.forget_btn: gr.update(visible=bool(learner)),
        }

    def wire(self, page: Page) -> None:
        account = page.outputs(self.name, self.remembered)
        page.demo.load(self.restore, [self.remembered, page.session], account, api_visibility="private")
        self.sign_in_btn.click(self.sign_in, [self.name, page.session], account, api_name="sign_in")
        self.name.submit(self.sign_in, [self.name, page.session], account, api_visibility="private")
        self.sign_out_btn.click(self.sign_out, [page.session], account, api_name="sign_out")
        confirming = [self.forget_btn, self.confirm_box]
        self.forget_btn.click(lambda: (gr.update(visible=False), gr.update(visible=True)), None, confirming, queue=False, api_visibility="private")
        self.cancel_btn.click(lambda: (gr.update(visible=True), gr.update(visible=False)), None, confirming, queue=False, api_visibility="private")
        self.confirm_btn.click(self.forget, [page.session], account + [self.confirm_box], api_name="forget_me")

    # ------------------------------------------------------------ handlers

    def signed_in(self, learner: str) -> dict:
        """The page for `learner`: their last conversation, topics and suggestions."""
        page = self.page
        session = Session(learner=learner)
        thread, turns = page.service.learners.latest_conversation(learner)
        show_conversation(session, thread, turns, page.texts.no_answer)
        view = page.service.learners.view(learner)
        session.suggestions = view.suggestions
        if view.topics:
            view.hint = f"Welcome back, {learner}! " + (view.hint or "Pick up where you left off, or try a new topic.")
        return page.refresh(session, view)

    @friendly
    def sign_in(self, name: str, session: Session, request: gr.Request) -> dict:
        if self.auth:
            learner = self.page.learner_of(session, request)
            if name and name.strip() and name.strip() != learner:
                gr.Warning(f"You are signed in as {learner}; the name can't be changed here.")
        else:
            try:
                learner = validate_learner_id(name)
            except ValueError as exc:
                raise UserError(f"Please choose another name: {exc}.") from None
        return {**self.signed_in(learner), self.name: "", self.remembered: remember(None if self.auth else learner)}

    @friendly
    def restore(self, remembered: dict, session: Session, request: gr.Request) -> dict:
        """On page load: the signed-in user (password sign-in) or the name this browser remembers.

        It changes nothing for an anonymous visitor, so it can't undo a sign-in or question
        that overtook it.
        """
        unchanged = {self.page.session: session}
        if session.learner or session.messages:  # signed in or chatting already: keep it
            return unchanged
        learner = None
        if self.auth:
            learner = self.page.learner_of(session, request)
        elif isinstance(remembered, dict) and remembered.get("learner"):
            try:
                learner = validate_learner_id(remembered["learner"])
            except ValueError:
                learner = None
        return self.signed_in(learner) if learner else unchanged

    @friendly
    def sign_out(self, session: Session) -> dict:
        if self.auth:
            raise UserError("Use “Log out” to leave a password sign-in.")
        return {**self.page.refresh(self.page.anonymous()), self.name: "", self.remembered: remember(None)}

    @friendly
    def forget(self, session: Session, request: gr.Request) -> dict:
        learner = self.page.learner_of(session, request)
        if not learner:
            raise UserError("Nobody is signed in, so there is nothing to forget.")
        self.page.service.learners.forget(learner)
        gr.Info("Done: everything stored about you has been deleted.")
        session = self.page.anonymous()
        session.learner = learner if self.auth else None
        return {
            **self.page.refresh(session),
            self.name: "",
            self.remembered: remember(None),
            self.confirm_box: gr.update(visible=False),
        }
