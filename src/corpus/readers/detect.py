"""Field detection by content: keys whose names corpus does not know, read by what their values are.

Runs after the name lists (`fields.SYNONYMS`, the user's `--map`), on the first records of each
structured file (JSON, JSON Lines, CSV, TSV):
- a key whose non-empty values are nearly all URLs of different pages is a `url` candidate;
- nearly all dates, a `date` candidate (publication-like names are preferred to "downloaded" ones);
- nearly all site addresses or bare domains with few distinct values, a `source` candidate; so is a
  key with short repeated values whose name says publication ("media_name", "outlet_title");
- other short repeated values with few distinct ones are facet candidates: named in the report,
  not used (`--map category=KEY` uses one).
A name match always wins: a field found by name (in the records, a sidecar or `_folder` defaults)
is not detected. `choose` says what was chosen and why, for the ingest report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..fields import SYNONYMS
from ..normalize import HAS_YEAR_RE, parse_date
from ..sources import domain_of, is_url

SAMPLE = 500  # records of a file looked at
NEARLY_ALL = 0.9
MEDIA_EXT_RE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|bmp|ico|mp4|mp3|m4a|webm|mov|avi|css|js)(?:[?#].*)?$", re.IGNORECASE)
URL_NAME_PENALTY_RE = re.compile(r"image|img|thumb|photo|logo|icon|video|audio|media|feed|rss|avatar|author|profile|amp|source|home|site",
                                 re.IGNORECASE)
DATE_NAME_BONUS_RE = re.compile(r"publi|pub|issue|release|post|written|creat|first", re.IGNORECASE)
DATE_NAME_PENALTY_RE = re.compile(r"download|crawl|scrap|fetch|retriev|access|modif|updat|index|seen|collect|harvest|last|edit|expir",
                                  re.IGNORECASE)
SOURCE_NAME_RE = re.compile(r"media|outlet|publication|publisher|site|source|paper|journal|press|channel|network|brand|feed_title",
                            re.IGNORECASE)
NUMBER_RE = re.compile(r"^[+-]?\d[\d,]*(?:\.\d+)?$")


@dataclass
class Stats:
    """What the values of one key are, over the sampled records."""

    key: str
    values: int = 0  # non-empty string values
    urls: int = 0
    article_urls: int = 0  # URLs with a path (not a site's home page) and not an image or a script
    domains: int = 0  # bare domains or site addresses
    media: int = 0  # links to images, video, scripts
    dates: int = 0
    numbers: int = 0
    short: int = 0  # at most 80 characters
    distinct: set[str] = field(default_factory=set)


@dataclass
class Detection:
    """What detection chose for one file: canonical field -> the record keys to read it from, and why."""

    chosen: dict[str, list[str]] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)  # {"field", "key", "matching", "values", "reason", "used"}


def _claimed(mapping: dict[str, str]) -> set[str]:
    names = {n for names in SYNONYMS.values() for n in names}
    return names | {v.lower() for v in mapping.values()}


def _stats(records: list[dict[str, Any]], claimed: set[str]) -> list[Stats]:
    table: dict[str, Stats] = {}
    for fields in records:
        for key, value in fields.items():
            name = str(key)
            if name.lower() in claimed or name.startswith("_") or not isinstance(value, str):
                continue
            text = value.strip()
            if not text:
                continue
            st = table.setdefault(name, Stats(name))
            st.values += 1
            if len(st.distinct) <= SAMPLE:
                st.distinct.add(text)
            if len(text) <= 80:
                st.short += 1
            if NUMBER_RE.match(text):
                st.numbers += 1
                continue
            if is_url(text):
                st.urls += 1
                path = text.split("//", 1)[-1].partition("/")[2].split("?", 1)[0].strip("/")
                if MEDIA_EXT_RE.search(text):
                    st.media += 1
                elif path:
                    st.article_urls += 1
                else:
                    st.domains += 1
                continue
            if " " not in text and "." in text and domain_of(text):
                st.domains += 1
                continue
            if len(text) <= 100 and HAS_YEAR_RE.search(text) and parse_date(text) is not None:
                st.dates += 1
    return list(table.values())


def _found_by_name(records: list[dict[str, Any]], layers: list[dict[str, Any]], canonical: str,
                   mapping: dict[str, str]) -> bool:
    names = [mapping[canonical].lower()] if canonical in mapping else []
    names += list(SYNONYMS[canonical])
    for fields in [*layers, *records]:
        lowered = {str(k).lower(): v for k, v in fields.items()}
        if any(n in lowered and lowered[n] not in (None, "", [], {}) for n in names):
            return True
    return False


def _n(n: int) -> str:
    return f"{n:,}"


def choose(records: list[dict[str, Any]], mapping: dict[str, str] | None = None,
           layers: list[dict[str, Any]] | None = None) -> Detection:
    """Which unknown keys of these records to read as url, date and source, and why (see the module doc)."""
    mapping = mapping or {}
    layers = layers or []
    out = Detection()
    if not records:
        return out
    stats = _stats(records, _claimed(mapping))
    used: set[str] = set()

    def note(canonical: str, st: Stats, matching: int, what: str, chosen: bool, why: str = "") -> None:
        reason = f"{_n(matching)} of {_n(st.values)} values are {what}" + (f"; {why}" if why else "")
        out.notes.append({"field": canonical, "key": st.key, "matching": matching, "values": st.values,
                          "reason": reason, "used": chosen})

    if not _found_by_name(records, layers, "url", mapping):
        cands = [st for st in stats if st.values and st.article_urls >= NEARLY_ALL * st.values
                 and len(st.distinct) >= min(st.values, max(2, st.values // 2))]
        cands.sort(key=lambda st: (bool(URL_NAME_PENALTY_RE.search(st.key)), -st.article_urls))
        for i, st in enumerate(cands):
            note("url", st, st.article_urls, "URLs", i == 0, "" if i == 0 else f"`{cands[0].key}` was read as url instead")
        if cands:
            out.chosen["url"] = [cands[0].key]
            used.add(cands[0].key)

    if not _found_by_name(records, layers, "date", mapping):
        cands = [st for st in stats if st.values and st.dates >= NEARLY_ALL * st.values and st.key not in used]
        cands.sort(key=lambda st: (bool(DATE_NAME_PENALTY_RE.search(st.key)), not DATE_NAME_BONUS_RE.search(st.key), -st.dates))
        for i, st in enumerate(cands):
            note("date", st, st.dates, "dates", i == 0, "" if i == 0 else f"`{cands[0].key}` was read as date instead")
        if cands:
            out.chosen["date"] = [cands[0].key]
            used.add(cands[0].key)

    few = [st for st in stats if st.key not in used and st.values
           and (st.values == 1 or (len(st.distinct) <= max(3, st.values // 2) and len(st.distinct) < st.values))]
    if not _found_by_name(records, layers, "source", mapping):
        names = [st for st in few if st.key not in used and SOURCE_NAME_RE.search(st.key) and st.short == st.values
                 and st.numbers == 0 and st.domains + st.urls == 0 and st.dates == 0]
        domains = [st for st in few if st.key not in used and st.domains >= NEARLY_ALL * st.values]
        keys: list[str] = []
        for st in names[:1]:
            note("source", st, st.values, "short publication names repeated across records", True,
                 f"{_n(len(st.distinct))} distinct")
            keys.append(st.key)
        for st in domains[:1]:
            note("source", st, st.domains, "site addresses or domains", True,
                 f"{_n(len(st.distinct))} distinct; read as the domain" + (f", named by `{keys[0]}`" if keys else ""))
            keys.append(st.key)
        if keys:
            out.chosen["source"] = keys
            used.update(keys)

    for st in few:
        if st.key in used or st.values < 5 or st.numbers or st.urls or st.domains or st.dates or st.short < st.values:
            continue
        out.notes.append({
            "field": "facet", "key": st.key, "matching": st.values, "values": st.values,
            "reason": f"{_n(len(st.distinct))} distinct short values in {_n(st.values)} records: a facet candidate, "
                      f"not used (--map category={st.key} would count it as topics)",
            "used": False})
    return out
