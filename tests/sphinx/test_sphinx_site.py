"""One build of the real guide against Zephyr 4.2.99, shared by the whole session."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from secguide.evidence.board_page import fragment_text
from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.trace.kconfig_facts import expand_fact_roles
from secguide.trace.prose import WITHHELD
from secguide.trace.scope import applies_when_text
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def real_model() -> ThreatModel:
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    return model


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.mark.slow
def test_stack_canaries_entry_carries_the_tree_help(site: Path, db_v4: SymbolDB) -> None:
    page = (site / "kconfig.html").read_text(encoding="utf-8")
    entry = page.split('id="CONFIG_STACK_CANARIES"', 1)[1].split("</section>", 1)[0]
    symbol = db_v4.get("STACK_CANARIES")
    assert symbol is not None and symbol.help
    assert " ".join(symbol.help.split()) in _text(entry)
    assert symbol.prompts[0] in _text(entry)


@pytest.mark.slow
def test_needs_json_holds_every_recommendation_with_links(site: Path,
                                                          real_model: ThreatModel) -> None:
    data = json.loads((site / "needs.json").read_text())
    needs = data["versions"][data["current_version"]]["needs"]
    assert real_model.recommendations
    for rec in real_model.recommendations:
        need = needs[rec.id]
        assert need["type"] == "recommendation" and need["status"] == rec.status
        symbols = sorted(needs[sid]["symbol"] for sid in need["implemented_by"])
        assert symbols == sorted(s.config_name for s in rec.settings), rec.id
        threats = sorted(t.id for t in real_model.threats if rec.id in t.mitigated_by)
        assert sorted(need["mitigates"]) == threats, rec.id
        assert len(need["verified_by"]) == len({(v.kind, v.ref) for v in rec.verifications})


@pytest.mark.slow
def test_matrix_lists_every_recommended_setting(site: Path, real_model: ThreatModel) -> None:
    matrix = _text((site / "traceability.html").read_text(encoding="utf-8"))
    settings = {s.config_name for rec in real_model.recommendations for s in rec.settings}
    assert settings
    assert sorted(name for name in settings if name not in matrix.split()) == []


@pytest.mark.slow
def test_coverage_page_lists_every_hardened_csv_symbol(site: Path, zephyr_v4_path: Path,
                                                       real_model: ThreatModel) -> None:
    from secguide.zephyr.hardening import read_hardened_csv

    entries, _ = read_hardened_csv(zephyr_v4_path)
    assert len(entries) > 50
    page = (site / "coverage.html").read_text(encoding="utf-8")
    table = page.split("secguide-hardened", 1)[1].split("</table>", 1)[0]
    rows = [_text(row.split(">", 1)[1]) for row in table.split("<tr")[2:]]
    assert [row.split()[0] for row in rows] == [f"CONFIG_{e.symbol}" for e in entries]
    waived = {w.symbol for w in real_model.waivers}
    for entry, row in zip(entries, rows, strict=True):
        status = row.split()[2]
        assert status in ("covered", "waived", "absent"), row
        assert (status == "waived") == (entry.symbol in waived and not any(
            s.symbol == entry.symbol for r in real_model.recommendations for s in r.settings))
    test_shell = rows[[e.symbol for e in entries].index("TEST_SHELL")]
    assert test_shell == "CONFIG_TEST_SHELL n absent not defined in Zephyr 4.2.99"


def _entry(site: Path, name: str) -> str:
    page = (site / "kconfig.html").read_text(encoding="utf-8")
    return page.split(f'id="{name}"', 1)[1].split("</section>", 1)[0]


@pytest.mark.slow
def test_kconfig_defaults_carry_their_condition_and_board_file(site: Path) -> None:
    entry = _entry(site, "CONFIG_ASSERT")
    defaults = entry.split("Defaults", 1)[1].split("</ul>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", defaults, re.S)
    assert len(items) >= 6
    # every "n" comes from a board or SoC file, and says which; "y" only under TEST
    assert all(" if " in _text(item) or "defconfig" in _text(item) for item in items)
    assert any(_text(item) == "y if CONFIG_TEST" for item in items)
    hw = _text(_entry(site, "CONFIG_HW_STACK_PROTECTION"))
    assert "CONFIG_ARCH_HAS_STACK_PROTECTION if CONFIG_BOARD_NRF52840DK" in hw


@pytest.mark.slow
def test_kconfig_dependencies_are_links_and_module_symbols_are_settable(site: Path) -> None:
    entry = _entry(site, "CONFIG_MBEDTLS_DEBUG")
    depends = entry.split("Depends on", 1)[1].split("</dd>", 1)[0]
    assert _text(depends).strip(": ") == "CONFIG_MBEDTLS"
    assert 'href="https://docs.zephyrproject.org/latest/kconfig.html#CONFIG_MBEDTLS"' in depends
    assert "&amp;&amp; 0" not in entry


@pytest.mark.slow
def test_kconfig_entries_hide_trivial_dependencies_and_raw_choices(site: Path,
                                                                   db_v4: SymbolDB) -> None:
    page = (site / "kconfig.html").read_text(encoding="utf-8")
    assert "&lt;choice" not in page
    for section in page.split('class="secguide-kconfig-entry"')[1:]:
        name = re.search(r'id="CONFIG_(\w+)"', section)
        assert name is not None
        symbol = db_v4.get(name.group(1))
        assert symbol is not None
        assert ("Depends on" in section.split("</section>", 1)[0]) == (symbol.depends_on != "y")


@pytest.mark.slow
def test_kconfig_help_is_reflowed_and_entries_link_back_and_to_sources(site: Path,
                                                                      db_v4: SymbolDB) -> None:
    entry = _entry(site, "CONFIG_STACK_CANARIES")
    helps = re.findall(r'<p class="secguide-kconfig-help">(.*?)</p>', entry, re.S)
    symbol = db_v4.get("STACK_CANARIES")
    assert symbol is not None and symbol.help.count("\n") > 1
    assert helps and not any("\n" in text for text in helps)
    assert 'href="recommendations/stack-protection.html#REC-STACK-CANARIES"' in entry
    site_link = re.search(r'href="(https://github.com/zephyrproject-rtos/zephyr/blob/main/'
                          r'[^"]+#L\d+)"', entry)
    assert site_link is not None
    loc = symbol.definitions[0]
    assert site_link.group(1).endswith(f"{loc.path}#L{loc.line}")


@pytest.mark.slow
def test_one_legible_trace_diagram_per_area_linked_from_its_page(site: Path,
                                                                 real_model: ThreatModel) -> None:
    page = (site / "traceability.html").read_text(encoding="utf-8")
    areas = {rec.area for rec in real_model.recommendations if rec.status != "deprecated"}
    for area in areas:
        section = page.split(f'id="flow-{area}"', 1)[1].split("</section>", 1)[0]
        svg = re.search(r"_images/(needflow-[0-9a-f]+\.svg)", section)
        assert svg is not None, area
        drawing = (site / "_images" / svg.group(1)).read_text(encoding="utf-8")
        width = re.search(r'width="([\d.]+)pt"', drawing[:400])
        # shown at page width (about 1000 pt on a desktop) without shrinking the text
        assert width is not None and float(width.group(1)) <= 1000, area
        # the caption's claim: recommendations left of the threats and settings
        left = {kind: [float(x) for x in re.findall(
            rf"<ns0:title>{kind}-[^<]*</ns0:title>.*?points=\"(-?[\d.]+)", drawing, re.S)]
            for kind in ("REC", "THR", "SET")}
        assert left["REC"] and max(left["REC"]) < min(left["THR"] + left["SET"]), area
    assert "Recommendations are on the left" in _text(page)
    x86 = (site / "recommendations" / "x86.html").read_text(encoding="utf-8")
    assert 'href="../traceability.html#flow-x86"' in x86


@pytest.mark.slow
def test_hardening_page_shows_the_comparison_of_the_real_database(site: Path,
                                                                  db_v4: SymbolDB) -> None:
    from secguide.model.hardening_db import load_hardening_db

    database = load_hardening_db(REPO.parent / "shared" / "zephyr" / "upstream-hardening")
    page = _text((site / "hardening.html").read_text(encoding="utf-8"))
    assert "Upstream rules 119" in page
    unknown = page.split("Rule symbols Zephyr 4.2.99 does not define", 2)[2]
    for rule in database.rules:
        if rule.symbol not in db_v4:
            where = rule.loc.path.split("upstream-hardening/", 1)[1]
            assert f"CONFIG_{rule.symbol} {where}:{rule.loc.line}" in unknown


@pytest.mark.slow
def test_the_guides_own_prose_is_shown_as_written(site: Path, real_model: ThreatModel,
                                                  db_v4: SymbolDB) -> None:
    """Nothing of the shipped model is withheld by the prose check (issue #16); Kconfig fact
    roles are the one change, rendered as the tree states the fact."""
    data = json.loads((site / "needs.json").read_text())
    needs = data["versions"][data["current_version"]]["needs"]
    for rec in real_model.recommendations:
        assert needs[rec.id]["content"] == expand_fact_roles(rec.rationale, db_v4)
    for threat in real_model.threats:
        assert needs[threat.id]["content"] == expand_fact_roles(threat.description, db_v4)
    facts = [rec for rec in real_model.recommendations if ":kconfig:default:" in rec.rationale]
    assert facts, "the shipped model states a default through a fact role"
    assert all(":kconfig:" not in needs[rec.id]["content"] for rec in facts)
    pages = [p for p in site.rglob("*.html") if "_static" not in p.parts]
    assert pages and not [p for p in pages if WITHHELD in p.read_text(encoding="utf-8")]


@pytest.mark.slow
def test_review_status_counts_first_and_badges_on_recommendation_pages(
        site: Path, real_model: ThreatModel) -> None:
    page = _text((site / "review-status.html").read_text(encoding="utf-8"))
    total = len(real_model.reviewable())
    match = re.search(r"(\d+) reviewable items: (\d+) suspect , (\d+) unreviewed , "
                      r"(\d+) reviewed", page)
    assert match is not None
    numbers = [int(n) for n in match.groups()]
    assert numbers[0] == total == sum(numbers[1:])
    stack = (site / "recommendations" / "stack-protection.html").read_text(encoding="utf-8")
    recs = [rec for rec in real_model.recommendations if rec.area == "stack-protection"]
    # one status line per recommendation, saying its review state
    assert stack.count('<p class="secguide-status ') == len(recs)
    assert stack.count("Working Group review: ") == len(recs)


@pytest.mark.slow
def test_index_says_what_the_guide_was_built_from(site: Path, db_v4: SymbolDB) -> None:
    index = _text((site / "index.html").read_text(encoding="utf-8"))
    assert f"checked against Zephyr {db_v4.zephyr_version}" in index
    assert db_v4.fingerprint[:12] in index
    # the site fixture builds without results (SECGUIDE_RESULTS="") and says so
    assert "No test results were given" in index


@pytest.mark.slow
def test_items_are_in_the_search_index_and_the_general_index(site: Path) -> None:
    assert "REC-STACK-CANARIES" in (site / "searchindex.js").read_text(encoding="utf-8")
    genindex = (site / "genindex.html").read_text(encoding="utf-8")
    assert 'href="recommendations/stack-protection.html#REC-STACK-CANARIES"' in genindex


@pytest.mark.slow
def test_overview_sections_are_in_the_contents_and_assumptions_have_titles(
        site: Path, real_model: ThreatModel) -> None:
    overview = (site / "overview.html").read_text(encoding="utf-8")
    for anchor in ("security-boundary", "shared-responsibility", "assumptions"):
        assert f'href="#{anchor}"' in overview and f'id="{anchor}"' in overview
    assert real_model.scope is not None
    titles = re.findall(r'<strong class="secguide-card-title">([^<]*)', overview)
    ids = {assumption.id for assumption in real_model.scope.assumptions}
    assert titles and not ids & set(titles)


# -- "Your board" page (issue #12) ------------------------------------------------------

def _board_data(site: Path) -> dict:
    text = (site / "_static" / "secguide-boards-data.js").read_text(encoding="utf-8")
    prefix = "window.SECGUIDE_BOARDS = "
    assert text.startswith(prefix) and text.endswith(";\n")
    return json.loads(text[len(prefix):-2])


@pytest.mark.slow
def test_board_page_data_answers_for_every_buildable_target(site: Path) -> None:
    page = (site / "boards.html").read_text(encoding="utf-8")
    # Script tags, not fetch(): the page must work from file:// too.
    assert '<script src="_static/secguide-boards-data.js"></script>' in page
    data = _board_data(site)
    targets = {t[0]: t for t in data["targets"]}
    assert len(targets) > 1000 and all(t[2] for t in data["targets"])  # every one has an arch
    recs = [rec[0] for rec in data["recs"]]
    nucleo = targets["nucleo_h753zi/stm32h753xx"]
    verdicts = {recs[r]: data["verdicts"][v] for r, v, _ in data["rows"][nucleo[5]]}
    assert verdicts["REC-MP-USERSPACE"] == "available"
    assert verdicts["REC-X86-MMU"] == "not-applicable"  # an x86 recommendation on an Arm board
    conf = fragment_text(data, nucleo)
    assert "nucleo_h753zi/stm32h753xx" in conf and "\nCONFIG_USERSPACE=y\n" in conf
    url = dict((rec[0], rec[2]) for rec in data["recs"])["REC-MP-USERSPACE"]
    assert url == "recommendations/memory-protection.html#REC-MP-USERSPACE"


@pytest.mark.slow
def test_recommendation_pages_count_boards(site: Path) -> None:
    page = (site / "recommendations" / "stack-protection.html").read_text(encoding="utf-8")
    table = page[page.index('id="on-which-boards"'):]
    assert "REC-STACK-CANARIES" in table
    assert "depends on CONFIG_CPU_CORTEX_M_HAS_SPLIM, fixed by the target" in table


def _chromium_dom(page: Path, fragment: str) -> str:
    chromium = shutil.which(os.environ.get("CHROMIUM", "chromium"))
    if chromium is None:
        pytest.skip("chromium not installed")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
             "--virtual-time-budget=5000", "--dump-dom", page.as_uri() + fragment],
            capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.mark.slow
def test_board_finder_works_from_file_url_and_keeps_text_inert(
        site: Path, tmp_path: Path) -> None:
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    data_file = copy / "_static" / "secguide-boards-data.js"
    hostile = '<b id="injected">x</b>'
    data_file.write_text(data_file.read_text(encoding="utf-8").replace(
        '"Nucleo H753ZI"', json.dumps(hostile)), encoding="utf-8")
    dom = _chromium_dom(copy / "boards.html", "#board=nucleo_h753zi")
    assert '<h3 class="secguide-board-name">nucleo_h753zi/stm32h753xx</h3>' in dom
    assert "CONFIG_USERSPACE=y" in dom
    # Shown as text (escaped when serialised), never parsed into an element.
    assert '<b id="injected">' not in dom and '&lt;b id="injected"&gt;x&lt;/b&gt;' in dom


def _cards(fragment: str) -> list[tuple[str, str]]:
    """(need ID, head text) of each item card in ``fragment``, in page order."""
    found = re.finditer(r'<div class="secguide-card [^"]*" id="([A-Z0-9-]+)">\s*<details[^>]*>'
                        r'\s*<summary[^>]*>(.*?)</summary>', fragment, re.DOTALL)
    return [(m.group(1), _text(m.group(2))) for m in found]


@pytest.mark.slow
def test_area_pages_lead_with_the_point_and_keep_deprecated_items_apart(
        site: Path, real_model: ThreatModel) -> None:
    """Issue #14's item cards on every area page: the status said once, on the line above
    the card; deprecated recommendations after the live ones, in their marked box, and
    their settings last in the table."""
    areas = {rec.area for rec in real_model.recommendations}
    assert len(areas) == 13
    for area in sorted(areas):
        page = (site / "recommendations" / f"{area}.html").read_text(encoding="utf-8")
        recs = [rec for rec in real_model.recommendations if rec.area == area]
        live, _, box = page.partition('class="secguide-deprecated-items')
        live_ids = [need for need, _ in _cards(live) if need.startswith("REC-")]
        box_ids = [need for need, _ in _cards(box) if need.startswith("REC-")]
        assert live_ids == [r.id for r in recs if r.status != "deprecated"], area
        assert box_ids == [r.id for r in recs if r.status == "deprecated"], area
        if box_ids:
            assert "Deprecated recommendations" in _text(box.split("</p>", 1)[0] + "</p>")
        scopes = {r.id: r.applies_to.when for r in recs}
        for need, head in _cards(page):
            # the head leads with the title (or the setting) and the ID, no status word;
            # a recommendation limited to a subsystem says so on a second head line
            head, _, scope = head.partition(" Applies when: ")
            assert head.endswith(f"· {need}"), (area, head)
            if need in scopes:
                wanted = applies_when_text(scopes[need]) if scopes[need] else ""
                assert " ".join(scope.split()) == " ".join(wanted.split()), (need, scope)
            assert not re.search(r"· (draft|review|approved|deprecated) ·", head), head
        table = page.split("secguide-settings", 1)[1].split("</table>", 1)[0]
        statuses = [_text(re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)[3])
                    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.DOTALL)[1:]]
        assert statuses and statuses == sorted(statuses, key=lambda s: s == "deprecated")
        if box_ids:
            assert statuses[-1] == "deprecated", area


@pytest.mark.slow
def test_threats_and_responsibilities_have_one_status_line_each(
        site: Path, real_model: ThreatModel) -> None:
    threats = (site / "threat-model.html").read_text(encoding="utf-8")
    responsibilities = (site / "responsibilities.html").read_text(encoding="utf-8")
    reviewable_here = (len(real_model.threats) + len(real_model.out_of_scope)
                       + len(real_model.assets))
    assert threats.count('<p class="secguide-status ') == reviewable_here
    assert responsibilities.count('<p class="secguide-status ') == \
        len(real_model.responsibilities)
    # adversaries are not reviewed: no line; their head says whether the guide addresses them
    for need, head in _cards(threats):
        if need.startswith("ADV-"):
            assert re.search(r"· (not )?addressed ·", head), head
        else:
            assert "approved" not in head and "addressed" not in head, head
