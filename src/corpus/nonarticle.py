"""Pages that are not articles: HTTP error pages, bot challenges, login and cookie walls, bare paywall notices.

A scraper saves whatever the server answered, so a collection holds "502 Bad Gateway", Cloudflare's
"Just a moment...", "Access denied", consent screens and "Subscribe to continue reading" beside the
articles; indexed, they would be counted as articles and collapse into duplicates of each other.
`kind_of` names what such a text is. It looks only at short texts (a notice, not an article that
mentions one), so an article about a server outage or a paywall keeps its place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    max_words: int  # texts longer than this are articles, whatever they mention
    hits: int = 1  # distinct phrases of the kind the text must hold


def _re(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in phrases), re.IGNORECASE | re.MULTILINE)


HTTP_STATUS = (
    r"\b(?:error\s*)?(?:400\s+bad request|401\s+unauthori[sz]ed|403\s+forbidden|404\s+(?:page\s+)?not found|"
    r"405\s+method not allowed|408\s+request time-?out|410\s+gone|429\s+too many requests|"
    r"500\s+internal server error|502\s+bad gateway|503\s+service (?:temporarily )?unavailable|"
    r"504\s+gateway time-?out)\b"
)
RULES: tuple[Rule, ...] = (
    Rule("HTTP error", _re(
        HTTP_STATUS, r"\berror\s+(?:52[0-7]|530|10\d\d)\b", r"\bhttp error \d{3}\b", r"\bpage not found\b",
        r"\b(?:404|not found)\b.{0,80}\b(?:page|url|file)\b", r"the (?:page|url|file) you (?:are looking for|requested|were looking for)"
        r".{0,40}(?:could not be found|cannot be found|can't be found|does not exist|doesn't exist|was not found|"
        r"is no longer available|has been (?:removed|moved))",
        r"\baccess denied\b", r"the requested (?:url|page|resource|document)\b.{0,60}\bwas not found",
        r"^\s*(?:404\s+)?not found\s*$", r"you don'?t have permission to access", r"web server is (?:down|returning an unknown error)",
        r"origin is unreachable", r"connection timed out", r"a timeout occurred", r"ssl handshake failed",
        r"service (?:temporarily )?unavailable", r"internal server error", r"bad gateway", r"gateway time-?out",
        r"the server (?:encountered an internal error|is temporarily unable)"), 150),
    Rule("bot challenge", _re(
        r"\bjust a moment\.\.\.", r"checking (?:your browser|if the site connection is secure)",
        r"verify(?:ing)? (?:that )?you are (?:a )?human", r"are you a (?:human|robot)\b", r"i'?m not a robot",
        r"please complete the security check", r"attention required!?\s*\|\s*cloudflare", r"ddos protection by",
        r"enable javascript and cookies to continue", r"unusual traffic from your computer network",
        r"pardon our interruption", r"incapsula incident id", r"press (?:&|and) hold",
        r"access to this page has been denied", r"\bcaptcha\b",
        r"this (?:website|site) is using a security service to protect itself", r"bot detection"), 250),
    Rule("login wall", _re(
        r"(?:please )?(?:log|sign) ?in to (?:continue|read|view|access|see)", r"you (?:must|need to) (?:be )?(?:logged|signed) in",
        r"\blog ?in required\b", r"create a free account to (?:continue|read|keep reading)", r"register (?:for free )?to (?:continue|read)",
        r"this (?:content|article|page) is (?:only )?available (?:to|for) (?:registered|logged-in) (?:users|members|readers)"), 120),
    Rule("cookie wall", _re(
        r"\bwe (?:and our (?:\d+ )?partners )?use cookies\b", r"\bcookies? (?:settings|preferences|policy|consent|notice)\b",
        r"accept (?:all )?cookies", r"manage (?:cookies|consent|preferences)", r"before you continue to \w+",
        r"we and our (?:\d+ )?partners (?:store|access|process|use)", r"(?:reject|accept) all\b",
        r"part of the yahoo family of brands", r"your privacy choices", r"consent to (?:the use of )?cookies"), 300, hits=2),
    Rule("paywall notice", _re(
        r"subscribe (?:now )?to (?:continue|read|keep reading|unlock)", r"to continue reading", r"(?:continue|keep) reading with a",
        r"(?:for|available to|only available to|exclusive to|reserved for) (?:paying )?(?:subscribers|members)",
        r"\bsubscribers? only\b", r"you(?:'ve| have) reached (?:your|the) (?:limit|monthly limit|free article limit)",
        r"(?:free )?articles? limit", r"already a (?:subscriber|member)\?", r"\bpremium (?:content|article)\b",
        r"become a (?:member|subscriber) to (?:read|continue)", r"unlock (?:this|the full) (?:article|story)",
        r"this (?:article|story|content) is (?:behind a paywall|for (?:paid )?subscribers)"), 80),
)


# Words one of which every phrase of a kind shows (the status code, "denied", "captcha", "cookies",
# "subscribe", ...): a text with none of a kind's words, nearly every article, is not scanned with
# that kind's phrase patterns; one set lookup over the words of its head and tail decides.
TRIGGERS: dict[str, frozenset[str]] = {
    "HTTP error": frozenset(["400", "401", "403", "404", "405", "408", "410", "429", "502", "503", "504", "error",
                             "errors", "forbidden", "unauthorized", "unauthorised", "found", "exist", "gateway",
                             "unavailable", "denied", "permission", "unreachable", "handshake", "timeout", "time-out",
                             "timed", "requested"]),
    "bot challenge": frozenset(["moment", "browser", "checking", "human", "robot", "bot", "captcha", "ddos", "javascript",
                                "unusual", "interruption", "incapsula", "attention", "verify", "verifying", "denied",
                                "security", "hold"]),
    "login wall": frozenset(["log", "login", "logged", "signed", "signin", "sign", "registered", "register", "account"]),
    "cookie wall": frozenset(["cookie", "cookies", "consent", "privacy", "yahoo", "reject", "partners"]),
    "paywall notice": frozenset(["subscribe", "subscriber", "subscribers", "subscription", "member", "members", "paywall",
                                 "premium", "unlock", "limit", "reading"]),
}
TRIGGER_WORDS = frozenset().union(*TRIGGERS.values())
_PUNCTUATION = str.maketrans({c: " " for c in "!\"#$%&'()*+,./:;<=>?@[\\]^_`{|}~\u2019\u2026"})
HEAD, TAIL = 400, 200  # characters of a long text looked at: a notice is the page's first or last words


def kind_of(title: str, body: str) -> tuple[str, str] | None:
    """(kind, the phrase that shows it) when the text is an error page, a challenge, a wall or a bare notice; else None."""
    text = f"{title}\n{body}"
    longest = max(rule.max_words for rule in RULES)
    if len(text) > longest * 12:  # more words than any rule allows, whatever they are
        return None
    words = len(text.split())
    if words == 0 or words > longest:
        return None
    if len(text) > HEAD + TAIL:
        text = text[:HEAD] + "\n" + text[-TAIL:]
    present = TRIGGER_WORDS.intersection(text.lower().translate(_PUNCTUATION).split())
    if not present:
        return None
    for rule in RULES:
        if words > rule.max_words or TRIGGERS[rule.kind].isdisjoint(present):
            continue
        found = {m.group(0).lower() for m in rule.pattern.finditer(text)}
        if len(found) >= rule.hits:
            first = rule.pattern.search(text)
            return rule.kind, " ".join(first.group(0).split()) if first else ""
    return None
