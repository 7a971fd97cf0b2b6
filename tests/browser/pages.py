"""A browser tab that checks every page it opens, at a desktop and a phone width: axe-core
(WCAG 2.1 A and AA) finds no violation, and nothing scrolls sideways."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from urllib.parse import urljoin, urlsplit

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
WIDTHS = ((1280, 800), (390, 844))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
    count: v.nodes.length,
  }));
}"""

# The page's width beyond the window, and the elements whose right edge sticks out (the
# innermost few, which are where to look; not those inside a box that scrolls itself).
SIDEWAYS = """() => {
  const width = window.innerWidth;
  const scroll = document.documentElement.scrollWidth;
  if (scroll <= width) return null;
  const scrolled = e => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = [...document.body.querySelectorAll("*")]
    .filter(e => e.getBoundingClientRect().right > width + 1 && !scrolled(e))
    .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 1))
    .slice(0, 3)
    .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
              + (e.className && typeof e.className === "string"
                 ? "." + e.className.trim().split(/\\s+/).join(".") : ""));
  return {scroll, width, out};
}"""


def no_browser() -> str | None:
    """Why the browser tests cannot run here, or None: a module skips itself with this."""
    if importlib.util.find_spec("playwright") is None:
        return "browser tests: playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"browser tests: no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


class CheckedTab:
    """Opens pages in one tab; ``problems`` lists what the checks found, one line each."""

    def __init__(self, page, base_url: str, axe_source: str) -> None:
        self.page = page
        self.base_url = base_url
        self.axe_source = axe_source
        self.visited: list[str] = []
        self.problems: list[str] = []

    def open(self, path: str, status: int = 200) -> None:
        """Go to ``path`` (a path or a URL of the app) and check the page, unless checked."""
        url = urljoin(self.base_url, path)
        response = self.page.goto(url)
        assert response is not None, url
        if url in self.visited:
            return
        if response.status != status:
            self.problems.append(f"{path}: HTTP {response.status}, not {status}")
        self.check()

    def check(self) -> None:
        """Check the page that is open now, at both widths."""
        url = self.page.url
        self.visited.append(url)
        where = urlsplit(url)
        path = where.path + (f"?{where.query}" if where.query else "")
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(self.axe_source)
        for width, height in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": height})
            for v in self.page.evaluate(RUN_AXE, AXE_TAGS):
                self.problems.append(
                    f"{path} at {width}px: axe {v['id']} ({v['impact']}) on {v['count']} "
                    f"element(s) {v['targets']}: {v['help']}"
                )
            sideways = self.page.evaluate(SIDEWAYS)
            if sideways:
                self.problems.append(
                    f"{path} at {width}px: scrolls sideways, {sideways['scroll']}px wide "
                    f"in a {sideways['width']}px window (sticking out: {sideways['out']})"
                )

    def links(self, selector: str) -> list[str]:
        """The hrefs of the links ``selector`` finds on the open page, in page order."""
        return self.page.eval_on_selector_all(selector, "links => links.map(a => a.href)")

    def follow_first(self, selector: str) -> str:
        """Open the first link ``selector`` finds; fails when there is none."""
        found = self.links(selector)
        assert found, f"no link {selector!r} on {self.page.url}"
        self.open(found[0])
        return found[0]

    def follow_navigation(self) -> None:
        """Open every link of the main menu, then the account page when signed in."""
        for href in self.links("header nav a") + self.links("header a.account-link"):
            self.open(href)

    def submit(self, selector: str = "main form button[type=submit]") -> None:
        """Press a form's button and check the page that answers (also when its address is
        one already checked: a form with errors, say)."""
        with self.page.expect_navigation():
            self.page.click(selector)
        self.check()

    def log_in(self, email: str, password: str) -> None:
        """Log in through the form (its CSRF token travels with it), checking the form."""
        self.open("/login")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.submit()
        assert urlsplit(self.page.url).path == "/dashboard", f"{email}: {self.page.url}"

    def report(self) -> str:
        return f"{len(self.problems)} problem(s) on {len(self.visited)} page(s):\n" + "\n".join(
            self.problems
        )
