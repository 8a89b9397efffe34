"""Serving: the FastAPI app (`/health`, the CLI's `/api/*`, the page at `/`), and a uvicorn
server that ends Gradio's long-lived streams on shutdown."""

from __future__ import annotations

import logging
import sys

import gradio as gr
import uvicorn
from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse

from tutor.config import Settings
from tutor.index import IndexMissing
from tutor.service.admin import AdminService
from tutor.service.answering import TutorService
from tutor.ui.page import Page
from tutor.ui.texts import APP_NAME, PageTexts

log = logging.getLogger("tutor.ui")

# Gradio's upload route is public: bound what anyone can put in the cache (cleared hourly by
# `delete_cache`); only the admin's `upload` handler ever reads those files.
GRADIO_MAX_FILE_SIZE = "5mb"
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


def build_app(service: TutorService, texts: PageTexts | None = None) -> gr.Blocks:
    """The students' page (and admin tab) over `service`."""
    return Page(service, texts).build()


def add_cli_routes(app: FastAPI, service: TutorService) -> None:
    """What `tutor search` and `tutor ask --llm extractive` ask a running app instead of loading
    the models themselves: anonymous, read-only, and never the LLM (so the page's queue is untouched)."""

    @app.get("/api/search")
    def search(q: str = Query(max_length=2000), k: int = Query(5, ge=1, le=50), kind: str | None = None, doc: str | None = None):
        return service.searcher.search(q, k=k, kind=kind, doc=doc)

    @app.get("/api/ask")
    def ask(q: str = Query(max_length=100_000)):
        return service.ask(q, llm="extractive").to_dict()


def create_app(service: TutorService, texts: PageTexts | None = None) -> FastAPI:
    """A FastAPI app: `/health`, the CLI's `/api/*`, and the Gradio page mounted at `/`."""
    demo = build_app(service, texts)
    app = FastAPI(title=APP_NAME, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health")
    def health_route() -> JSONResponse:
        health = service.admin.health()
        return JSONResponse(health.payload, status_code=health.status)

    add_cli_routes(app, service)
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=service.settings.host,
        server_port=service.settings.port,
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
    if not AdminService(settings).has_index():
        print(f"No search index in {settings.index_dir}/ yet: run `tutor index` first.", file=sys.stderr)
        return 1
    try:
        service = TutorService(settings)
    except IndexMissing as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 1
    model = ", and the local model (loads it and reads the instructions once)" if service.llm_name == "local" else ""
    print(f"warming up: the search and language models{model}…", flush=True)
    try:
        service.warm_up()
    except Exception as exc:  # the page still serves: what failed loads again on the first question
        print(f"warning: warm-up did not finish ({exc}); if the local model failed, answers will be extractive", file=sys.stderr)
    app = create_app(service)
    print(f"{APP_NAME} on http://{settings.host}:{settings.port}  (health: /health)", flush=True)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level="warning", access_log=False, timeout_graceful_shutdown=5
    )
    StoppableServer(config, app).run()
    return 0
