"""Tutoring beyond answering: a question bank built from the content, grading without an LLM,
mastery per topic (Bayesian knowledge tracing), spaced review and a content-gap report.

Policy modules (`mastery`, `review`, `grading`) are pure: no files, no database, no clock
(callers pass times in). `bank` makes and stores items; `service` is what the CLI and the page
call; `gaps` reads the learners store and the live index.
"""
