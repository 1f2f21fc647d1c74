"""The Verification page: counts first, then one compact table per kind of test.

Guide checks, target tests and build audits are many entries that differ only in
what they name, so each is one table row rather than a card repeating the same
sentence: ID, what is run, what it verifies (linked), its result. The row carries
the need's ID as its anchor and the need itself is registered hidden, so links from
recommendation cards, the traceability matrix and the search index land on the row.
Manual checks are procedures, each its own text: they stay cards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from docutils import nodes
from sphinx.application import Sphinx

from secguide import headers as H
from secguide.diagnostics import SourceLoc
from secguide.model.items import PROVES, VERIFICATION_KIND_TITLES, VERIFICATION_KINDS, Setting
from secguide.sphinx.directives import ModelDirective, _row, _table
from secguide.sphinx.domain import item_reference
from secguide.sphinx.kconfig import ABSENT_SYMBOL, option_reference
from secguide.sphinx.needs import need_nodes
from secguide.trace.needs import NeedItem, verification_id
from secguide.trace.page_digests import Facet

#: Kinds shown as table rows; the others (manual checks) as cards.
TABLE_KINDS = ("guide-check", "target-test", "build-audit")

#: Column headers of each kind's table.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "guide-check": (H.VERIFICATION, H.CASE, H.VERIFIES, H.RESULT),
    "target-test": (H.VERIFICATION, H.SCENARIO, H.VERIFIES, H.RESULT),
    # the ID with the recommendation it is named after; the values its .config must hold
    "build-audit": (H.VERIFICATION, H.KCONFIG_SETTINGS, H.RESULT),
}

#: How a result reads at a glance: good, bad, or nothing known yet.
_GOOD = ("passed", "valid for tree")
_BAD = ("failed", "invalid for tree", "error")


def node_function(node_id: str) -> str:
    """A pytest node ID without its parameters: ``tests/x.py::test_y[a]`` -> ``...::test_y``."""
    return node_id.partition("[")[0]


def node_case(node_id: str) -> str:
    """The parameter ID of a pytest node ID (``a`` of ``...::test_y[a]``); "" if none."""
    _function, bracket, params = node_id.partition("[")
    return params.removesuffix("]") if bracket else ""


def result_word(result: str) -> str:
    """The outcome without where it ran: ``failed on qemu_x86`` -> ``failed``."""
    return result.split(" on ", 1)[0] or "not run"


def result_badge(result: str, text: str | None = None) -> nodes.inline:
    """``result`` as a badge coloured by its outcome; ``text`` replaces the words shown."""
    word = result_word(result)
    text = result if text is None else text
    tone = "good" if word in _GOOD else "bad" if word in _BAD else "none"
    return nodes.inline(text, text, classes=["secguide-badge", f"secguide-result-{tone}"])


def result_counts(items: Iterable[NeedItem]) -> list[tuple[str, int]]:
    """``(outcome, how many)``, most frequent first, ties by name."""
    counts = Counter(result_word(item.extra.get("result", "")) for item in items)
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))


class VerificationsDirective(ModelDirective):
    """Every verification need: a count per kind and result, then each kind apart."""

    def facets(self) -> list[Facet]:
        return [("kind", "test"), ("verifications",)]

    def render(self) -> list[nodes.Node]:
        tests = self.items_of("test")
        by_kind = {kind: [item for item in tests
                          if item.extra.get("verification_kind") == kind]
                   for kind in VERIFICATION_KINDS}
        result: list[nodes.Node] = [self.summary(by_kind)]
        for kind, of_kind in by_kind.items():
            if not of_kind:
                continue
            title = f"{VERIFICATION_KIND_TITLES[kind]} ({len(of_kind)})"
            section = nodes.section(ids=[f"verifications-{kind}"])
            section += nodes.rubric(title, title)
            section += nodes.paragraph(PROVES[kind], PROVES[kind])
            if kind in TABLE_KINDS:
                section += self.tables(kind, of_kind)
            else:
                for item in of_kind:
                    section += self.need(item)
            result.append(section)
        return result

    def summary(self, by_kind: dict[str, list[NeedItem]]) -> nodes.table:
        rows = []
        for kind, of_kind in by_kind.items():
            if not of_kind:
                continue
            ref = nodes.reference("", VERIFICATION_KIND_TITLES[kind],
                                  refid=f"verifications-{kind}")
            outcomes = nodes.paragraph()
            for index, (word, count) in enumerate(result_counts(of_kind)):
                if index:
                    outcomes += nodes.Text(" ")
                outcomes += result_badge(word, f"{count} {word}")
            rows.append([nodes.paragraph("", "", ref), str(len(of_kind)), outcomes])
        return _table((H.KIND, H.COUNT, H.RESULT), rows, (28, 12, 60),
                      ("secguide-verification-counts",))

    def tables(self, kind: str, items: Sequence[NeedItem]) -> list[nodes.Node]:
        """One table per kind; guide checks one per test function, a row per case.

        The mission test alone has fifty parametrized cases: its node ID written once
        above the table, and each row showing only the case (``REC-X/SYMBOL``), is what
        fits a page and can be scanned.
        """
        if kind == "target-test":  # by scenario: kernel.memory_protection.* together
            return self.kind_table(kind, sorted(items, key=lambda i: i.title))
        if kind != "guide-check":
            return self.kind_table(kind, items)
        groups: dict[str, list[NeedItem]] = {}
        for item in items:
            groups.setdefault(node_function(item.title), []).append(item)
        result: list[nodes.Node] = []
        for function, members in sorted(groups.items()):
            cases = "case" if len(members) == 1 else "cases"
            result.append(nodes.paragraph(
                "", "", nodes.Text("Test "),
                nodes.literal(function, function, classes=["secguide-test-name"]),
                nodes.Text(f", {len(members)} {cases}:")))
            result += self.kind_table(kind, sorted(members, key=lambda i: node_case(i.title)))
        return result

    def kind_table(self, kind: str, items: Sequence[NeedItem]) -> list[nodes.Node]:
        """The table of one kind, preceded by its needs, registered hidden."""
        headers = _COLUMNS[kind]
        hidden: list[nodes.Node] = []
        # secguide-wide: the page takes the window's width. No fixed column widths: IDs
        # and links keep their length on one line, the case or scenario column wraps.
        table = _table(headers, [], (), ("secguide-verifications",
                                         f"secguide-verifications-{kind}", "secguide-wide"))
        body = next(table.findall(nodes.tbody))
        for item in items:
            if not self.claim(item):
                continue
            hidden += [self.index_entry(item),
                       *need_nodes(self, item, self.model_state.absolute(item.loc),
                                   hidden=True)]
            result = nodes.paragraph("", "", result_badge(item.extra.get("result", "")))
            if kind == "build-audit":
                # an audit verifies exactly the recommendation it is named after: no
                # column of its own, so the settings it checks get the room
                cells = [self.id_cell(item, self.verifies_cell(item)),
                         self.target_cell(kind, item), result]
            else:
                cells = [self.id_cell(item), self.target_cell(kind, item),
                         self.verifies_cell(item), result]
            row = _row(cells)
            row["ids"].append(item.id)
            body += row
        return [*hidden, table]

    def id_cell(self, item: NeedItem, of: nodes.paragraph | None = None) -> nodes.Element:
        """The ID, linking to its own row so a reader can copy the address; ``of``, the
        item it verifies, below it."""
        ref = nodes.reference("", "", nodes.literal(item.id, item.id), refid=item.id,
                              classes=["secguide-verification-id"])
        cell = nodes.container()
        cell += nodes.paragraph("", "", ref)
        if of is not None:
            cell += nodes.paragraph("", "of\u00a0", *of.children)
        return cell

    def target_cell(self, kind: str, item: NeedItem) -> nodes.Element:
        """What runs: the node ID or scenario (with its note), or the audited values."""
        cell = nodes.container()
        if kind == "build-audit":
            rec = self.model_state.model.recommendation(item.extra.get("verifies", ""))
            values = nodes.paragraph()
            for index, setting in enumerate(rec.settings if rec else ()):
                if index:
                    values += nodes.Text(", ")
                values += self.requirement(setting)
            cell += values
            return cell
        shown = (node_case(item.title) or "the test itself") if kind == "guide-check" \
            else item.title
        cell += nodes.paragraph("", "", nodes.literal(shown, shown,
                                                      classes=["secguide-test-name"]))
        note = self.note_of(item)
        if note is not None:
            cell += self.prose(*note)
        return cell

    def requirement(self, setting: Setting) -> list[nodes.Node]:
        """``CONFIG_X=y`` with the name linked to its Kconfig entry; a symbol this tree
        lacks (a later release's) stays plain text and says when it comes."""
        rest = setting.requirement_text.removeprefix(setting.config_name)
        if setting.symbol in self.model_state.db:
            return [option_reference(setting.symbol), nodes.literal(rest, rest)]
        text = setting.requirement_text
        shown = [nodes.literal(text, text, classes=[ABSENT_SYMBOL])]
        if setting.since:
            shown.append(nodes.Text(f" (from Zephyr {setting.since})"))
        return shown

    def note_of(self, item: NeedItem) -> tuple[str, SourceLoc] | None:
        """The YAML note of a verification entry with this need ID, and where it is."""
        for rec in self.model_state.model.recommendations:
            for verification in rec.verifications:
                if verification.note and verification_id(verification) == item.id:
                    return verification.note, verification.loc
        return None

    def verifies_cell(self, item: NeedItem) -> nodes.paragraph:
        para = nodes.paragraph()
        targets = [t for t in item.extra.get("verifies", "").split(",") if t]
        for index, target in enumerate(targets):
            if index:
                para += nodes.Text(", ")
            para += item_reference(target)
        return para


def setup_verifications(app: Sphinx) -> None:
    app.add_directive("secguide-verifications", VerificationsDirective)
