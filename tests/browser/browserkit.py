"""Helpers shared by the browser tests: screenshots, overflow and accessibility checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/, named by flow, step and viewport."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}-{page.viewport_name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_no_overflow(page: Any) -> None:
    """Nothing sticks out sideways: the page never scrolls horizontally."""
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url} is {width}px wide in a {inner}px window"


def axe_violations(page: Any, axe_source: str, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """Run axe-core in the page; the violations of the given impacts, each with where it was found."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by Playwright, so the page's strict CSP (script-src 'self') does not apply.
        page.evaluate(axe_source)
    result = page.evaluate("async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))")
    violations = json.loads(result)["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations if v["impact"] in impacts
    ]
