"""The password-protected Admin tab: upload pages or articles, re-index with a progress bar,
statistics. The work itself is `AdminService`'s, the same that `tutor index` runs."""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from tutor.corpus import MAX_FILE_BYTES, ImportReport
from tutor.index import IndexBusy
from tutor.service.accounts import same_secret
from tutor.service.admin import CorpusStats, describe_reindex
from tutor.service.learner import LearnerView
from tutor.ui.session import Session, UserError, friendly

if TYPE_CHECKING:
    from tutor.ui.page import Page

MAX_UPLOAD_FILES = 20
WRONG_PASSWORD_DELAY_S = 1.0
DISABLED = "The admin tab is disabled: set TUTOR_ADMIN_PASSWORD and restart the app."


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
    if report.held:
        lines.append("**Held for review** (text aimed at the assistant; not indexed, see `tutor corpus held`):")
        lines += [f"- ⚠️ {html.escape(h)}" for h in report.held]
    if report.written or report.removed:
        lines.append(
            f"**Articles from pages:** written: {', '.join(report.written) or 'none'}; "
            f"removed: {', '.join(report.removed) or 'none'}."
        )
    if added:
        lines.append("\nNext: **Re-index now** to make the changes searchable.")
    return "\n".join(lines) or "Nothing was uploaded."


def stats_markdown(s: CorpusStats) -> str:
    kinds = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(s.documents.items())) or "none"
    lines = ["### Corpus and index", f"- **Documents:** {kinds}"]
    if s.problems:
        lines.append(f"- **Unusable files:** {len(s.problems)} (" + "; ".join(map(html.escape, s.problems[:5])) + ")")
    if s.index:
        lines += [
            f"- **Indexed documents:** {s.index['documents']} · **chunks:** {s.index['chunks']}",
            f"- **Generation:** `{s.index['generation']}` · **created:** {s.index['created']}",
            f"- **Embedding model:** {s.index.get('embedding_model', '?')} · **store:** {s.index.get('store', '?')}",
        ]
    else:
        lines.append("- **Index:** not built yet")
    lines.append(f"- **Learners:** {s.learners} · **feedback:** 👍 {s.feedback_up} / 👎 {s.feedback_down}")
    return "\n".join(lines)


class AdminPart:
    place = "tab"
    tab_label = "Admin"
    tab_id = "admin"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.password = page.settings.admin_password
        self.admin = page.service.admin

    def build(self, page: Page) -> None:
        if not self.password:
            gr.Markdown(
                "### Admin tab disabled\nTo import pages and re-index from here, set an admin password "
                "in the environment and restart the app:\n\n```\nTUTOR_ADMIN_PASSWORD='choose-a-long-one' python app.py\n```\n"
                "Until then, use the command line: `tutor corpus import PAGES…` and `tutor index`."
            )
            return
        with gr.Column(visible=True) as self.login:
            gr.Markdown("### Admin\nImport pages or documents and re-index the corpus.")
            with gr.Row():
                self.secret = gr.Textbox(label="Admin password", type="password", scale=4, elem_id="admin-password")
                self.unlock_btn = gr.Button("Unlock", variant="primary", scale=1, elem_id="admin-unlock")
        self.message = gr.Markdown(elem_id="admin-message")
        with gr.Column(visible=False) as self.panel:
            self.stats = gr.Markdown()
            with gr.Row():
                self.refresh_btn = gr.Button("Refresh statistics", size="sm")
                self.lock_btn = gr.Button("Lock admin tab", size="sm")
            gr.Markdown(
                "#### 1. Upload\nScraped pages as **.txt** (split into articles automatically) or finished documents as "
                f"**.md** with YAML front matter (`id`, `title`; optional `kind`, `date`). UTF-8 text, at most "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MB per file, {MAX_UPLOAD_FILES} files at a time."
            )
            self.files = gr.File(label="Pages or documents", file_count="multiple", file_types=[".txt", ".md"])
            self.upload_btn = gr.Button("Add to corpus", variant="secondary")
            self.upload_report = gr.Markdown()
            gr.Markdown("#### 2. Re-index\nStudents keep chatting while the new index is built; it goes live when complete.")
            self.reindex_btn = gr.Button("Re-index now", variant="primary")
            self.reindex_message = gr.Markdown()
            self.summary = gr.JSON(label="Index summary", open=False)

    def show(self, session: Session, view: LearnerView) -> dict:
        return {}

    def wire(self, page: Page) -> None:
        if not self.password:
            return
        unlock_outputs = [page.session, self.secret, self.message, self.login, self.panel, self.stats]
        self.unlock_btn.click(self.unlock, [self.secret, page.session], unlock_outputs, api_name="admin_unlock")
        self.secret.submit(self.unlock, [self.secret, page.session], unlock_outputs, api_visibility="private")
        self.lock_btn.click(self.lock, [page.session], [page.session, self.message, self.login, self.panel], api_name="admin_lock")
        self.refresh_btn.click(self.refresh, [page.session], [self.stats], api_name="admin_stats")
        self.upload_btn.click(self.upload, [self.files, page.session], [self.upload_report, self.stats], api_name="admin_upload")
        self.reindex_btn.click(
            self.reindex,
            [page.session],
            [self.reindex_message, self.summary, self.stats],
            api_name="admin_reindex",
            concurrency_id="admin",
            concurrency_limit=1,
        )

    def require_admin(self, session: Session) -> None:
        if not session.admin:
            raise UserError("Unlock the admin tab with the admin password first.")

    def stats_now(self) -> str:
        return stats_markdown(self.admin.stats())

    @friendly
    def unlock(self, password: str, session: Session):
        if not same_secret(password or "", self.password):
            time.sleep(WRONG_PASSWORD_DELAY_S)  # slows down guessing
            session.admin = False
            return session, "", "❌ Wrong password.", gr.update(visible=True), gr.update(visible=False), gr.skip()
        session.admin = True
        return session, "", "", gr.update(visible=False), gr.update(visible=True), self.stats_now()

    @friendly
    def lock(self, session: Session):
        session.admin = False
        return session, "🔒 Locked.", gr.update(visible=True), gr.update(visible=False)

    @friendly
    def refresh(self, session: Session) -> str:
        self.require_admin(session)
        return self.stats_now()

    @friendly
    def upload(self, files, session: Session):
        self.require_admin(session)
        paths = [Path(f if isinstance(f, str) else getattr(f, "path", None) or f.name) for f in (files or [])]
        if not paths:
            raise UserError("Choose one or more .txt pages or .md documents to upload first.")
        if len(paths) > MAX_UPLOAD_FILES:
            raise UserError(f"Upload at most {MAX_UPLOAD_FILES} files at a time.")
        return report_markdown(self.admin.import_files(paths)), self.stats_now()

    @friendly
    def reindex(self, session: Session, progress=gr.Progress()):
        self.require_admin(session)
        progress(0, desc="Reading the corpus")

        def update(stage: str, done: int, total: int) -> None:
            progress((done, max(total, 1)), desc=stage.capitalize(), unit="chunks")

        try:
            summary = self.admin.reindex(progress=update)
        except IndexBusy as exc:
            raise UserError(str(exc)) from None
        data = summary.to_dict()
        message = f"✅ {describe_reindex(summary)}"
        if data["problems"]:
            message += "\n\n⚠️ Skipped files:\n" + "\n".join(
                f"- `{html.escape(Path(p['file']).name)}`: {html.escape(p['error'])}" for p in data["problems"]
            )
        return message, data, self.stats_now()
