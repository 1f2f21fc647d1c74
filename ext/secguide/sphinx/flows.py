"""``secguide-flows``: one trace diagram per recommendation area, legible at page width.

A single diagram of every threat, recommendation and setting is thousands of points
tall and unreadable once scaled to a page. Each area gets its own section (label
``flow-<area>``, which area pages link to) holding a sphinx-needs ``needflow`` of
the area's recommendations, their settings and the threats they mitigate.

The needflow directives are written as reStructuredText by this module and parsed
in place: the only values interpolated are need IDs (checked against
``needs_id_regex``), area names (from the model's fixed vocabulary) and the titles of the
guide's own area pages (plain words only).
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.parsing import nested_parse_to_nodes

from secguide.sphinx.model import get_state
from secguide.sphinx.needs import NEED_ID_REGEX
from secguide.sphinx.shown import note_shown
from secguide.trace.guide_pages import area_titles, guide_pages
from secguide.trace.needs import setting_id

#: What a reader sees where; checked against the rendered SVG in the tests.
CAPTION = ("Recommendations are on the left; arrows lead to the threats each one "
           "mitigates and to the Kconfig settings that implement it. Click a box to "
           "open the item.")

_SAFE_ID = re.compile(NEED_ID_REGEX)
_SAFE_AREA = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: a page title used as a heading here: plain words only, nothing reST would interpret
_SAFE_TITLE = re.compile(r"^[\w][\w ,.&()/'\u2019-]*$")


def flow_label(area: str) -> str:
    """The reference label of an area's diagram (``:ref:`flow-<area>```)."""
    return f"flow-{area}"


class FlowsDirective(SphinxDirective):
    """One titled ``needflow`` per area that has recommendations."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        state = get_state(self.env)
        # the diagrams' selections; the needs' own titles and links are drawn when the
        # page is written (a need view: secguide.sphinx.shown)
        note_shown(self.env, ("flows",))
        self.env.get_domain("secguide").note_model_doc(self.env.docname)
        areas: dict[str, list[str]] = {}
        for rec in state.model.recommendations:
            if rec.status == "deprecated":
                continue
            ids = areas.setdefault(rec.area, [])
            ids.append(rec.id)
            ids += [setting_id(rec, setting) for setting in rec.settings]
            ids += [threat.id for threat in state.model.threats_mitigated_by(rec.id)]
        source_dir = Path(self.env.srcdir)
        for page in guide_pages(source_dir):
            self.env.note_dependency(str(page))  # a renamed area page renames its heading
        titles = {area: title for area, title in area_titles(source_dir).items()
                  if _SAFE_TITLE.match(title)}
        lines: list[str] = []
        for area in sorted(areas):
            known = [i for i in dict.fromkeys(areas[area])
                     if _SAFE_ID.match(i) and state.item(i) is not None]
            if not _SAFE_AREA.match(area) or not known:
                continue
            # the area page's own title, so the heading and the page say the same
            title = titles.get(area) or area.replace("-", " ").capitalize()
            lines += [f".. _{flow_label(area)}:", "", title, "=" * len(title), "",
                      ".. needflow::",
                      f"   :filter: id in {known!r}",
                      "   :show_link_names:",
                      "   :direction: right",
                      "", ""]
        source, line = self.get_source_info()
        content = StringList(lines, source=source, items=[(source, line)] * len(lines))
        intro = nodes.paragraph(CAPTION, CAPTION)
        return [intro, *nested_parse_to_nodes(self.state, content, source=source,
                                              offset=line, allow_section_headings=True)]


def setup_flows(app: Sphinx) -> None:
    app.add_directive("secguide-flows", FlowsDirective)
