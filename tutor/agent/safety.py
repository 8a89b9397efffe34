"""Is a question asking *for* harm, or *about* it?

A tutor of a cybersecurity (or chemistry, or law) programme is asked about malware, phishing and
fraud every day: what a course teaches about them, what they are, how to defend against them,
the history of a famous attack. Those questions must be answered. What must be declined is a
request for the harmful capability itself: "write me ransomware", "how do I phish my boss's
password", "how to make a bomb".

The rule reads the question as a student would mean it, clause by clause:

1. Somebody is asked to act: the student ("how do I", "can I", "help me", "I want to"), anyone
   ("how to", "ways to"), or the tutor (an imperative: "write", "give me", "make"). A question
   with no actor ("what is phishing?", "how does ransomware spread?") is about harm, never for it.
2. For each harm term in such a clause, the nearest cue before it decides: an action verb or a
   request ("make", "write", "how do I") means the harm is what is asked for; a study or
   defence cue ("defend against", "detect", "course on", "history of") means it is the subject.
   "Learn to make a bomb" asks for a bomb; "write code to detect ransomware" does not.
3. A clause that starts with a harm verb ("steal credit card numbers") is an order, and a request
   to act in secret ("without her knowing") is refused unless it is about defence.

Self-harm is recognised on its own, so that it can be answered with care rather than a rebuff.
Everything here is generic English about harm; nothing depends on a corpus.
"""

from __future__ import annotations

import re
from difflib import get_close_matches

# The person who would be harmed: generic English, no names.
_PERSON = (
    r"(?:some(?:one|body)|any(?:one|body)|people|a person|him|her|them|(?:my|his|her|their|your|a|the|our) "
    r"(?:\w+ )?(?:boss|teacher|professor|tutor|roommate|flatmate|neighbou?r|wife|husband|partner|girlfriend|boyfriend"
    r"|ex|friend|parents?|mother|mom|mum|father|dad|brother|sister|classmates?|colleagues?|family|child|kids?|students?"
    r"|teachers?|coworkers?|co-workers?))"
)
# Somebody else's contact data: asked "of" or "for" a person, or theirs ("her home address").
_PERSONAL_DATA = r"(?:(?:e-?mail |postal )?address(?:es)?|(?:phone |mobile |cell )?numbers?|contact details)"
HARM = re.compile(
    r"\b(?:(?:mal|ransom|spy|stalker)ware|viruse?s?|trojans?|keyloggers?|rootkits?|botnets?|backdoors?|zero[- ]days?"
    r"|exploit (?:code|kits?)|(?:malicious|exploit) payloads?|sql injections?|xss|ddos(?:ing)?|dos attacks?"
    r"|phish(?:ing|es|ed)?|spoof(?:ing|ed)?|brute[- ]?forc(?:e|ing)"
    r"|crack(?:ing)? (?:\w+ )?(?:password|hash|wi-?fi|licen[cs]e|account)s?|hack(?:s|ed|ing)?(?! together)"
    r"|break(?:ing)? into|steal(?:ing|s)?|stolen|fraud|scam(?:s|ming)?|forg(?:e|ed|ing|ery)|counterfeit|deepfakes?"
    r"|fake (?:\w+ )?(?:diplomas?|degrees?|certificates?|transcripts?|ids?|passports?|documents?|reviews?|accounts?"
    r"|profiles?|invoices?|news|websites?|log-?in pages?|e-?mails?)"
    r"|impersonat\w+|cheat(?:ing)?(?! sheet)|plagiari[sz]\w*|launder(?:ing)?|dox(?:x)?(?:ing)?|spy(?:ing)? on|stalk(?:ing)?"
    r"|(?:(?:his|her|their|\w+'s) )(?:home|private|personal) " + _PERSONAL_DATA
    + r"|(?:home|private|personal) " + _PERSONAL_DATA + r"(?:,? (?:and|or) (?:\w+ ){0,2}?" + _PERSONAL_DATA + r")? (?:of|for) (?!me\b|us\b)\w+"
    r"|bombs?|explosives?|weapons?|firearms?|guns?|ammunition|nerve agents?|(?:toxic|poison(?:ous)?) gas"
    r"|chemical weapons?|bio-?weapons?|meth(?:amphetamine)?|cocaine|heroin|fentanyl|illegal drugs"
    r"|(?:kill|murder|stab|shoot|hurt|harm|poison|strangle|beat up|attack)(?:s|ed|ing)? " + _PERSON + r")\b",
    re.IGNORECASE,
)
# A request: the student or anyone wants to act ("how do I", "can I", "help me", "ways to").
_REQUEST = (
    r"how (?:do|can|could|should|would|might|will) (?:i|we|you|one)|how to|(?:can|could|should|may) (?:i|we)"
    r"|(?:help|teach|show|give|send|get) me|tell me how|let me|so (?:that )?i can|i(?:'d| would) like to"
    r"|i (?:want|need|wanna|plan|intend|am going|'m going)(?: to)?|(?:ways?|steps?|instructions|tutorial|guide) (?:to|for)"
    r"|step[- ]by[- ]step"
)
# An order to the tutor starts with a verb: to produce something, or the harmful act itself.
_ORDER = r"write|code|program|generate|create|make|build|craft|develop|design|produce|synthesi[sz]e|list|provide|give|send|find"
_HARMFUL_ACT = (
    r"steal|hack|phish|ddos|spoof|forge|cheat|crack|break into|spy on|stalk|dox|launder|impersonate|plagiari[sz]e"
    r"|kill|murder|stab|shoot|hurt|poison|strangle|beat up|attack"
)
_LEAD_IN = r"^\W*(?:(?:please|pls|now|just|ok|so),? )*"
ACTOR = re.compile(rf"\b(?:{_REQUEST})\b|{_LEAD_IN}(?:{_ORDER}|{_HARMFUL_ACT})\b", re.IGNORECASE)
ORDERED_HARM = re.compile(rf"(?:{_HARMFUL_ACT})\b", re.IGNORECASE)
LEAD_IN_ONLY = re.compile(rf"{_LEAD_IN}$", re.IGNORECASE)
# What stands right before a harm term: a request or an action (the harm is wanted) ...
OFFENSIVE = (
    rf"{_REQUEST}|{_ORDER}|script|cook|mix|brew|assemble|buy|obtain|get (?:in)?to|deploy|launch|spread|use|run"
    r"|working|undetectable|untraceable"
)
# ... or a cue that harm is being studied, defined or defended against (the harm is the subject).
DEFENSIVE = (
    r"defen[cds]\w*|protect\w*|detect\w*|prevent\w*|stop|block\w*|avoid\w*|recogni[sz]e|spot|identify|tell (?:if|whether)"
    r"|know (?:if|whether)|mitigat\w*|counter\w*|guard\w*|fight\w*|respond\w*|response|recover\w*|remov\w*"
    r"|get rid of|clean\w*|report\w*|investigat\w*|forensic\w*|analy[sz]\w*|resist\w*|safe from|against|victims?"
    r"|clicked|opened|received|fell for|hit by|infected|targeted|ethical|white[- ]hat|course|module|class|lecture|degree"
    r"|master'?s|msc|bachelor'?s|programme|program(?:me)?s|curriculum|syllabus|teach(?:es|ing)?|taught|learn\w*|study"
    r"|studies|cover\w*|about|overview|summary|history|definition|introduction|explain\w*|essay|types of|examples? of"
    r"|difference|what is|what are|why|mean\w*|risks?|awareness|simulations?|training|testing|surviv\w*"
    r"|was|were|been|got"  # the passive of a victim: "my account was hacked"
)
CUE = re.compile(rf"\b(?:(?P<offensive>{OFFENSIVE})|(?P<defensive>{DEFENSIVE}))\b", re.IGNORECASE)
DEFENSIVE_CUE = re.compile(rf"\b(?:{DEFENSIVE})\b", re.IGNORECASE)
# A harm term followed by one of these names the defence ("malware analysis", "phishing awareness").
DEFENCE_COMPOUND = re.compile(
    r"\W*(?:detection|protection|prevention|defen[cs]e|analysis|awareness|forensics|response|simulations?|training"
    r"|testing|removal|scanners?|filters?)\b",
    re.IGNORECASE,
)
COVERT = re.compile(
    r"\b(?:secretly|in secret|undetect(?:ed|able)|untraceabl[ey]|without (?:(?:them|him|her|anyone|anybody|my \w+|the \w+)"
    r" (?:knowing|noticing|finding out)|getting caught|being caught|a trace))\b",
    re.IGNORECASE,
)
SELF_HARM = re.compile(
    r"\b(?:suicid\w*|self[- ]harm\w*|kill(?:ing)? (?:my ?self|me)|end(?:ing)? (?:my life|it all)|hurt(?:ing)? my ?self"
    r"|cut(?:ting)? my ?self|(?:want|wanna|going) to die|better off dead|take my (?:own )?life)\b",
    re.IGNORECASE,
)
CLAUSE_END = re.compile(r"[.!?;\n]+|\s+-\s+|\bbut\b", re.IGNORECASE)
# Rare words whose misspellings ("ransomeware", "malwear", "phising") are still meant as them.
HARM_NOUNS = ("malware", "ransomware", "spyware", "keylogger", "rootkit", "botnet", "phishing", "deepfake",
              "explosive", "explosives", "weapon", "weapons", "cocaine", "heroin", "fentanyl", "methamphetamine")
