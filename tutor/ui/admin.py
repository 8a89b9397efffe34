"""The Admin tab, shown only to a signed-in admin: upload pages or articles, re-index with a
progress bar, statistics. The work itself is `AdminService`'s, the same that `tutor index` runs.

Every action passes `admin_action` (the account session's role, checked in the store, and an
audit record of how it ended), because private endpoints stay reachable over HTTP. Gradio's
upload route takes files from anyone (bounded by `max_file_size`, cleared by `delete_cache`);
such a file is only ever read by `upload`, which refuses everyone but a signed-in admin."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from tutor.corpus import MAX_FILE_BYTES, ImportReport
from tutor.index import IndexBusy
from tutor.service.accounts import AdminAction, NotAllowed, admin_action
from tutor.service.admin import CorpusStats, describe_reindex
from tutor.service.learner import LearnerView
from tutor.ui.session import Session, UserError, address, friendly

if TYPE_CHECKING:
    from tutor.ui.page import Page

MAX_UPLOAD_FILES = 20


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
    tab_visible = False  # shown once an admin signs in (`show`)

    def __init__(self, page: Page) -> None:
        self.page = page
        self.admin = page.service.admin

    def build(self, page: Page) -> None:
        gr.Markdown("### Admin\nImport pages or documents and re-index the corpus. Every action is recorded in the audit log.")
        self.stats = gr.Markdown()
        self.refresh_btn = gr.Button("Refresh statistics", size="sm")
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
        page.view_outputs.append(self.tab)

    def show(self, session: Session, view: LearnerView) -> dict:
        return {self.tab: gr.update(visible=session.admin)}

    def wire(self, page: Page) -> None:
        self.tab.select(self.refresh, [page.session], [self.stats], api_visibility="private")
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

    @contextmanager
    def action(self, session: Session, request: gr.Request | None, name: str, target: str = "") -> Iterator[AdminAction]:
        """Run `name` for a signed-in admin only, audited with its outcome; a calm refusal otherwise."""
        try:
            with admin_action(self.page.service.accounts, session.token, name, target, address(request)) as done:
                yield done
        except NotAllowed as exc:
            raise UserError(str(exc)) from None

    def stats_now(self) -> str:
        return stats_markdown(self.admin.stats())

    @friendly
    def refresh(self, session: Session, request: gr.Request) -> str:
        with self.action(session, request, "view_statistics"):
            return self.stats_now()

    @friendly
    def upload(self, files, session: Session, request: gr.Request):
        paths = [Path(f if isinstance(f, str) else getattr(f, "path", None) or f.name) for f in (files or [])]
        with self.action(session, request, "upload", ", ".join(p.name for p in paths)[:200]) as done:
            if not paths or len(paths) > MAX_UPLOAD_FILES:
                raise UserError(f"Choose 1 to {MAX_UPLOAD_FILES} .txt pages or .md documents to upload.")
            report = self.admin.import_files(paths)
            done.outcome = f"ok: {len(report.pages_added) + len(report.documents_added)} added, {len(report.problems)} rejected"
            return report_markdown(report), self.stats_now()

    @friendly
    def reindex(self, session: Session, request: gr.Request, progress=gr.Progress()):
        with self.action(session, request, "reindex") as done:
            progress(0, desc="Reading the corpus")

            def update(stage: str, done_: int, total: int) -> None:
                progress((done_, max(total, 1)), desc=stage.capitalize(), unit="chunks")

            try:
                summary = self.admin.reindex(progress=update)
            except IndexBusy as exc:
                raise UserError(str(exc)) from None
            done.outcome = f"ok: {summary.generation}" if summary.swapped else "ok: already up to date"
        data = summary.to_dict()
        message = f"✅ {describe_reindex(summary)}"
        if data["problems"]:
            message += "\n\n⚠️ Skipped files:\n" + "\n".join(
                f"- `{html.escape(Path(p['file']).name)}`: {html.escape(p['error'])}" for p in data["problems"]
            )
        return message, data, self.stats_now()
