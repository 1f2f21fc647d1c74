"""The ``secguide-hardening`` directive: the guide against Zephyr's hardening database.

Renders :class:`~secguide.trace.hardening.HardeningComparison` (computed once per
build in :mod:`secguide.sphinx.model`); the same data ``secguide hardening
import`` prints. Without ``secguide_hardening_db`` it renders a short note, so a
page can carry the directive unconditionally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.application import Sphinx

from secguide import headers as H
from secguide.sphinx.directives import ModelDirective, _table, titled_section
from secguide.sphinx.domain import item_reference
from secguide.sphinx.kconfig import ABSENT_SYMBOL, mention, option_reference
from secguide.trace.page_digests import Facet

if TYPE_CHECKING:  # imported with the state, not with the extension
    from secguide.model.hardening_db import HardeningRule
    from secguide.trace.hardening import HardeningComparison


def _text(text: str) -> nodes.Node:
    return nodes.paragraph(text, text)


class HardeningDirective(ModelDirective):
    """Tables of agreements and differences between the guide and ``hardening.yaml``."""

    def facets(self) -> list[Facet]:
        return [("extra", "hardening")]

    def symbol(self, name: str) -> nodes.Node:
        if name in self.model_state.db:
            mention(self.env, name, self.lineno)
            return option_reference(name)
        return nodes.literal(f"CONFIG_{name}", f"CONFIG_{name}", classes=[ABSENT_SYMBOL])

    def where(self, rule: HardeningRule) -> nodes.Node:
        path = rule.loc.path.split("upstream-hardening/", 1)[-1]
        text = f"{path}:{rule.loc.line}"
        return nodes.literal(text, text)

    def section(self, title: str, intro: str, headers: tuple[str, ...],
                rows: list[list[nodes.Node | str]], widths: tuple[int, ...]) -> list[nodes.Node]:
        if not rows:
            return []
        section = titled_section(self, title)
        section += [_text(intro), _table(headers, rows, widths, ("secguide-hardening",))]
        return [section]

    def render(self) -> list[nodes.Node]:
        c: HardeningComparison | None = self.model_state.hardening
        if c is None:
            return [_text("No hardening database is configured (secguide_hardening_db), so "
                          "there is nothing to compare against.")]
        summary = [
            ("Upstream rules", c.rules),
            ("Same value as a guide recommendation", len(c.agree)),
            ("... of which the guide also meets another way", len(c.wider)),
            ("Different value", len(c.value_differences)),
            ("Different profile", len(c.profile_differences)),
            ("Waived by the guide", len(c.waived)),
            ("No recommendation in the guide", len(c.upstream_only)),
            ("Guide settings upstream has no rule for", len(c.guide_only)),
            (f"Rule symbols Zephyr {c.tree_version} does not define", len(c.unknown_to_tree)),
        ]
        result: list[nodes.Node] = [_table((H.MEASURE, H.COUNT),
                                           [(label, str(n)) for label, n in summary],
                                           (70, 30), ("secguide-coverage",))]
        result += self.section(
            "Values that disagree", "Both sides rule on the symbol, with different values.",
            (H.KCONFIG_SYMBOL, H.UPSTREAM_VALUE, H.GUIDE_VALUE, H.RECOMMENDATION, H.RULE),
            [[self.symbol(d.rule.symbol), d.upstream_text, d.guide_text,
              item_reference(d.guide.recommendation), self.where(d.rule)]
             for d in c.value_differences], (28, 12, 12, 24, 24))
        result += self.section(
            "Where the guide accepts more than upstream's rule",
            "The values agree, but the guide's setting also accepts other members of the "
            "same Kconfig choice, because they protect at least as well (stronger stack "
            "canaries, either generator that reads the entropy driver). A build that uses "
            "one of them passes the guide's audit and fails upstream's hardenconfig rule; "
            "that difference is deliberate.",
            (H.KCONFIG_SYMBOL, H.UPSTREAM_VALUE, H.ALSO_ACCEPTED, H.RECOMMENDATION, H.RULE),
            [[self.symbol(r.symbol), r.value or "",
              ", ".join(f"CONFIG_{name}={g.setting.value}" for name in g.setting.alternatives),
              item_reference(g.recommendation), self.where(r)] for r, g in c.wider],
            (24, 10, 30, 18, 18))
        result += self.section(
            "Profiles that disagree", "The lowest profile that checks the symbol differs.",
            (H.KCONFIG_SYMBOL, H.UPSTREAM_PROFILE, H.GUIDE_PROFILE, H.RECOMMENDATION, H.RULE),
            [[self.symbol(d.rule.symbol), d.upstream_text, d.guide_text,
              item_reference(d.guide.recommendation), self.where(d.rule)]
             for d in c.profile_differences], (28, 12, 12, 24, 24))
        result += self.section(
            "Upstream rules the guide does not cover",
            "Neither a recommendation nor a waiver of the guide names these symbols.",
            (H.KCONFIG_SYMBOL, H.UPSTREAM_VALUE, H.PROFILES, H.RULE),
            [[self.symbol(r.symbol), r.value if r.value is not None else f">= {r.minimum}",
              ", ".join(r.profiles), self.where(r)] for r in c.upstream_only],
            (40, 14, 16, 30))
        result += self.section(
            "Guide settings upstream has no rule for",
            "Recommended settings a hardenconfig check with upstream's database does not "
            "look at; 'secguide hardening export' writes them as rules.",
            (H.KCONFIG_SYMBOL, H.GUIDE_VALUE, H.RECOMMENDATION),
            [[self.symbol(g.setting.symbol), g.expected, item_reference(g.recommendation)]
             for g in c.guide_only], (45, 20, 35))
        result += self.section(
            f"Rule symbols Zephyr {c.tree_version} does not define",
            "The database is newer than the tree the guide is built against.",
            (H.KCONFIG_SYMBOL, H.RULE),
            [[self.symbol(r.symbol), self.where(r)] for r in c.unknown_to_tree], (50, 50))
        return result


def setup_hardening(app: Sphinx) -> None:
    app.add_directive("secguide-hardening", HardeningDirective)
