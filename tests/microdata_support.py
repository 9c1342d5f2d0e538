"""A small reader of schema.org microdata (the WHATWG microdata model) for the tests of record pages.

Why here and not a library: the tests need what a harvester reads (items, their types, property
values, nested items, links made absolute against the page's address); the rules are a page long.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
URL_VALUED = {"a", "area", "link", "audio", "embed", "iframe", "img", "source", "track", "video"}


@dataclass
class Item:
    type: str
    props: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, name: str, value: Any) -> None:
        for one in name.split():
            self.props.setdefault(one, []).append(value)

    def one(self, name: str) -> Any:
        """The property's single value (a test failing if it has none or several)."""
        values = self.props.get(name, [])
        assert len(values) == 1, (name, values)
        return values[0]


class _Reader(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.items: list[Item] = []  # top-level items
        self.scopes: list[Item] = []
        # open elements: (tag, the item it opened or None, [text, property name] it collects or None)
        self.open: list[tuple[str, Item | None, list[str] | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        prop = a.get("itemprop", "").strip()
        opened: Item | None = None
        collect: list[str] | None = None
        if "itemscope" in a:
            opened = Item(a.get("itemtype", ""))
            if prop and self.scopes:
                self.scopes[-1].add(prop, opened)
            elif not prop:
                self.items.append(opened)
        elif prop and self.scopes:
            if tag == "meta":
                self.scopes[-1].add(prop, a.get("content", ""))
            elif tag in URL_VALUED:
                self.scopes[-1].add(prop, urljoin(self.base, a.get("href", a.get("src", ""))))
            elif tag == "time" and "datetime" in a:
                self.scopes[-1].add(prop, a["datetime"])
            else:
                collect = [prop, ""]
        if tag in VOID:
            return
        if opened is not None:
            self.scopes.append(opened)
        self.open.append((tag, opened, collect))

    def handle_data(self, data: str) -> None:
        for _, _, collect in self.open:
            if collect is not None:
                collect[1] += data

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, opened, collect = self.open.pop()
            if collect is not None and self.scopes:
                self.scopes[-1].add(collect[0], collect[1].strip())
            if opened is not None:
                self.scopes.pop()
            if name == tag:
                return


def items(html: str, base: str) -> list[Item]:
    """The page's top-level microdata items; ``base`` is the page's own address."""
    reader = _Reader(base)
    reader.feed(html)
    reader.close()
    return reader.items
