"""Item cards in the built guide: what a reader sees on each, and where its links land.

A card shows the item's title, status and ID (and, for an item limited to a subsystem,
when it applies); its metadata and trace links are folded under the head in a
``<details>`` element (no script needed to open it), then comes the item's text. Every
link the card's item has in sphinx-needs' store (needs.json: outgoing links and the
incoming ones) is on the card, pointing at the page and anchor of the linked item.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

#: Elements that never have an end tag.
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                   "meta", "source", "track", "wbr"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw_text() for c in self.children)

    def text(self) -> str:
        return " ".join(self.raw_text().split())

    def iter(self) -> list[Element]:
        found = [self]
        for child in self.children:
            if isinstance(child, Element):
                found += child.iter()
        return found

    def find(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        return [e for e in self.iter() if (tag is None or e.tag == tag)
                and (cls is None or cls in e.classes)]

    def elements(self) -> list[Element]:
        return [c for c in self.children if isinstance(c, Element)]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(path: Path) -> Element:
    builder = _TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    return builder.root


def cards(page: Element) -> dict[str, Element]:
    return {e.attrs["id"]: e for e in page.find("div", "secguide-card")}


@dataclass(frozen=True)
class Seen:
    """What a reader sees on one card."""

    title: str
    status: str
    item_id: str
    id_href: str
    scope: str
    folded: bool
    meta_lines: list[str]
    links: dict[str, list[tuple[str, str]]]  # label -> [(text, href)]
    body: str


def seen(card: Element) -> Seen:
    details = card.elements()[0]
    assert details.tag == "details", "the metadata folds under the head, scriptless"
    summary, meta = details.elements()
    assert summary.tag == "summary"
    (title,) = summary.find("strong", "secguide-card-title")
    (id_link,) = summary.find("a", "secguide-card-id")
    status = summary.find("span", "secguide-card-status")
    scope = summary.find("span", "secguide-card-applies-when")
    links: dict[str, list[tuple[str, str]]] = {}
    for line in meta.find("div", "secguide-card-links"):
        label = line.find("span", "secguide-card-label")[0].text().removesuffix(":")
        links[label] = [(a.text(), a.attrs["href"]) for a in line.find("a")]
    body = card.find("div", "secguide-card-body")
    return Seen(title=title.text(), status=status[0].text() if status else "",
                item_id=id_link.text(), id_href=id_link.attrs["href"],
                scope=scope[0].text() if scope else "", folded="open" not in details.attrs,
                meta_lines=[line.text() for line in meta.find("div", "line")],
                links=links, body=body[0].text() if body else "")


@pytest.mark.slow
def test_a_recommendation_card_shows_its_head_fold_links_and_text(site: Path) -> None:
    card = cards(parse(site / "recommendations" / "bluetooth.html"))[
        "REC-BT-SECURE-CONNECTIONS-ONLY"]
    shown = seen(card)
    # threatmodel/recommendations/bluetooth.yaml: its title, applies_to.when BT_SMP; its
    # status (draft) is said on the status line above, not again in the card
    assert shown.title == "Pair with LE Secure Connections only"
    assert shown.status == ""
    assert (shown.item_id, shown.id_href) == ("REC-BT-SECURE-CONNECTIONS-ONLY",
                                             "#REC-BT-SECURE-CONNECTIONS-ONLY")
    assert shown.scope == "Applies when: CONFIG_BT_SMP"
    assert shown.folded
    assert "kind: Recommendation" in shown.meta_lines
    assert "builds: production" in shown.meta_lines
    assert "source: threatmodel/recommendations/bluetooth.yaml:79:9" in shown.meta_lines
    # threats.yaml lists it under THR-BT-PAIRING-DOWNGRADE; one setting; two Zephyr tests;
    # three standards' clauses name it (incoming links)
    assert shown.links["mitigates"] == [
        ("THR-BT-PAIRING-DOWNGRADE", "../threat-model.html#THR-BT-PAIRING-DOWNGRADE")]
    assert shown.links["implemented by"] == [
        ("SET-BT-SECURE-CONNECTIONS-ONLY-BT-SMP-SC-PAIR-ONLY",
         "#SET-BT-SECURE-CONNECTIONS-ONLY-BT-SMP-SC-PAIR-ONLY")]
    assert [text for text, _ in shown.links["verified by"]] == [
        "TEST-ZT-BLUETOOTH-SMP", "TEST-ZT-CLASSIC-SMP-SC-ONLY-CDB9"]
    assert {href.split("#")[0] for _, href in shown.links["addresses"]} == {
        "../standards/en-18031-1.html", "../standards/en-303-645.html",
        "../standards/iec-62443-4-2.html"}
    assert shown.body.startswith("LE legacy pairing derives its keys from a short temporary")


@pytest.mark.slow
def test_a_card_without_a_status_line_shows_its_status_word(site: Path) -> None:
    # adversaries.yaml: ADV-KERNEL-CORE has addressed: false
    shown = seen(cards(parse(site / "threat-model.html"))["ADV-KERNEL-CORE"])
    assert (shown.title, shown.status) == ("Misbehaving kernel core", "not addressed")
    assert "links" not in shown.links


def _needs(site: Path) -> dict[str, dict]:
    data = json.loads((site / "needs.json").read_text())
    return data["versions"][data["current_version"]]["needs"]


def _href(from_doc: str, to_doc: str, anchor: str) -> str:
    if from_doc == to_doc:
        return f"#{anchor}"
    relative = posixpath.relpath(to_doc, posixpath.dirname(from_doc) or ".")
    return f"{relative}.html#{anchor}"


@pytest.mark.slow
def test_every_card_carries_every_link_of_its_need(site: Path) -> None:
    """Against sphinx-needs' own store: each card shows its need's title and every
    outgoing and incoming link, each pointing at the page and anchor of the other need."""
    needs = _needs(site)
    checked = 0
    for path in sorted(site.rglob("*.html")):
        docname = path.relative_to(site).with_suffix("").as_posix()
        page = parse(path)
        anchors = {e.attrs["id"] for e in page.iter() if "id" in e.attrs}
        for item_id, card in cards(page).items():
            need = needs[item_id]
            assert need["docname"] == docname, item_id
            shown = seen(card)
            assert (shown.title, shown.item_id) == (need["title"], item_id)
            assert item_id in anchors
            shown_links = sorted(link for links in shown.links.values() for link in links)
            expected = sorted(
                (target, _href(docname, needs[target]["docname"], target))
                for key, targets in need.items()
                if key in _LINK_KEYS and targets for target in targets)
            assert shown_links == expected, item_id
            checked += 1
    # every need has its card, except the tests the Verification page lists as table rows
    table_rows = ("guide-check", "target-test", "build-audit")
    assert checked == sum(1 for n in needs.values()
                          if n.get("verification_kind") not in table_rows)


_LINK_KEYS = frozenset(
    f"{name}{suffix}" for name in ("mitigates", "threatened_by", "endangers",
                                   "implemented_by", "verified_by", "replaced_by",
                                   "addressed_by")
    for suffix in ("", "_back"))


@pytest.mark.slow
def test_an_asset_card_shows_its_state_and_the_threats_against_it(site: Path) -> None:
    page = cards(parse(site / "threat-model.html"))
    # assets.yaml: AST-PERSONAL-DATA; three threats name it, each with a current
    # recommendation among its mitigations (threats.yaml, bluetooth.yaml, networking.yaml)
    shown = seen(page["AST-PERSONAL-DATA"])
    assert (shown.title, shown.status) == ("Personal data of the device's users",
                                           "mitigated in the guide")
    assert "kind: Asset" in shown.meta_lines
    assert "asset_category: Privacy asset" in shown.meta_lines
    assert set(shown.links["endangered by"]) == {
        ("THR-DEBUG-INFO-EXPOSURE", "#THR-DEBUG-INFO-EXPOSURE"),
        ("THR-BT-TRACKING", "#THR-BT-TRACKING"),
        ("THR-NET-SECRET-DISCLOSURE", "#THR-NET-SECRET-DISCLOSURE")}
    assert "In the guide: mitigated in the guide" in shown.body
    # THR-IMAGE-TAMPERING is answered by RESP-IMAGE-INTEGRITY alone
    image = seen(page["AST-FIRMWARE-IMAGE"])
    assert image.status == "relies on the product"
    assert "THR-IMAGE-TAMPERING is answered only by developer responsibilities" in image.body
    # and the threat's card links what it endangers (in ID order, as every link line)
    threat = seen(page["THR-BT-TRACKING"])
    assert threat.links["endangers"] == [("AST-DEVICE-IDENTITY", "#AST-DEVICE-IDENTITY"),
                                         ("AST-PERSONAL-DATA", "#AST-PERSONAL-DATA")]


def test_a_cards_metadata_lines_carry_their_yaml_source() -> None:
    """Without a source, Sphinx's source workaround dumps each line as XML for a debug
    message (whether shown or not): 2 % of reading a guide of thousands of cards."""
    from docutils import nodes

    from secguide.diagnostics import SourceLoc
    from secguide.sphinx.cards import card_nodes
    from secguide.trace.needs import NeedItem

    item = NeedItem(id="REC-X-ONE", type="recommendation", title="One", content="",
                    status="approved", tags=("x",), extra={"area": "networking"},
                    loc=SourceLoc("threatmodel/recommendations/x.yaml", 12, 5))
    card = card_nodes(item, [], "/guide/threatmodel/recommendations/x.yaml")
    lines = list(card.findall(nodes.line))
    assert [line.rawsource for line in lines] == [
        "kind: Recommendation", "tags: x", "area: networking"]
    assert {(line.source, line.line) for line in lines} == {
        ("/guide/threatmodel/recommendations/x.yaml", 12)}
