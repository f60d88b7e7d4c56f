"""What one piece of a byline is: a person's name, an organisation, or something to drop (and why).

Scraped author lists carry page furniture ("Read more", "Follow", "Share"), dates and times,
e-mail addresses, URLs and social-network hosts, and job titles after a name ("Jane Roe, Auto
Writer", "John Doe Staff Reporter"). `classify` takes one piece (normalize.py has split the
byline already) and says what it is; normalize.py counts the drops for the ingest report. Wire
services, newsrooms and desks ("Reuters", "AFP", "Web Desk", "Editorial Board") are kept, as
organisations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .sources import domain_of

# Labels before a name: "Posted by Jane Roe", "View all posts by Jane Roe", "Follow Jane Roe".
LABEL_RE = re.compile(
    r"^\s*(?:(?:posted|written|reported|compiled|edited|story|words|text|article|photos?|interview|updated|published)"
    r"\s+by|view\s+all\s+(?:posts|articles|stories)\s+by|(?:all\s+)?(?:posts|articles|stories|more)\s+(?:by|from)"
    r"|by|follow|contact|e-?mail|author|authors|byline|written|posted)\s*[:\-]?\s+",
    re.IGNORECASE)
# What a page shows around a byline; a piece that is only this is dropped.
FURNITURE = {
    "read more", "read more stories", "more", "follow", "following", "unfollow", "follow us", "share", "share this",
    "share this article", "share on facebook", "share on twitter", "tweet", "email", "e-mail", "print", "comment",
    "comments", "subscribe", "sign up", "sign in", "log in", "login", "register", "menu", "home", "close", "search",
    "advertisement", "sponsored", "sponsored content", "view all posts", "view all", "all posts", "see all",
    "see more", "more stories", "more articles", "profile", "contact", "contact us", "about", "about the author",
    "author", "authors", "byline", "bio", "updated", "published", "posted", "posted by", "written by", "by",
    "facebook", "twitter", "instagram", "linkedin", "youtube", "whatsapp", "pinterest", "reddit", "telegram",
    "tiktok", "threads", "bluesky", "mastodon", "rss", "copy link", "copy", "link", "photo", "photos", "image",
    "images", "video", "videos", "gallery", "newsletter", "live", "breaking news", "opinion", "analysis",
    "listen", "listen to this article", "min read", "minute read", "getty images", "file photo", "loading",
}
# A piece that starts with one of these words is furniture from there on ("Updated 10:32 AM ET").
FURNITURE_TAIL_RE = re.compile(r"\s+(?:updated|published|posted|last updated|follow|share|read more|min read)\b.*$",
                               re.IGNORECASE)
SOCIAL_HOSTS = {
    "facebook.com", "fb.com", "twitter.com", "x.com", "t.co", "instagram.com", "linkedin.com", "youtube.com",
    "youtu.be", "tiktok.com", "pinterest.com", "reddit.com", "t.me", "telegram.me", "whatsapp.com", "wa.me",
    "threads.net", "bsky.app", "mastodon.social", "medium.com", "substack.com", "vk.com", "weibo.com",
}
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
HANDLE_RE = re.compile(r"(?<![\w@])@\w{2,30}\b")
MONTHS = r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december"
WEEKDAYS = r"mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
# Words that may stand in a date or time besides numbers: months, weekdays, "am", zones, "ago".
DATE_WORDS_RE = re.compile(
    rf"\b(?:{MONTHS}|{WEEKDAYS}|updated|published|posted|last|am|pm|a\.m|p\.m|utc|gmt|est|edt|cst|cdt|pst|pdt|bst|cet|cest|et|pt|ist|at|on|of|"
    r"ago|today|yesterday|just|now|hours?|hrs?|minutes?|mins?|seconds?|days?|weeks?|months?|years?|st|nd|rd|th)\b",
    re.IGNORECASE)
TIME_RE = re.compile(r"\b\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?\b|\b\d{1,2}\s*[ap]\.?m\.?(?!\w)", re.IGNORECASE)
YEAR_OR_DAY_RE = re.compile(rf"\d{{4}}|\d{{1,2}}[/.-]\d{{1,2}}|\b(?:{MONTHS})\b", re.IGNORECASE)

# Job titles and desks after a name. A title ends in one of HEADS; MODIFIERS may stand before it.
HEADS = {
    "writer", "writers", "reporter", "reporters", "correspondent", "correspondents", "editor", "editors",
    "columnist", "columnists", "contributor", "contributors", "journalist", "journalists", "photographer",
    "photographers", "producer", "producers", "critic", "critics", "reviewer", "blogger", "intern", "interns",
    "commentator", "analyst", "chief", "stringer", "photojournalist", "videographer", "presenter",
}
MODIFIERS = {
    "staff", "senior", "chief", "special", "contributing", "political", "politics", "business", "sports", "sport",
    "auto", "autos", "automotive", "tech", "technology", "science", "health", "foreign", "national", "investigative",
    "digital", "deputy", "managing", "associate", "assistant", "executive", "opinion", "local", "city", "news",
    "freelance", "guest", "bureau", "white", "house", "economics", "economic", "economy", "financial", "finance",
    "markets", "market", "energy", "climate", "environment", "environmental", "education", "entertainment",
    "culture", "arts", "food", "travel", "fashion", "music", "film", "legal", "courts", "crime", "metro", "features",
    "feature", "lifestyle", "social", "media", "data", "graphics", "photo", "video", "web", "online", "weekend",
    "sunday", "global", "world", "international", "diplomatic", "defence", "defense", "security", "royal", "tv",
    "radio", "general", "assignment", "breaking", "copy", "night", "state", "capitol", "statehouse", "regional",
    "europe", "european", "asia", "africa", "americas", "washington", "london", "beijing", "moscow", "middle",
    "east", "wire", "agency", "&", "the", "a", "an", "our", "is", "former", "veteran", "award-winning",
}
# Words that make a piece an organisation: a wire service, a newsroom, a desk, a board.
ORG_WORDS = {
    "desk", "newsroom", "bureau", "staff", "wire", "wires", "agency", "agencies", "board", "team", "service",
    "services", "news", "press", "media", "network", "group", "foundation", "institute", "association", "society",
    "council", "committee", "ministry", "department", "office", "correspondents", "reporters", "editors", "writers",
    "times", "post", "journal", "tribune", "herald", "gazette", "telegraph", "magazine", "newspaper", "radio",
    "television", "tv", "online", "digital", "inc", "ltd", "llc", "corp", "company", "university",
}
# Well-known wire services and their usual spelling (a byline "AFP" stays "AFP", not "Afp").
WIRES = {
    "reuters": "Reuters", "ap": "AP", "the associated press": "The Associated Press", "associated press": "Associated Press",
    "afp": "AFP", "agence france-presse": "Agence France-Presse", "agence france presse": "Agence France-Presse",
    "bloomberg": "Bloomberg", "bloomberg news": "Bloomberg News", "dpa": "dpa", "xinhua": "Xinhua", "tass": "TASS",
    "itar-tass": "ITAR-TASS", "ria novosti": "RIA Novosti", "interfax": "Interfax", "efe": "EFE", "ansa": "ANSA",
    "kyodo": "Kyodo", "kyodo news": "Kyodo News", "yonhap": "Yonhap", "pti": "PTI", "press trust of india": "Press Trust of India",
    "ians": "IANS", "ani": "ANI", "upi": "UPI", "united press international": "United Press International",
    "pa": "PA", "pa media": "PA Media", "press association": "Press Association", "the canadian press": "The Canadian Press",
    "canadian press": "The Canadian Press", "aap": "AAP", "australian associated press": "Australian Associated Press",
    "anadolu": "Anadolu", "anadolu agency": "Anadolu Agency", "bernama": "Bernama", "antara": "Antara", "jiji": "Jiji",
    "jiji press": "Jiji Press", "ips": "IPS", "cna": "CNA", "agencies": "Agencies", "news agencies": "News agencies",
    "wire services": "Wire services", "staff and agencies": "Staff and agencies", "bbc": "BBC", "bbc news": "BBC News",
    "cnn": "CNN", "cnn wire": "CNN Wire", "npr": "NPR", "ap wire": "AP",
}


DESCRIPTIVE_RE = re.compile(r"^(?:a|an|our|the)\s+\S", re.IGNORECASE)


@dataclass(frozen=True)
class Piece:
    """What one piece of a byline is: kind is "person", "organisation" or "drop"; text the name or the reason."""

    kind: str
    text: str
    cut: tuple[tuple[str, str], ...] = ()  # (text, reason) of what was cut from after the name


def strip_label(text: str) -> str:
    """A piece without the label before its name ("Posted by Jane Roe" -> "Jane Roe")."""
    for _ in range(3):
        stripped = LABEL_RE.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return text


def _words(text: str) -> list[str]:
    return [w.strip(".,;:'\u2019()").lower() for w in text.split()]


def drop_reason(piece: str) -> str | None:
    """Why a piece is not a name, or None when it may be one."""
    text = piece.strip(" ,;:|-\u2013\u2014\u00b7\u2022")
    low = " ".join(text.lower().split()).strip(".!")
    if not low:
        return None
    if low in FURNITURE:
        return "page furniture"
    if EMAIL_RE.fullmatch(text):
        return "an e-mail address"
    if HANDLE_RE.fullmatch(text):
        return "a social-network handle"
    domain = domain_of(text) if ("." in text and " " not in text) else None
    if domain is not None or URL_RE.fullmatch(text):
        host = domain or ""
        return "a social-network host" if host in SOCIAL_HOSTS or host.split(".", 1)[-1] in SOCIAL_HOSTS else "a URL"
    if re.fullmatch(r"[\d\s.,]+", text) and not re.search(r"\d[.,]\d", text):
        return "no letters"  # a number where a name should be: kept as written in the metadata
    if re.search(r"\d", text):
        residue = DATE_WORDS_RE.sub(" ", TIME_RE.sub(" ", text))
        if not re.search(r"[^\W\d_]", residue):
            return "a date" if YEAR_OR_DAY_RE.search(text) or re.search(rf"(?i)\b(?:{MONTHS}|{WEEKDAYS}|ago)\b", text) else "a time"
    if not re.search(r"[^\W\d_]", text):
        return "no letters"
    return None


def wire_name(piece: str) -> str | None:
    """The usual spelling of a wire service's byline, or None."""
    return WIRES.get(" ".join(piece.lower().split()).strip("."))


