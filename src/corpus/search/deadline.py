"""The time a query may take: every engine looks at it while it works and stops when it passes."""

from __future__ import annotations

import time

from ..errors import QueryTimeout


class Deadline:
    """A point in time after which check() raises QueryTimeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def check(self) -> None:
        """Raise QueryTimeout once the deadline has passed."""
        if time.monotonic() > self.at:
            raise QueryTimeout(
                f"the search took longer than {self.seconds:g} s and was stopped; narrow the query "
                "(fewer wildcards, more specific words) and try again"
            )

    @property
    def left(self) -> float:
        """Seconds left, never quite zero."""
        return max(0.001, self.at - time.monotonic())
