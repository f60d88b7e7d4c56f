"""Sources: a publication given as a URL or a bare domain becomes that domain; a name stays a name.

Scrapers write the site as `http://example.com`, `https://www.example.org/`, `www.example.net` or
`example.com`; all of these are the domain `example.com` (no scheme, no `www.`, no port, no path).
A bare word is a domain only when it ends in a public suffix that `tld` knows (from the list it
ships: nothing is fetched), so "Reuters" or "U.S. News" stay names.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlparse

from tld import get_tld

# A bare host: labels of letters, digits and hyphens, at least one dot, optionally a slash or a path.
_BARE_HOST_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}\.?(?::\d{1,5})?(?:/\S*)?$",
                           re.IGNORECASE)
_WWW_RE = re.compile(r"^www\d*\.")


@lru_cache(maxsize=8192)
def domain_of(value: str) -> str | None:
    """The domain a URL or a bare domain names ("https://www.example.org/a" -> "example.org"); None for names."""
    text = value.strip()
    if not text or " " in text or len(text) > 2000:
        return None
    lowered = text.lower()
    if lowered.startswith(("http://", "https://", "//")):
        try:
            host = urlparse(text if not lowered.startswith("//") else "http:" + text).hostname
        except ValueError:
            return None
    elif _BARE_HOST_RE.match(text):
        host = text.split("/", 1)[0].split(":", 1)[0].rstrip(".")
        # "example.com" is a domain; "St.Louis" or "Wash.Post" only if their ending is a real suffix.
        if get_tld(host, fix_protocol=True, fail_silently=True) is None:
            return None
    else:
        return None
    if not host or "." not in host:
        return None
    host = _WWW_RE.sub("", host.lower().rstrip("."))
    return host or None


def is_url(value: str) -> bool:
    """True for an http(s) URL with a host that has a dot."""
    text = value.strip()
    if not text.lower().startswith(("http://", "https://")) or " " in text:
        return False
    try:
        host = urlparse(text).hostname
    except ValueError:
        return False
    return bool(host and "." in host)