def is_organisation(piece: str) -> bool:
    """A newsroom, desk, board or agency byline ("Web Desk", "Reuters Staff", "The Editorial Board")."""
    if wire_name(piece):
        return True
    words = _words(piece)
    if not words:
        return False
    # "Reuters Staff", "AP Business Desk": a wire service followed by a desk or staff.
    if wire_name(words[0]) and len(words) > 1:
        return True
    return words[-1] in ORG_WORDS or (len(words) > 1 and any(w in ("news", "press", "newsroom", "desk") for w in words))


def cut_title(piece: str) -> tuple[str, str]:
    """(name, title) for "John Doe Staff Reporter" -> ("John Doe", "Staff Reporter"); title "" when there is none."""
    tokens = piece.split()
    words = _words(piece)
    head = next((i for i, w in enumerate(words) if w in HEADS), None)
    if head is None:
        return piece, ""
    start = head
    while start > 0 and words[start - 1] in MODIFIERS:
        start -= 1
    # A title needs a title word at its end or a modifier before it: "Jane Chief" is left alone.
    if start == head and head == len(words) - 1 and words[head] == "chief":
        return piece, ""
    return " ".join(tokens[:start]).rstrip(" ,;:-\u2013\u2014|"), " ".join(tokens[start:])


def classify(piece: str) -> Piece:
    """What one piece of a byline is (the byline is already split on commas, "and", ";" and "|")."""
    text = strip_label(" ".join(piece.split()))
    reason = drop_reason(text)
    if reason:
        return Piece("drop", reason)
    wire = wire_name(text)
    if wire:
        return Piece("organisation", wire)
    cut: list[tuple[str, str]] = []
    if DESCRIPTIVE_RE.match(text):
        # "A French Contributor", "Our Correspondent", "The Editor": a byline that describes its writer.
        return Piece("organisation" if is_organisation(text) else "person", text)
    m = FURNITURE_TAIL_RE.search(text)
    if m and m.start() > 0:
        cut.append((m.group(0).strip(), "page furniture"))
        text = text[:m.start()]
    name, title = cut_title(text)
    if title and not re.search(r"\b[A-Z]\.$", name):
        name = name.rstrip(" .(")
    if title:
        cut.append((title, "a job title"))
        if not name:
            return Piece("drop", "a job title")
    reason = drop_reason(name)
    if reason:
        return Piece("drop", reason)
    wire = wire_name(name)
    if wire:
        return Piece("organisation", wire, tuple(cut))
    return Piece("organisation" if is_organisation(name) else "person", name, tuple(cut))
