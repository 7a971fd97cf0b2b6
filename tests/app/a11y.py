"""A static accessibility check of a rendered page (the parts of WCAG 2.1 AA that can be
read from the HTML: language, landmarks, one h1, labelled controls, unique ids, alt text,
table headers)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.label_for: set[str] = set()
        self.open_labels = 0
        self.controls_in_label: set[int] = set()

    def handle_starttag(self, tag, attrs):
        attributes = {k: (v or "") for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"])
        elif tag in ("input", "select", "textarea") and self.open_labels:
            self.controls_in_label.add(len(self.tags) - 1)

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels = max(0, self.open_labels - 1)


def problems(html: str) -> list[str]:
    parser = _Collector()
    parser.feed(html)
    found: list[str] = []
    tags = parser.tags
    names = [t for t, _ in tags]
    html_tag = next((a for t, a in tags if t == "html"), {})
    if not html_tag.get("lang"):
        found.append("<html> has no lang")
    for landmark in ("main", "header", "footer", "nav"):
        if landmark not in names:
            found.append(f"no <{landmark}> landmark")
    if names.count("h1") != 1:
        found.append(f"{names.count('h1')} <h1> elements")
    ids = [a["id"] for _, a in tags if a.get("id")]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        found.append(f"duplicate ids {sorted(duplicates)}")
    for index, (tag, attributes) in enumerate(tags):
        if tag in ("input", "select", "textarea"):
            if attributes.get("type") in ("hidden", "submit", "button"):
                continue
            labelled = (
                attributes.get("id") in parser.label_for
                or index in parser.controls_in_label
                or attributes.get("aria-label")
                or attributes.get("aria-labelledby")
            )
            if not labelled:
                found.append(f"unlabelled <{tag} name={attributes.get('name')!r}>")
        if tag == "img" and "alt" not in attributes:
            found.append("<img> without alt")
        if tag == "a" and not attributes.get("href"):
            found.append("<a> without href")
    if "table" in names and "th" not in names:
        found.append("a table without header cells")
    return found
