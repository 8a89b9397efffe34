"""Entry point of the students' web page: `python app.py` (settings from TUTOR_* variables)."""

import sys

from tutor.config import get_settings

if __name__ == "__main__":
    settings = get_settings()
    if not settings.index_pointer.exists():  # answer fast, before the heavy imports
        print(f"No search index in {settings.index_dir}/ yet: run `tutor index` first.", file=sys.stderr)
        raise SystemExit(1)
    from tutor.ui import launch

    raise SystemExit(launch(settings))