TYPO_SIMILARITY = 0.85  # difflib ratio above which a word is taken as a misspelt harm noun


def is_self_harm(question: str) -> bool:
    """The student may be at risk: answered with care, never with course material."""
    return bool(SELF_HARM.search(question))


def asks_for_harm(question: str) -> bool:
    """A request for a harmful capability or act (not a question about one): see the module
    docstring for the reading."""
    return any(_clause_asks_for_harm(clause) for clause in CLAUSE_END.split(correct_harm_typos(question)))


def _clause_asks_for_harm(clause: str) -> bool:
    """One clause: an actor is asked to act, and a harm term is what the action is for."""
    if not ACTOR.search(clause):
        return False
    if COVERT.search(clause) and not DEFENSIVE_CUE.search(clause):
        return True
    for harm in HARM.finditer(clause):
        before = clause[: harm.start()]
        if LEAD_IN_ONLY.match(before) and ORDERED_HARM.match(harm.group(0)):
            return True
        if DEFENCE_COMPOUND.match(clause, harm.end()):
            continue
        cues = list(CUE.finditer(before))
        if cues and cues[-1].group("offensive"):
            return True
    return False


def correct_harm_typos(text: str) -> str:
    """Misspelt harm nouns in their right spelling, so a typo does not slip a request through.
    Only rare nouns, and only with the same first letter: "fishing" stays "fishing"."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        lower = word.lower()
        if len(lower) < 5 or lower in HARM_NOUNS:
            return word
        close = get_close_matches(lower, HARM_NOUNS, n=1, cutoff=TYPO_SIMILARITY)
        return close[0] if close and close[0][0] == lower[0] else word

    return re.sub(r"[A-Za-z]+", fix, text)
