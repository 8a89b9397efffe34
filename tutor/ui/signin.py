"""Signing in with a name and password (one step: Enter in the password box), signing out,
and "Forget me". The account session's token is kept in server-side state only; every other
part asks `Page.learner_of`, which checks it against the store. Replacing the sign-in
replaces this module only."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import gradio as gr

from tutor.service.accounts import AccountError
from tutor.service.accounts import Session as AccountSession
from tutor.service.learner import LearnerView
from tutor.ui.chat import show_conversation
from tutor.ui.session import Session, UserError, address, friendly

if TYPE_CHECKING:
    from tutor.ui.page import Page

GUEST_NOTE = "<small>Or just ask as a guest: nothing about you is kept.</small>"
ACCOUNT_NOTE = "<small>Use the name and password your institute gave you.</small>"


class SignInPart:
    place = "side"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.accounts = page.service.accounts

    def build(self, page: Page) -> None:
        with gr.Group():
            with gr.Column(elem_id="sign-in") as self.signed_out_box:
                self.name = gr.Textbox(label="Sign in to keep your history", placeholder="Your name", max_length=64, elem_id="learner-name")
                self.password = gr.Textbox(label="Password", type="password", max_length=256, elem_id="learner-password")
                self.sign_in_btn = gr.Button("Sign in", variant="primary", size="sm", elem_id="sign-in-btn")
                gr.Markdown(GUEST_NOTE if page.settings.guest_access else ACCOUNT_NOTE, padding=True)
            self.who = gr.Markdown(visible=False, elem_id="signed-in", padding=True, label="Signed in")
            with gr.Row():
                self.sign_out_btn = gr.Button("Sign out", size="sm", visible=False, elem_id="sign-out")
                self.forget_btn = gr.Button("Forget me", variant="stop", size="sm", visible=False, elem_id="forget")
            with gr.Column(visible=False) as self.confirm_box:
                gr.Markdown("**Delete your history, topics and feedback for good?**")
                with gr.Row():
                    self.confirm_btn = gr.Button("Yes, delete everything", variant="stop", size="sm")
                    self.cancel_btn = gr.Button("Cancel", size="sm")
        page.view_outputs += [self.signed_out_box, self.who, self.sign_out_btn, self.forget_btn]

    def show(self, session: Session, view: LearnerView) -> dict:
        learner = session.learner
        return {
            self.signed_out_box: gr.update(visible=not learner),
            self.who: gr.update(value=f"Signed in as **{html.escape(learner)}**" if learner else "", visible=bool(learner)),
            self.sign_out_btn: gr.update(visible=bool(learner)),
            self.forget_btn: gr.update(visible=bool(learner)),
        }

    def wire(self, page: Page) -> None:
        account = page.outputs(self.name, self.password)
        credentials = [self.name, self.password, page.session]
        self.sign_in_btn.click(self.sign_in, credentials, account, api_name="sign_in")
        self.password.submit(self.sign_in, credentials, account, api_visibility="private")
        self.sign_out_btn.click(self.sign_out, [page.session], account, api_name="sign_out")
        confirming = [self.forget_btn, self.confirm_box]
        self.forget_btn.click(lambda: (gr.update(visible=False), gr.update(visible=True)), None, confirming, queue=False, api_visibility="private")
        self.cancel_btn.click(lambda: (gr.update(visible=True), gr.update(visible=False)), None, confirming, queue=False, api_visibility="private")
        self.confirm_btn.click(self.forget, [page.session], account + [self.confirm_box], api_name="forget_me")

    # ------------------------------------------------------------ handlers

    def signed_in(self, live: AccountSession) -> dict:
        """The page for a new account session: the learner's last conversation, topics and suggestions."""
        page, learner = self.page, live.learner_id
        session = Session(token=live.token, learner=learner, admin=live.is_admin)
        thread, turns = page.service.learners.latest_conversation(learner)
        show_conversation(session, thread, turns, page.texts.no_answer, page.allowed_domains)
        view = page.service.learners.view(learner)
        session.suggestions = view.suggestions
        if view.topics:
            view.hint = f"Welcome back, {learner}! " + (view.hint or "Pick up where you left off, or try a new topic.")
        return page.refresh(session, view)

    @friendly
    def sign_in(self, name: str, password: str, session: Session, request: gr.Request) -> dict:
        """A new account session for the right name and password; the tab's old one ends first."""
        where = address(request)
        try:
            live = self.accounts.authenticate((name or "").strip(), password or "", where)
        except AccountError as exc:
            raise UserError(str(exc)) from None
        self.accounts.sign_out(session.token, where)
        return {**self.signed_in(live), self.name: "", self.password: ""}

    @friendly
    def sign_out(self, session: Session, request: gr.Request) -> dict:
        """End the account session server-side: the token is worthless from now on."""
        self.accounts.sign_out(session.token, address(request))
        return {**self.page.refresh(self.page.anonymous()), self.name: "", self.password: ""}

    @friendly
    def forget(self, session: Session) -> dict:
        """Delete the signed-in learner's data (never anyone else's: the id comes from the token)."""
        live = self.page.account(session)
        if live is None:
            raise UserError("Nobody is signed in, so there is nothing to forget.")
        self.page.service.learners.forget(live.learner_id)  # ends the learner's sessions too
        gr.Info("Done: everything stored about you has been deleted.")
        return {**self.page.refresh(self.page.anonymous()), self.name: "", self.password: "", self.confirm_box: gr.update(visible=False)}
