"""What the page renders from sources: links are clickable only to the institute's own domains."""

from __future__ import annotations

from tutor.service.events import Citation
from tutor.ui.render import answer_messages

PLANTED = Citation(
    1, "c1", "doc", "Fees", "", "Pay at https://opit.com/fees or mail bursar@opit.com, never [here](https://evil.example/pay) or thief@evil.example."
)


def test_sources_and_previews_link_only_to_the_institute() -> None:
    answer, sources = answer_messages("Fees are due each term [1].", [PLANTED], "none", None, {"opit.com"})
    shown = sources["content"]
    assert "https://opit.com/fees" in shown and "`https://opit.com/fees`" not in shown
    assert "(`https://evil.example/pay`)" in shown and "](https://evil.example" not in shown
    assert "`thief@evil.example`" in shown and "`bursar@opit.com`" not in shown
    assert "`https://evil.example/pay`" in answer["content"]  # the [1] hover preview too
