"""The students' web page (Gradio Blocks) and the password-protected admin tab.

Thin by design: answering, topics, suggestions and persistence live in `TutorService` and
`LearnerStore`; this module only renders them and keeps per-session state.

Safety rules this module follows:
- the learner id lives in a per-session `gr.State` on the server (clients cannot write it) and,
  when password sign-in is on, always comes from `request.username`;
- every event a student should not call directly is `api_visibility="private"`, and every
  handler still checks the session itself (private endpoints remain reachable over HTTP);
- user and model text is HTML-escaped before rendering (plus `sanitize_html=True`), so a
  `<script>` question is shown as text, never run;
- a failing handler shows a friendly message; the traceback goes to the server log only.
"""

import functools
import hashlib
import hmac
import html
import inspect
import logging
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from tutor.config import Settings
from tutor.corpus import MAX_FILE_BYTES, ImportReport, import_files, load_documents
from tutor.index import (
    IndexBusy,
    IndexMissing,
    build_index,
    current_generation,
    index_stats,
)
from tutor.learners import validate_learner_id
from tutor.retrieval import SearchUnavailable
from tutor.service import TutorAnswer, TutorService, clean_question
from tutor.topics import LEVELS, TOPICS, returning_hint, suggest_next

log = logging.getLogger("tutor.ui")

TITLE = "Institute Tutor"
SOURCES_TITLE = "Sources"
HISTORY_TURNS = 50  # stored turns shown on sign-in
FOLLOW_UP_QUESTIONS = 3  # earlier questions passed to the service for follow-ups
SUGGESTION_SLOTS = 3
PANEL_SIZE = 7 + SUGGESTION_SLOTS  # outputs of TutorPage.panel()
SHOWN_QUESTION_CHARS = 600  # a longer question is shortened in the chat (it is answered calmly anyway)
MAX_UPLOAD_FILES = 20
GRADIO_MAX_FILE_SIZE = "5mb"  # the upload route is public: bound what anyone can put in the cache
WRONG_PASSWORD_DELAY_S = 1.0
REMEMBER_KEY = "institute-tutor-learner"


def remember(learner: str | None) -> dict:
    """What the browser keeps of the sign-in. Always a non-empty dict: Gradio's BrowserState
    skips writing falsy values, so storing "" would never forget a name."""
    return {"learner": learner or ""}

