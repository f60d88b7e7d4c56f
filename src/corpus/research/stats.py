"""The measures of the research views, one formula each (see /help for their definitions and references).

Plain functions of counts, so that every number on a page can be checked by hand.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # the two-sided 95% point of the standard normal distribution
ZERO = 0.5  # Hardie (2014): a zero frequency counts as 0.5 in Log Ratio, so that the ratio stays finite


def per_million(count: int, tokens: int) -> float | None:
    """count per million tokens, or None without tokens."""
    return count * 1_000_000 / tokens if tokens else None


def log_likelihood(a: int, b: int, c: int, d: int) -> float:
    """G² of a word seen a times in c tokens of the target and b times in d tokens of the reference.

    G² = 2 (a ln(a / E1) + b ln(b / E2)), E1 = c (a + b) / (c + d), E2 = d (a + b) / (c + d)
    (Dunning 1993; Rayson and Garside 2000); a term with a zero count is 0. Unsigned.
    """
    n = c + d
    if n == 0 or a + b == 0:
        return 0.0
    e1, e2 = c * (a + b) / n, d * (a + b) / n
    g2 = 0.0
    if a:
        g2 += a * math.log(a / e1)
    if b:
        g2 += b * math.log(b / e2)
    return max(0.0, 2 * g2)


def p_value(g2: float) -> float:
    """The probability of a G² at least this large by chance: chi-square with one degree of freedom."""
    return math.erfc(math.sqrt(max(g2, 0.0) / 2))


def log_ratio(a: int, b: int, c: int, d: int) -> float | None:
    """Log Ratio (Hardie 2014): log2 of the ratio of the relative frequencies, zero counts as 0.5.

    1 means twice as frequent in the target, -1 half as frequent. None when a side has no tokens.
    """
    if not c or not d:
        return None
    return math.log2(((a or ZERO) / c) / ((b or ZERO) / d))


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of the proportion k / n (Wilson 1927), 95% by default; None when n is 0."""
    if n <= 0:
        return None
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)
