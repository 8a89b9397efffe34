"""The knowledge base: documents as Markdown files (`documents`), and the importers that make
them from what admins have (`importers`, with the scraped-page splitter in `pages`)."""

from tutor.corpus.documents import (
    MAX_FILE_BYTES,
    CorpusError,
    Document,
    ImportReport,
    Problem,
    load_documents,
    parse_front_matter,
    read_text_file,
    slugify,
)
from tutor.corpus.importers import import_files, safe_name

__all__ = [
    "MAX_FILE_BYTES",
    "CorpusError",
    "Document",
    "ImportReport",
    "Problem",
    "import_files",
    "load_documents",
    "parse_front_matter",
    "read_text_file",
    "safe_name",
    "slugify",
]
