"""Content is data, never instructions: pure checks on documents before they are indexed and
on answers before a learner sees them.

Why rules and not a model: the local LLM is the thing being attacked, so it cannot be the judge;
these patterns are deterministic, fast and tested against the real corpora (no finding on
ordinary educational text) and against the attacks and their paraphrases.

- `screen_document(text)` finds text aimed at the assistant rather than at a reader: orders to
  ignore instructions, imitations of a chat prompt, notes addressed to the AI, and requests for
  passwords or payments. The importer holds a document with findings for an admin to review.
- `check_answer(answer, allowed)` blocks an answer that asks the learner for credentials or a
  payment, or points them to an e-mail address or link outside the `allowed` domains (the
  institute profile's and the corpus's own).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from tutor.text import CURRENCY, split_sentences

_ASSISTANT = r"(?:ai|a\.i\.|assistant|chat ?bot|bot|language model|llm|model|tutor|gpt)"
_READER = r"(?:students?|users?|learners?|readers?|visitors?|applicants?|people|everyone|them|him|her)"
_NEGATED = r"(?<!\bnever )(?<!\bnot )(?<!n't )(?<!\bnever to )(?<!\bnot to )"
_CREDENTIAL = (
    r"(?:pass ?words?|passcodes?|passphrases?|pin (?:codes?|numbers?)|credentials|log-?in (?:details|data|info(?:rmation)?)"
    r"|one[- ]time (?:code|password)s?|otps?|2fa codes?|(?:verification|security|access) codes?"
    r"|bank (?:details|account details)|card numbers?|credit card(?: details| numbers?)?|cvvs?|social security numbers?)"
)
_HANDOVER = r"(?:(?:send|e-?mail|mail|share|give|provide|submit|forward|text|dm|post|request)(?:s|es|ed|ing)?|(?:reply|replie)(?:s|d)? with|ask(?:s|ed|ing)? for)"
_MONEY = rf"(?:[{CURRENCY}]\s?\d|\d+\s?(?:usd|eur|gbp|dollars|euros|pounds)\b|money|payment|fees?|bitcoin|btc|crypto(?:currency)?|gift ?cards?|wallet|iban|western union)"
_OUTSIDE_ACCOUNT = r"(?:bitcoin|btc|crypto(?:currency)?|wallet|gift ?cards?|western union|iban|@|https?://|this account|the following account)"

# Who makes the request when a text describes an attack ("phishing e-mails ask for passwords").
_ATTACKER = (
    r"(?:phish\w*|scam\w*|fraud\w*|con artists?|(?:cyber)?criminals?|attackers?|hackers?|threat actors?|impostors?"
    r"|fake|spoofed|malicious|malware|social engineering|impersonat\w*)"
)
_SPEAKER = r"\b(?:we|us|our|please|kindly)\b"

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]]+", re.IGNORECASE)

# Text that gives the assistant orders: an attack wherever it appears, in a document or a question.
INSTRUCTION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "tells the assistant to ignore its instructions",
        re.compile(
            r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|your|my|these|those|of|previous|prior|above"
            r"|earlier|preceding|foregoing|original|other|existing)\s+)*(?:instructions?|rules|prompts?|directions|guidelines"
            r"|guardrails|system messages?|programming|corpus|sources)\b"
            r"|\b(?:ignore|disregard|forget)\s+(?:everything|anything|all)\s+(?:above|before|else|you (?:were|have been) told)",
            re.IGNORECASE,
        ),
    ),
    (
        "tries to give the assistant a new role or new instructions",
        re.compile(
            r"\b(?:you are now|from now on,? (?:you|the " + _ASSISTANT + r"|answer|respond|reply|say|always|only|never)\b"
            r"|new instructions?\s*:|system prompt"
            r"|(?:reveal|print|repeat|show|output) (?:your|the) (?:system )?(?:prompt|instructions)"
            r"|developer mode|jailbreak|do anything now"
            r"|pretend (?:to be|you are)|act as (?:an? )?(?:unrestricted|unfiltered|different|new|evil) " + _ASSISTANT + r")",
            re.IGNORECASE,
        ),
    ),
    (
        "imitates the format of a chat prompt",
        re.compile(r"<\|?(?:im_start|im_end|system|assistant|user)\|?>|\[/?INST\]|<</?SYS>>|^\s*#{0,3}\s*(?:system|assistant)\s*:", re.IGNORECASE),
    ),
)
DOCUMENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = INSTRUCTION_RULES + (
    (
        "addresses the assistant directly",
        re.compile(
            r"\b(?:note|message|instructions?|reminder)s? (?:to|for) (?:the |any |all )?" + _ASSISTANT + r"s?\b"
            r"|\b(?:if|when) you are an? " + _ASSISTANT + r"\b"
            r"|(?:^\W*|\b(?:dear|hey|attention,?)\s+)(?:the )?" + _ASSISTANT + r"s?(?: reading this)?\s*[,:]\s*"
            r"(?:you|please|always|never|tell|say|respond|answer|reply|ignore)\b(?!['’])"
            r"|\bwhen(?:ever)? (?:you )?(?:answer|respond|reply)(?:ing)?\b[^.]{0,60}\b(?:always|must|tell|say|mention|include)\b"
            r"|\bin (?:your|every|each|all) (?:answers?|responses?|replies)\b[^.]{0,40}\b(?:tell|say|mention|include|ask)\b",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True)
class Finding:
    """Why a sentence looks like an instruction or a harmful request, and the sentence itself."""

    reason: str
    sentence: str


def sentences(text: str) -> list[str]:
    """Sentences line by line: Markdown bullets and headings stand on their own."""
    return [s for line in text.splitlines() for s in split_sentences(line.strip())]


def credential_request(sentence: str) -> bool:
    """Someone is asked to hand over a password or similar (warnings such as "never share
    your password" are not requests)."""
    return bool(
        re.search(
            _NEGATED + r"\b" + _HANDOVER + r"\b[^.?!]{0,60}?\b" + _CREDENTIAL + r"\b",
            sentence,
            re.IGNORECASE,
        )
    )


def payment_request(sentence: str) -> bool:
    """Money asked for through a channel no institute uses: crypto, gift cards, a wallet, an
    e-mail address or link. Ordinary fee information ("tuition is paid per term") passes."""
    return bool(
        re.search(r"\b(?:send|pay|transfer|wire|deposit)\b[^.?!]{0,80}?" + _MONEY, sentence, re.IGNORECASE)
        and re.search(_OUTSIDE_ACCOUNT, sentence, re.IGNORECASE)
    )


def steers_reader_to_contact(sentence: str) -> bool:
    """An order to tell the reader to write to or visit an address: aimed at whoever passes
    the text on (the assistant), not at the reader."""
    return bool(
        re.search(r"\b(?:tell|instruct|remind|direct|advise|urge|convince)\s+(?:the |all |every |each |any )?" + _READER
                  + r"\s+(?:to|that they (?:must|should))\s+(?:e-?mail|write|contact|send|visit|go to|click|message|call|reach)\b",
                  sentence, re.IGNORECASE)
        and (EMAIL.search(sentence) or URL.search(sentence))
    )


def screen_document(text: str) -> list[Finding]:
    """Instruction-like text aimed at the assistant, one finding per offending sentence (the
    first reason that applies). Empty for ordinary educational text."""
    findings = []
    for sentence in sentences(text):
        reason = next((why for why, pattern in DOCUMENT_RULES if pattern.search(sentence)), None)
        reason = reason or harmful_request(sentence)
        if reason is None and steers_reader_to_contact(sentence):
            reason = "tells the assistant to send the student to an address"
        if reason:
            findings.append(Finding(reason, sentence))
    return findings


def harmful_request(sentence: str) -> str | None:
    """The reason a sentence asks for credentials or a payment, or None. A sentence that
    describes how an attacker asks ("phishing e-mails ask for your password") teaches the
    attack; it is not a request."""
    requests = [clause for clause in re.split(r";|\s[-–—]\s", sentence) if not describes_attack(clause)]
    if any(credential_request(clause) for clause in requests):
        return "asks for a password or other credentials"
    if any(payment_request(clause) for clause in requests):
        return "asks for a payment through an outside channel"
    return None


def describes_attack(sentence: str) -> bool:
    """An attacker (or its message) is the one asking, within the same clause, and the text
    does not speak for itself ("we", "please"): a lesson on phishing, not a phishing attempt."""
    return bool(
        re.search(r"\b" + _ATTACKER + r"\b[^.,;:!?]{0,60}?\b(?:" + _HANDOVER + r"|pay|transfer|wire|deposit)\b", sentence, re.IGNORECASE)
        and not re.search(_SPEAKER, sentence, re.IGNORECASE)
    )


# ---------------------------------------------------------------- answers


def domain_of(item: str) -> str:
    """The lower-case host of an e-mail address, a URL or a bare domain."""
    item = item.strip().lower()
    if "@" in item and "://" not in item:
        return item.rsplit("@", 1)[1].strip(".")
    try:
        host = urlsplit(item if "://" in item else f"//{item}").hostname or ""
    except ValueError:  # no host a browser would reach ("[2]": urlsplit reads a bracketed IPv6 host)
        return ""
    return host.removeprefix("www.").strip(".")


def is_allowed(address: str, allowed_domains: Iterable[str]) -> bool:
    """An address is allowed when its domain is an allowed domain or one of its subdomains."""
    domain = domain_of(address)
    return bool(domain) and any(domain == d or domain.endswith("." + d) for d in map(domain_of, allowed_domains) if d)


def outside_addresses(text: str, allowed_domains: Iterable[str]) -> list[str]:
    """E-mail addresses and links in `text` that lead outside the allowed domains."""
    allowed = list(allowed_domains)
    found = [m.group(0) for m in EMAIL.finditer(text)] + [m.group(0).rstrip(".,;:") for m in URL.finditer(text)]
    return [address for address in found if not is_allowed(address, allowed)]


def check_answer(answer: str, allowed_domains: Iterable[str] = ()) -> list[Finding]:
    """Reasons to withhold an answer from the learner; empty when it may be shown."""
    allowed = list(allowed_domains)
    findings = []
    for sentence in sentences(answer):
        reason = harmful_request(sentence)
        outside = outside_addresses(sentence, allowed)
        if reason is None and outside:
            reason = f"points the student to an address outside the institute ({', '.join(outside)})"
        if reason:
            findings.append(Finding(reason, sentence))
    return findings


SENTENCE_BOUNDARY = re.compile(r"[.!?](?:\s*\[\d{1,2}\])*[\s\n]+")


class AnswerGate:
    """Streams a draft sentence by sentence, each released only once it has passed
    `check_answer`: a withheld draft never shows on the learner's screen, not even in part.
    After a failure nothing more of that draft is released; `reset` starts the next draft."""

    def __init__(self, allowed_domains: Iterable[str] = ()) -> None:
        self.allowed = list(allowed_domains)
        self.reset()

    def reset(self) -> None:
        self.pending = ""
        self.blocked = False

    def feed(self, token: str) -> str:
        """The text that may be shown now (possibly empty)."""
        if self.blocked:
            return ""
        self.pending += token
        ends = [m.end() for m in SENTENCE_BOUNDARY.finditer(self.pending)]
        return self._release(ends[-1]) if ends else ""

    def flush(self) -> str:
        """The rest of the draft, if it passes, once the draft is complete."""
        return "" if self.blocked else self._release(len(self.pending))

    def _release(self, end: int) -> str:
        ready, self.pending = self.pending[:end], self.pending[end:]
        ready = without_outside_addresses(ready, self.allowed)
        if check_answer(ready, self.allowed):
            self.blocked = True
            return ""
        return ready


# ---------------------------------------------------------------- links shown to the learner

LINKISH = re.compile(
    r"\[(?P<label>[^\]]*)\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
    r"|(?<![`\w.%+-])(?P<bare>(?:https?://|www\.)[^\s<>\"'()\[\]`]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)",
    re.IGNORECASE,
)


def rewrite_outside_links(
    text: str, allowed_domains: Iterable[str], link: Callable[[str, str], str], address: Callable[[str], str]
) -> str:
    """Every link (`link(label, target)`) and bare address (`address(address)`) outside the
    allowed domains rewritten; links to the allowed domains stay as they are."""
    allowed = list(allowed_domains)

    def replace(match: re.Match[str]) -> str:
        if match.group("bare"):
            found = match.group("bare").rstrip(".,;:")
            return match.group(0) if is_allowed(found, allowed) else address(found) + match.group("bare")[len(found):]
        target = match.group("target")
        return match.group(0) if is_allowed(target, allowed) else link(match.group("label"), target)

    return LINKISH.sub(replace, text)


def inert_links(markdown: str, allowed_domains: Iterable[str]) -> str:
    """Markdown for the Sources panel: links and addresses outside the allowed domains become
    plain code text (`url`), which no renderer turns into a link, so a planted link can be
    read but not clicked."""
    return rewrite_outside_links(markdown, allowed_domains, lambda label, target: f"{label} (`{target}`)", lambda found: f"`{found}`")


def without_outside_addresses(answer: str, allowed_domains: Iterable[str]) -> str:
    """An answer with the addresses outside the allowed domains taken out: a link keeps its
    label, a bare address goes. Content links to many sites (lesson pages, partners); quoting
    them is no reason to withhold a whole answer, but the tutor only sends learners to the
    institute's own addresses (a planted page's "apply at evil.example" loses its address)."""
    stripped = rewrite_outside_links(answer, allowed_domains, lambda label, _target: label, lambda _found: "")
    return re.sub(r"\(\s*\)|[ \t]{2,}", lambda m: "" if m.group(0).startswith("(") else " ", stripped)
