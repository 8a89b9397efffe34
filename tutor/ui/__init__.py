"""The students' web page (Gradio Blocks in FastAPI), as small modules: one per part of the page.

- `page.py` lays the parts out and merges what they show (named outputs);
- `chat.py`, `feedback.py`, `signin.py`, `learner_panel.py`, `conversations.py`, `admin.py`: the parts;
- `render.py` (safe Markdown, chat messages), `texts.py` (institute wording), `session.py`;
- `server.py`: FastAPI, `/health`, the CLI's `/api/*`, launch and shutdown.

Every handler calls `tutor.service` only. Safety rules the parts follow:
- who is asking comes from the account session whose token lives in a per-tab `gr.State` on
  the server (clients cannot write it), checked against the store by every handler;
- every event a student should not call directly is `api_visibility="private"`, and every
  handler still checks the session itself (private endpoints remain reachable over HTTP);
- user and model text is HTML-escaped before rendering (plus `sanitize_html=True`);
- a failing handler shows a friendly message; the traceback goes to the server log only.
"""

from tutor.ui.server import build_app, create_app, launch
__all__ = ["build_app", "create_app", "launch"]