FRIENDLY_ERROR = "Sorry, something went wrong on our side. Please try again in a moment."
QUEUED = "⏳ _Your question is in line: the tutor answers one student at a time and will be with you shortly._"
NO_ANSWER = (
    "I couldn't put a reliable answer together from the institute's articles this time. "
    "Please try rephrasing your question, or pick one of the suggestions."
)
SEARCHING = "🔎 _Looking through the institute's articles…_"
RECHECKING = "🔁 _Checking the sources again…_"
ANONYMOUS_TOPICS = "_Sign in to keep your history and see the topics you've explored._"
FOOTER = (
    "Answers come only from the Open Institute of Technology's published content (articles and course "
    "descriptions), with numbered sources. If something isn't covered there, the tutor says so instead of guessing."
)
WELCOME = (
    "### Welcome! 👋\n"
    "Ask about OPIT's degrees, careers in AI and tech, admissions and costs, or student life.\n\n"
    "Every answer quotes its **sources**, so you can check them."
)
CSS = """
.gradio-container { max-width: 1200px !important; margin: 0 auto !important; }
#tutor-header h1 { margin-bottom: 0.1em; }
#tutor-header p { color: var(--body-text-color-subdued); margin-top: 0; }
#tutor-footer { text-align: center; color: var(--body-text-color-subdued); font-size: 0.85em;
                border-top: 1px solid var(--border-color-primary); padding-top: 0.6em; margin-top: 0.6em; }
.suggestion button, button.suggestion { text-align: left !important; justify-content: flex-start !important;
                                       white-space: normal !important; height: auto !important; }
#signed-in p { margin: 0; }
"""
THEME = gr.themes.Soft(
    primary_hue="indigo",
    neutral_hue="slate",
    font=["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)
TOPIC_LABELS = {topic.id: topic.label for topic in TOPICS}


# ---------------------------------------------------------------- per-session state


@dataclass
class Session:
    """What one browser tab (or API client) holds on the server; never sent by the client."""

    learner: str | None = None
    messages: list[dict] = field(default_factory=list)  # the chat exactly as displayed
    turn_ids: dict[int, int] = field(default_factory=dict)  # message index -> stored turn id
    questions: list[str] = field(default_factory=list)  # this conversation's questions (follow-ups)
    pending: str | None = None  # staged by the instant step, answered by the queued step
    busy: bool = False  # a question of this session is waiting or being answered
    suggestions: list[str] = field(default_factory=list)
    admin: bool = False


def anonymous_session() -> Session:
    return Session(suggestions=suggest_next({}, [], set()))


# ---------------------------------------------------------------- rendering


CODE = re.compile(r"(```.*?```|`[^`\n]+`)", re.S)


def safe_markdown(text: str) -> str:
    """Markdown with any HTML neutralised (shown as text); code spans are left as they are."""
    parts = CODE.split(text or "")
    return "".join(part if i % 2 else html.escape(part, quote=False) for i, part in enumerate(parts))


def plain_text(text: str) -> str:
    """A user's own words: HTML and Markdown markup shown literally."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"([\\`*_\[\]#|~])", r"\\\1", escaped)


def user_message(question: str) -> dict:
    shown = question if len(question) <= SHOWN_QUESTION_CHARS else question[:SHOWN_QUESTION_CHARS] + " …"
    return {"role": "user", "content": plain_text(shown)}


def sources_text(citations: list[dict]) -> str:
    blocks = []
    for c in citations:
        heading = f"**[{c['n']}] {safe_markdown(c['title'])}**"
        if c.get("section"):
            heading += f" › {safe_markdown(c['section'])}"
        passage = "\n".join(f"> {line}" if line.strip() else ">" for line in safe_markdown(c["text"]).strip().splitlines())
        blocks.append(f"{heading}\n\n{passage}")
    return "\n\n".join(blocks)


def turn_messages(question: str, answer: str, citations: list[dict], notice: str | None = None) -> list[dict]:
    """The messages of one question and its answer: question, answer, then collapsible sources."""
    body = safe_markdown(answer).strip() or NO_ANSWER
    if notice:
        body = f"> ⚠️ {safe_markdown(notice)}\n\n{body}"
    messages = [user_message(question), {"role": "assistant", "content": body}]
    if citations:
        messages.append(
            {
                "role": "assistant",
                "content": sources_text(citations),
                "metadata": {
                    "title": SOURCES_TITLE,
                    "status": "done",
                    "log": f"{len(citations)} passage{'s' if len(citations) != 1 else ''}",
                },
            }
        )
    return messages


def topics_markdown(topics: dict[str, dict]) -> str:
    if not topics:
        return "_Nothing yet: the topics of your questions will show up here._"
    ranked = sorted(topics.items(), key=lambda item: (-item[1]["count"], -item[1].get("last", 0), item[0]))
    lines = []
    for topic_id, info in ranked:
        label = TOPIC_LABELS.get(topic_id, topic_id)
        count = info["count"]
        lines.append(f"- **{html.escape(label)}** · {count} question{'s' if count != 1 else ''}")
    return "\n".join(lines)


def hint_markdown(hint: str | None) -> str:
    return f"💡 {html.escape(hint)}" if hint else ""


def suggestion_updates(suggestions: list[str]) -> list:
    padded = (suggestions + [""] * SUGGESTION_SLOTS)[:SUGGESTION_SLOTS]
    return [gr.update(value=s or " ", visible=bool(s)) for s in padded]


# ---------------------------------------------------------------- errors


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


# ---------------------------------------------------------------- the page


def parse_auth_users(raw: str | None) -> dict[str, str]:
    """"alice:pw,bob:pw" -> {"alice": "pw", ...}; user names must be valid learner ids."""
    users: dict[str, str] = {}
    for entry in (raw or "").split(","):
        if not entry.strip():
            continue
        name, sep, password = entry.partition(":")
        if not sep or not password:
            raise ValueError("TUTOR_AUTH_USERS must look like 'alice:password,bob:password'")
        users[validate_learner_id(name)] = password
    return users


class TutorPage:
    """Builds the Blocks and holds the handlers (bound to one service)."""

    def __init__(self, service: TutorService) -> None:
        self.service = service
        self.settings: Settings = service.settings
        self.store = service.store
        self.auth_users = parse_auth_users(self.settings.auth_users)
        self.auth = bool(self.auth_users)

    # ------------------------------------------------------------ who is asking

    def learner_of(self, session: Session, request: gr.Request | None) -> str | None:
        """The session's learner; with password sign-in, always the signed-in user."""
        if self.auth:
            username = getattr(request, "username", None) if request is not None else None
            if not username:
                raise UserError("Please sign in again.")
            return validate_learner_id(username)
        return session.learner

    # ------------------------------------------------------------ side panel

    def panel(self, session: Session, hint: str | None = None) -> list:
        """Values for: signed-out box, signed-in line, sign-out button, topics, hint, level, "Forget me",
        and the suggestion buttons."""
        learner = session.learner
        if learner:
            profile = self.store.profile(learner)
            topics = topics_markdown(profile.topics)
            level = gr.update(value=profile.level, visible=True)
            who = f"Signed in as **{html.escape(learner)}**"
            if self.auth:
                who += " · [Log out](/logout)"
        else:
            topics = ANONYMOUS_TOPICS
            level = gr.update(value=None, visible=False)
            who = ""
        return [
            gr.update(visible=not learner and not self.auth),
            gr.update(value=who, visible=bool(learner)),
            gr.update(visible=bool(learner) and not self.auth),
            topics,
            hint_markdown(hint),
            level,
            gr.update(visible=bool(learner)),
            *suggestion_updates(session.suggestions),
        ]

    def signed_in(self, learner: str) -> tuple[Session, str | None]:
        """A fresh session for `learner` with their stored history and suggestions."""
        session = Session(learner=learner)
        for turn in self.store.history(learner, limit=HISTORY_TURNS):
            start = len(session.messages)
            session.messages += turn_messages(turn.question, turn.answer, turn.citations)
            for index in range(start + 1, len(session.messages)):
                session.turn_ids[index] = turn.id
        session.questions = self.service.recent_questions(learner)
        explored = self.service.explored(learner)
        asked = {t.question for t in self.store.history(learner, limit=200)}
        session.suggestions = suggest_next(explored, [], asked)
        hint = returning_hint(explored, []) if explored else None
        if explored:
            hint = f"Welcome back, {learner}! " + (hint or "Pick up where you left off, or try a new topic.")
        return session, hint

    @friendly
    def sign_in(self, name: str, session: Session, request: gr.Request):
        if self.auth:
            learner = self.learner_of(session, request)
            if name and name.strip() and name.strip() != learner:
                gr.Warning(f"You are signed in as {learner}; the name can't be changed here.")
        else:
            try:
                learner = validate_learner_id(name)
            except ValueError as exc:
                raise UserError(f"Please choose another name: {exc}.") from None
        session, hint = self.signed_in(learner)
        return session, session.messages, "", *self.panel(session, hint), remember(None if self.auth else learner)

    @friendly
    def restore(self, remembered: dict, session: Session, request: gr.Request):
        """On page load: the signed-in user (password sign-in) or the name this browser remembers.

        It changes nothing for an anonymous visitor, so it can't undo a sign-in or question
        that overtook it.
        """
        if session.learner or session.messages:  # signed in or chatting already: keep it
            return session, *[gr.skip()] * (PANEL_SIZE + 3)
        learner = None
        if self.auth:
            learner = self.learner_of(session, request)
        elif isinstance(remembered, dict) and remembered.get("learner"):
            try:
                learner = validate_learner_id(remembered["learner"])
            except ValueError:
                learner = None
        if not learner:  # the page's initial values already fit an anonymous visitor
            return session, *[gr.skip()] * (PANEL_SIZE + 3)
        session, hint = self.signed_in(learner)
        return session, session.messages, gr.skip(), *self.panel(session, hint), gr.skip()

    @friendly
    def sign_out(self, session: Session):
        if self.auth:
            raise UserError("Use “Log out” to leave a password sign-in.")
        session = anonymous_session()
        return session, session.messages, "", *self.panel(session), remember(None)

    @friendly
    def set_level(self, level: str, session: Session, request: gr.Request):
        learner = self.learner_of(session, request)
        if not learner:
            gr.Info("Sign in first, then your level is remembered.", duration=4)
            return
        if level not in LEVELS:
            raise UserError(f"Choose one of: {', '.join(LEVELS)}.")
        self.store.set_level(learner, level)
        gr.Info(f"Got it: answers will be pitched at {level} level.", duration=4)

    @friendly
    def forget(self, session: Session, request: gr.Request):
        learner = self.learner_of(session, request)
        if not learner:
            raise UserError("Nobody is signed in, so there is nothing to forget.")
        self.service.forget(learner)
        gr.Info("Done: everything stored about you has been deleted.")
        session = anonymous_session()
        session.learner = learner if self.auth else None
        return (
            session,
            session.messages,
            "",
            *self.panel(session),
            remember(None),
            gr.update(visible=False),
        )

    @friendly
    def clear_chat(self, session: Session):
        """The chat's trash button: start a new conversation (stored history is kept)."""
        if session.busy:
            gr.Warning("The chat is cleared once the current answer is complete.")
            return session
        session.messages, session.turn_ids, session.questions = [], {}, []
        return session

    # ------------------------------------------------------------ asking

    @friendly
    def stage(self, question: str, session: Session, request: gr.Request):
        """Instant step: show the question with a waiting line and lock the input."""
        if session.busy:
            gr.Warning("One moment: the tutor is still answering your previous question.")
            return session, gr.skip(), gr.skip()
        text = clean_question(question or "")
        if not text:
            gr.Warning("Please type a question first.")
            return session, gr.skip(), gr.skip()
        learner = self.learner_of(session, request)  # with password sign-in, fails early if it expired
        if self.auth:
            session.learner = learner
        session.pending, session.busy = question, True
        session.messages = session.messages + [user_message(text), {"role": "assistant", "content": QUEUED}]
        return session, session.messages, gr.update(value="", interactive=False)

    def answer(self, session: Session, request: gr.Request):
        """Queued step: stream the answer into the waiting line, then record and update the panel."""
        question, session.pending = session.pending, None
        if not question:  # nothing was staged (empty question, or another one is being answered)
            yield session, gr.skip(), gr.skip(), *self.skip_panel()
            return
        try:
            placeholder = len(session.messages) - 1
            messages = list(session.messages)
            try:
                learner = self.learner_of(session, request)
                history = session.questions[-FOLLOW_UP_QUESTIONS:]
                text = ""
                messages[placeholder] = {"role": "assistant", "content": SEARCHING}
                yield session, messages, gr.skip(), *self.skip_panel()
                final: TutorAnswer | None = None
                for kind, payload in self.service.stream(question, learner=learner, history=history):
                    if kind == "token":
                        text += str(payload)
                        messages[placeholder] = {"role": "assistant", "content": safe_markdown(text) + " ▍"}
                        yield session, messages, gr.skip(), *self.skip_panel()
                    elif kind == "reset":
                        text = ""
                        messages[placeholder] = {"role": "assistant", "content": RECHECKING}
                        yield session, messages, gr.skip(), *self.skip_panel()
                    elif kind == "final":
                        final = payload
                if final is None:
                    raise RuntimeError("the service ended without an answer")
                outputs = self.finish(session, question, final, learner)
            except Exception as exc:  # noqa: BLE001 - the student sees a calm message, the log the cause
                if isinstance(exc, gr.Error):
                    shown = exc.message
                elif isinstance(exc, SearchUnavailable):
                    log.warning("search unavailable: %s", exc.__cause__)
                    shown = f"⚠️ {exc}"
                else:
                    log.error("answering failed: %s", type(exc).__name__, exc_info=exc)
                    shown = FRIENDLY_ERROR
                session.messages = session.messages[:placeholder] + [
                    {"role": "assistant", "content": f"⚠️ {safe_markdown(shown)}"}
                ]
                yield session, session.messages, gr.update(interactive=True), *self.skip_panel()
                return
            session.busy = False
            yield session, *outputs
        finally:
            session.busy = False

    def finish(self, session: Session, question: str, final: TutorAnswer, learner: str | None) -> list:
        base = session.messages[:-2]  # without the staged question and waiting line
        citations = [
            {"n": c.n, "title": c.title, "section": c.section, "text": c.text} for c in final.citations
        ]
        shown_question = clean_question(question)
        new = turn_messages(shown_question, final.answer, citations, final.notice)
        start = len(base)
        session.messages = base + new
        if final.turn_id is not None:
            for index in range(start + 1, len(session.messages)):
                session.turn_ids[index] = final.turn_id
        if len(shown_question) <= self.settings.max_question_chars:
            session.questions = (session.questions + [final.question])[-10:]
        if final.suggestions:
            session.suggestions = final.suggestions
        if final.notice:
            gr.Warning(final.notice)
        return [session.messages, gr.update(interactive=True), *self.panel(session, final.hint)]

    def skip_panel(self) -> list:
        return [gr.skip()] * PANEL_SIZE

    def ask(self, question: str, session: Session, request: gr.Request):
        """The API's one-call version of stage + answer (the page uses the two steps)."""
        session, _, _ = self.stage(question, session, request)
        if not session.pending:  # nothing to answer: the chat as it is
            yield session, session.messages, gr.skip(), *self.skip_panel()
            return
        yield from self.answer(session, request)

    # ------------------------------------------------------------ feedback

    def rate(self, session: Session, request: gr.Request | None, index: int, rating: int) -> str:
        learner = self.learner_of(session, request)
        if not learner:
            return "Sign in to rate answers."
        turn_id = session.turn_ids.get(int(index))
        if turn_id is None:
            return "That message can't be rated."
        try:
            self.store.add_feedback(learner, turn_id, rating)
        except PermissionError:
            return "That message can't be rated."
        return "Thanks! Your feedback helps us improve the tutor."

    @friendly
    def on_like(self, session: Session, data: gr.LikeData, request: gr.Request):
        if data.liked not in (True, False):
            return  # the thumb was un-selected: keep the earlier rating
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        gr.Info(self.rate(session, request, int(index), 1 if data.liked else -1), duration=4)

    @friendly
    def feedback_api(self, index: float, rating: float, session: Session, request: gr.Request) -> str:
        if rating not in (1, -1) or index is None:
            raise UserError("rating must be 1 or -1, index the rated message's position in the chat")
        return self.rate(session, request, int(index), int(rating))

    # ------------------------------------------------------------ admin

    def require_admin(self, session: Session) -> None:
        if not self.settings.admin_password:
            raise UserError("The admin tab is disabled: set TUTOR_ADMIN_PASSWORD and restart the app.")
        if not session.admin:
            raise UserError("Unlock the admin tab with the admin password first.")

    @friendly
    def admin_unlock(self, password: str, session: Session):
        expected = self.settings.admin_password
        if not expected:
            raise UserError("The admin tab is disabled: set TUTOR_ADMIN_PASSWORD and restart the app.")
        if not hmac.compare_digest(hashlib.sha256((password or "").encode()).digest(), hashlib.sha256(expected.encode()).digest()):
            time.sleep(WRONG_PASSWORD_DELAY_S)  # slows down guessing
            session.admin = False
            return session, "", "❌ Wrong password.", gr.update(visible=True), gr.update(visible=False), gr.skip()
        session.admin = True
        return session, "", "", gr.update(visible=False), gr.update(visible=True), self.stats_markdown()

    @friendly
    def admin_lock(self, session: Session):
        session.admin = False
        return session, "🔒 Locked.", gr.update(visible=True), gr.update(visible=False)

    @friendly
    def admin_stats(self, session: Session):
        self.require_admin(session)
        return self.stats_markdown()

    def stats(self) -> dict:
        documents, problems = load_documents(self.settings.corpus_dir)
        try:
            index = index_stats(self.settings)
        except IndexMissing:
            index = None
        feedback = self.store.list_feedback(limit=100_000)
        return {
            "documents": dict(Counter(d.kind for d in documents)),
            "problems": [str(p) for p in problems],
            "index": index,
            "learners": len(self.store.list_learners()),
            "feedback": {"up": sum(f["rating"] > 0 for f in feedback), "down": sum(f["rating"] < 0 for f in feedback)},
        }

    def stats_markdown(self) -> str:
        s = self.stats()
        kinds = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(s["documents"].items())) or "none"
        lines = ["### Corpus and index", f"- **Documents:** {kinds}"]
        if s["problems"]:
            lines.append(f"- **Unusable files:** {len(s['problems'])} (" + "; ".join(map(html.escape, s["problems"][:5])) + ")")
        index = s["index"]
        if index:
            lines += [
                f"- **Indexed documents:** {index['documents']} · **chunks:** {index['chunks']}",
                f"- **Generation:** `{index['generation']}` · **created:** {index['created']}",
                f"- **Embedding model:** {index.get('embedding_model', '?')} · **store:** {index.get('store', '?')}",
            ]
        else:
            lines.append("- **Index:** not built yet")
        lines.append(f"- **Learners:** {s['learners']} · **feedback:** 👍 {s['feedback']['up']} / 👎 {s['feedback']['down']}")
        return "\n".join(lines)

    @friendly
    def admin_upload(self, files, session: Session):
        self.require_admin(session)
        paths = [Path(f if isinstance(f, str) else getattr(f, "path", None) or f.name) for f in (files or [])]
        if not paths:
            raise UserError("Choose one or more .txt pages or .md documents to upload first.")
        if len(paths) > MAX_UPLOAD_FILES:
            raise UserError(f"Upload at most {MAX_UPLOAD_FILES} files at a time.")
        report = import_files(paths, self.settings.corpus_dir)
        return report_markdown(report), self.stats_markdown()

    @friendly
    def admin_reindex(self, session: Session, progress=gr.Progress()):
        self.require_admin(session)
        progress(0, desc="Reading the corpus")

        def update(stage: str, done: int, total: int) -> None:
            progress((done, max(total, 1)), desc=stage.capitalize(), unit="chunks")

        try:
            summary = build_index(self.settings, progress=update)
        except IndexBusy as exc:
            raise UserError(str(exc)) from None
        data = summary.to_dict()
        if data["swapped"]:
            message = (
                f"✅ Re-indexed in {data['seconds']:.1f} s: {data['added']} added, {data['updated']} updated, "
                f"{data['removed']} removed, {data['unchanged']} unchanged documents; {data['chunks']} chunks "
                f"({data['embedded']} embedded). Students now search generation `{data['generation']}`."
            )
        else:
            message = f"✅ The index was already up to date ({data['chunks']} chunks, generation `{data['generation']}`)."
        if data["problems"]:
            message += "\n\n⚠️ Skipped files:\n" + "\n".join(
                f"- `{html.escape(Path(p['file']).name)}`: {html.escape(p['error'])}" for p in data["problems"]
            )
        return message, data, self.stats_markdown()

    # ------------------------------------------------------------ layout

    def build(self) -> gr.Blocks:
        s = self.settings
        with gr.Blocks(title=f"{TITLE} · OPIT", delete_cache=(3600, 3600)) as demo:
            session = gr.State(anonymous_session())
            remembered = gr.BrowserState(remember(None), storage_key=REMEMBER_KEY, secret=REMEMBER_KEY)
            gr.Markdown(
                f"# 🎓 {TITLE}\nYour study guide to the Open Institute of Technology: degrees, careers, admissions "
                "and student life, answered from the institute's own articles.",
                elem_id="tutor-header",
            )
            with gr.Tabs():
                with gr.Tab("Ask the tutor", id="chat"):
                    with gr.Row(equal_height=False):
                        with gr.Column(scale=7):
                            chatbot = gr.Chatbot(
                                label="Conversation",
                                show_label=False,
                                elem_id="chat",
                                height="62vh",
                                min_height=380,
                                placeholder=WELCOME,
                                sanitize_html=True,
                                allow_tags=False,
                                render_markdown=True,
                                latex_delimiters=[],
                                buttons=["copy"],
                                feedback_options=("Like", "Dislike"),
                                group_consecutive_messages=True,
                                layout="bubble",
                            )
                            question = gr.Textbox(
                                show_label=False,
                                placeholder="Ask a question, e.g. “What does a machine learning engineer do?”",
                                max_length=s.max_question_chars,
                                lines=1,
                                max_lines=6,
                                submit_btn="Ask",
                                autofocus=True,
                                elem_id="question",
                            )
                        with gr.Column(scale=3, min_width=280):
                            with gr.Group():
                                with gr.Column(visible=not self.auth, elem_id="sign-in") as signed_out_box:
                                    name = gr.Textbox(
                                        label="Sign in to keep your history",
                                        placeholder="Your name or learner id",
                                        max_length=64,
                                        elem_id="learner-name",
                                    )
                                    sign_in_btn = gr.Button("Sign in", variant="primary", size="sm", elem_id="sign-in-btn")
                                    gr.Markdown(
                                        "<small>No password: use a name only you would use.</small>",
                                        padding=True,
                                    )
                                who = gr.Markdown(visible=False, elem_id="signed-in", padding=True)
                                sign_out_btn = gr.Button("Sign out", size="sm", visible=False)
                            gr.Markdown("#### You could ask next")
                            starters = anonymous_session().suggestions + [""] * SUGGESTION_SLOTS
                            suggestion_btns = [
                                gr.Button(starters[i] or " ", size="sm", visible=bool(starters[i]), elem_classes=["suggestion"])
                                for i in range(SUGGESTION_SLOTS)
                            ]
                            hint = gr.Markdown(elem_id="hint")
                            gr.Markdown("#### Your topics")
                            topics = gr.Markdown(ANONYMOUS_TOPICS, elem_id="topics")
                            level = gr.Radio(list(LEVELS), label="Your level", interactive=True, visible=False, elem_id="level")
                            with gr.Column(visible=False) as forget_box:
                                forget_btn = gr.Button("Forget me", variant="stop", size="sm", elem_id="forget")
                            with gr.Column(visible=False) as confirm_box:
                                gr.Markdown("**Delete your history, topics and feedback for good?**")
                                with gr.Row():
                                    confirm_btn = gr.Button("Yes, delete everything", variant="stop", size="sm")
                                    cancel_btn = gr.Button("Cancel", size="sm")
                with gr.Tab("Admin", id="admin"):
                    admin_widgets = self.build_admin(session)
            gr.Markdown(FOOTER, elem_id="tutor-footer")

            # API-only triggers (never shown): one-call ask, and feedback by message index.
            with gr.Row(visible=False):
                api_ask_btn = gr.Button("ask")
                fb_index = gr.Number(precision=0, label="index")
                fb_rating = gr.Number(precision=0, label="rating")
                fb_status = gr.Textbox(label="status")
                api_fb_btn = gr.Button("feedback")

            panel = [signed_out_box, who, sign_out_btn, topics, hint, level, forget_box, *suggestion_btns]
            account_outputs = [session, chatbot, name, *panel, remembered]
            answer_outputs = [session, chatbot, question, *panel]
            chat = {"concurrency_id": "chat", "concurrency_limit": s.concurrency_limit}

            demo.load(self.restore, [remembered, session], account_outputs, api_visibility="private")
            sign_in_btn.click(self.sign_in, [name, session], account_outputs, api_name="sign_in")
            name.submit(self.sign_in, [name, session], account_outputs, api_visibility="private")
            sign_out_btn.click(self.sign_out, [session], account_outputs, api_name="sign_out")

            for trigger, source in [(question.submit, question)] + [(b.click, b) for b in suggestion_btns]:
                trigger(
                    self.stage, [source, session], [session, chatbot, question], queue=False, api_visibility="private"
                ).then(self.answer, [session], answer_outputs, api_visibility="private", show_progress="minimal", **chat)
            api_ask_btn.click(self.ask, [question, session], answer_outputs, api_name="ask", **chat)

            chatbot.like(self.on_like, [session], None, api_visibility="private")
            chatbot.clear(self.clear_chat, [session], [session], api_visibility="private")
            api_fb_btn.click(self.feedback_api, [fb_index, fb_rating, session], [fb_status], api_name="feedback")
            level.input(self.set_level, [level, session], None, api_name="set_level")

            forget_btn.click(
                lambda: (gr.update(visible=False), gr.update(visible=True)),
                None,
                [forget_box, confirm_box],
                api_visibility="private",
                queue=False,
            )
            cancel_btn.click(
                lambda: (gr.update(visible=True), gr.update(visible=False)),
                None,
                [forget_box, confirm_box],
                api_visibility="private",
                queue=False,
            )
            confirm_btn.click(
                self.forget, [session], account_outputs + [confirm_box], api_name="forget_me"
            )
            self.wire_admin(session, admin_widgets)
        demo.queue(default_concurrency_limit=8, max_size=256)
        return demo

    def build_admin(self, session: gr.State) -> dict | None:
        if not self.settings.admin_password:
            gr.Markdown(
                "### Admin tab disabled\nTo import pages and re-index from here, set an admin password "
                "in the environment and restart the app:\n\n```\nTUTOR_ADMIN_PASSWORD='choose-a-long-one' python app.py\n```\n"
                "Until then, use the command line: `tutor corpus import PAGES…` and `tutor index`."
            )
            return None
        w: dict = {}
        with gr.Column(visible=True) as w["login"]:
            gr.Markdown("### Admin\nImport pages or documents and re-index the corpus.")
            with gr.Row():
                w["password"] = gr.Textbox(label="Admin password", type="password", scale=4, elem_id="admin-password")
                w["unlock"] = gr.Button("Unlock", variant="primary", scale=1, elem_id="admin-unlock")
        w["message"] = gr.Markdown(elem_id="admin-message")
        with gr.Column(visible=False) as w["panel"]:
            w["stats"] = gr.Markdown()
            with gr.Row():
                w["refresh"] = gr.Button("Refresh statistics", size="sm")
                w["lock"] = gr.Button("Lock admin tab", size="sm")
            gr.Markdown(
                "#### 1. Upload\nScraped pages as **.txt** (split into articles automatically) or finished documents as "
                f"**.md** with YAML front matter (`id`, `title`; optional `kind`, `date`). UTF-8 text, at most "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MB per file, {MAX_UPLOAD_FILES} files at a time."
            )
            w["files"] = gr.File(label="Pages or documents", file_count="multiple", file_types=[".txt", ".md"])
            w["upload"] = gr.Button("Add to corpus", variant="secondary")
            w["upload_report"] = gr.Markdown()
            gr.Markdown("#### 2. Re-index\nStudents keep chatting while the new index is built; it goes live when complete.")
            w["reindex"] = gr.Button("Re-index now", variant="primary")
            w["reindex_message"] = gr.Markdown()
            w["summary"] = gr.JSON(label="Index summary", open=False)
        return w

    def wire_admin(self, session: gr.State, w: dict | None) -> None:
        if w is None:
            return
        unlock_outputs = [session, w["password"], w["message"], w["login"], w["panel"], w["stats"]]
        w["unlock"].click(self.admin_unlock, [w["password"], session], unlock_outputs, api_name="admin_unlock")
        w["password"].submit(self.admin_unlock, [w["password"], session], unlock_outputs, api_visibility="private")
        w["lock"].click(self.admin_lock, [session], [session, w["message"], w["login"], w["panel"]], api_name="admin_lock")
        w["refresh"].click(self.admin_stats, [session], [w["stats"]], api_name="admin_stats")
        w["upload"].click(
            self.admin_upload, [w["files"], session], [w["upload_report"], w["stats"]], api_name="admin_upload"
        )
        w["reindex"].click(
            self.admin_reindex,
            [session],
            [w["reindex_message"], w["summary"], w["stats"]],
            api_name="admin_reindex",
            concurrency_id="admin",
            concurrency_limit=1,
        )


# ---------------------------------------------------------------- uploads


def report_markdown(report: ImportReport) -> str:
    """What an upload changed, for the admin (file names escaped: they come from the client)."""
    lines = []
    added = [f"{name} (page)" for name in report.pages_added] + [f"articles/{i}.md" for i in report.documents_added]
    if added:
        lines.append("**Added:**")
        lines += [f"- ✅ {html.escape(a)}" for a in added]
    if report.problems:
        lines.append("**Rejected:**")
        lines += [f"- ❌ `{html.escape(Path(p.path).name)}`: {html.escape(p.message)}" for p in report.problems]
    if report.written or report.removed:
        lines.append(
            f"**Articles from pages:** written: {', '.join(report.written) or 'none'}; "
            f"removed: {', '.join(report.removed) or 'none'}."
        )
    if added:
        lines.append("\nNext: **Re-index now** to make the changes searchable.")
    return "\n".join(lines) or "Nothing was uploaded."


# ---------------------------------------------------------------- serving


def build_app(service: TutorService) -> gr.Blocks:
    """The students' page (and admin tab) over `service`."""
    return TutorPage(service).build()


def health(service: TutorService) -> tuple[dict, int]:
    try:
        stats = index_stats(service.settings)
    except IndexMissing:
        return {"status": "degraded", "index": None, "llm": service.llm_name, "error": "no index"}, 503
    index = {"generation": stats["generation"], "chunks": stats["chunks"], "documents": stats["documents"], "created": stats["created"]}
    if not service.retriever.reachable():
        return {"status": "degraded", "index": index, "llm": service.llm_name, "error": "search service unreachable"}, 503
    return {"status": "ok", "index": index, "llm": service.llm_name}, 200


def create_app(service: TutorService) -> FastAPI:
    """A FastAPI app: `/health` plus the Gradio page mounted at `/`."""
    page = TutorPage(service)
    demo = page.build()
    app = FastAPI(title=TITLE, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health")
    def health_route() -> JSONResponse:
        payload, status = health(service)
        return JSONResponse(payload, status_code=status)

    users = page.auth_users

    def check_password(username: str, password: str) -> bool:
        expected = users.get(username)
        return expected is not None and hmac.compare_digest(
            hashlib.sha256(password.encode()).digest(), hashlib.sha256(expected.encode()).digest()
        )

    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=service.settings.host,
        server_port=service.settings.port,
        auth=check_password if users else None,
        auth_message="Sign in with the name and password your institute gave you." if users else None,
        show_error=True,
        max_file_size=GRADIO_MAX_FILE_SIZE,
        footer_links=[],
        run_history=False,
        enable_monitoring=False,
        mcp_server=False,
        ssr_mode=False,
        pwa=False,
        theme=THEME,
        css=CSS,
    )


def end_streams(app: FastAPI) -> None:
    """Close the page's open event streams so a shutdown neither waits for them nor cancels them."""
    for route in app.routes:
        gradio_app = getattr(route, "app", None)
        if hasattr(gradio_app, "stop_event") and hasattr(gradio_app, "get_blocks"):
            gradio_app.get_blocks().is_running = False
            gradio_app.stop_event.set()


class StoppableServer(uvicorn.Server):
    """uvicorn, ending Gradio's long-lived streams when asked to stop (SIGTERM / Ctrl-C)."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.fastapi_app = app

    def handle_exit(self, sig, frame) -> None:
        end_streams(self.fastapi_app)
        super().handle_exit(sig, frame)


def launch(settings: Settings) -> int:
    """Serve the page on settings.host:settings.port; returns an exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    if current_generation(settings) is None:
        print(f"No search index in {settings.index_dir}/ yet: run `tutor index` first.", file=sys.stderr)
        return 1
    try:
        parse_auth_users(settings.auth_users)
        service = TutorService(settings)
    except IndexMissing as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 1
    if service.llm_name == "local":
        print("warming up the local model (loads it and reads the instructions once)…", flush=True)
    try:
        service.warm_up()
    except Exception as exc:  # the page still serves: answers fall back to extractive
        print(f"warning: the local model could not be loaded ({exc}); answers will be extractive", file=sys.stderr)
    app = create_app(service)
    print(f"{TITLE} on http://{settings.host}:{settings.port}  (health: /health)", flush=True)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    StoppableServer(config, app).run()
    return 0


__all__ = ["build_app", "create_app", "launch"]
