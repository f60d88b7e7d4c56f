"""Partial dates as users write them (YYYY, YYYY-MM, YYYY-MM-DD), for filters and the query language."""

from __future__ import annotations

import calendar
import re
from datetime import date


def parse_partial_date(text: str, end: bool = False) -> date:
    """YYYY, YYYY-MM or YYYY-MM-DD as the first (or, with end=True, the last) day it covers."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else (12 if end else 1)
    if year < 1:
        raise ValueError("there is no year 0000")
    if not 1 <= month <= 12:
        raise ValueError(f"there is no month {month}; months are 1 to 12")
    last = calendar.monthrange(year, month)[1]
    day = int(m.group(3)) if m.group(3) else (last if end else 1)
    if not 1 <= day <= last:
        raise ValueError(f"{calendar.month_name[month]} {year} has no day {day}")
    return date(year, month, day)
