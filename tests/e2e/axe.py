"""axe-core on every page a journey visits.

axe-core comes inside the pinned axe-playwright-python wheel, so nothing is fetched while the
tests run. A page is checked once it has loaded, just before the journey's next action on it
(a click, a key, a `goto`: anything that may leave it) and at the end of the test, so what is
checked is the page as the journey saw it: htmx fragments loaded, errors shown.

Playwright has no hook before an action, and the browser runs no script on a page it is
leaving, so the actions of Playwright's sync API are wrapped while a test runs.
"""

import functools
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Keyboard, Locator, Mouse, Page

ACTIONS = {
    Locator: [
        "click", "dblclick", "tap", "fill", "type", "press", "press_sequentially", "check",
        "uncheck", "set_checked", "select_option", "set_input_files", "focus", "hover",
    ],
    Page: ["goto", "reload", "go_back", "go_forward"],
    Keyboard: ["press", "type", "insert_text", "down"],
    Mouse: ["click", "dblclick", "down"],
}  # fmt: skip

# WCAG 2.0, 2.1 and 2.2, A and AA, and axe's best practices; a journey fails on these impacts.
RUN_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
FAILING_IMPACTS = {"serious", "critical"}
# Resolves when the page's finite transitions and animations have ended (a second at most).
SETTLED = """() => Promise.race([
    Promise.all(document.getAnimations()
        .filter(a => Number.isFinite(a.effect?.getComputedTiming().endTime))
        .map(a => a.finished.catch(() => null))),
    new Promise(resolve => setTimeout(resolve, 1000)),
])"""


@dataclass
class Violation:
    rule: str
    impact: str
    url: str
    targets: list[str]
    summary: str

    def __str__(self):
        shown = "; ".join(self.targets[:5]) + (" …" if len(self.targets) > 5 else "")
        return f"{self.rule} ({self.impact}) on {self.url}: {shown}\n    {self.summary}"


@dataclass
class AxeWatch:
    """Checks each page of `page` with axe-core; `violations` gathers what fails."""

    page: Page
    base_url: str
    violations: list[Violation] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    dirty: bool = False

    def start(self, monkeypatch: pytest.MonkeyPatch):
        self.page.on("framenavigated", self._navigated)
        for cls, names in ACTIONS.items():
            for name in names:
                monkeypatch.setattr(cls, name, self._checked_first(getattr(cls, name)))

    def _navigated(self, frame):
        if frame == self.page.main_frame:
            self.dirty = True

    def _checked_first(self, action):
        @functools.wraps(action)
        def wrapper(*args, **kwargs):
            if self.dirty and not self.page.is_closed():
                self.check()
            return action(*args, **kwargs)

        return wrapper

    def check(self):
        self.dirty = False
        url = self.page.url
        if not url.startswith(self.base_url):
            return
        try:
            self.page.wait_for_load_state("load")
            # A colour half-way through a hover's transition is no colour anyone reads.
            self.page.evaluate(SETTLED)
            self.page.evaluate(AXE_SCRIPT)
            results = self.page.evaluate("options => axe.run(document, options)", RUN_OPTIONS)
        except PlaywrightError as error:
            # Only a page replaced while it was checked (a redirect's race) gets here, and the
            # page that replaced it is checked in turn; any other failure is the journey's.
            if "context was destroyed" in str(error):
                self.dirty = True
                return
            raise
        self.checked.append(url)
        for violation in results["violations"]:
            if violation["impact"] in FAILING_IMPACTS:
                self.violations.append(
                    Violation(
                        rule=violation["id"],
                        impact=violation["impact"],
                        url=url.removeprefix(self.base_url),
                        targets=[" ".join(node["target"]) for node in violation["nodes"]],
                        summary=violation["nodes"][0]["failureSummary"].replace("\n", " "),
                    )
                )

    def report(self) -> str:
        seen, lines = set(), []
        for violation in self.violations:
            key = (violation.rule, violation.url, tuple(violation.targets))
            if key not in seen:
                seen.add(key)
                lines.append(str(violation))
        return f"{len(lines)} serious or critical accessibility violations:\n" + "\n".join(lines)
