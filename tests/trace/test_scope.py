"""The subsystem scope of a recommendation: ``applies_to.when``, checked and evaluated."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from secguide.model.loader import load_threat_model
from secguide.trace.scope import applies_in, applies_when_text, scope_holds
from secguide.trace.validate import validate_model
from secguide.zephyr.dotconfig import read_dotconfig
from secguide.zephyr.kconfig.symbols import SymbolDB

BUILDS = Path(__file__).resolve().parents[2].parent / "shared" / "builds" / "configs"


def _model(tmp_path: Path, when: str):
    folder = tmp_path / "tm"
    folder.mkdir(parents=True)
    (folder / "recs.yaml").write_text(textwrap.dedent(f"""\
        recommendations:
          - id: REC-BT-X
            title: t
            area: bluetooth
            status: draft
            rationale: r
            applies_to:
              architectures: [arm]
              when: {when!r}
            settings:
              - symbol: CONFIG_BT_SMP_SC_ONLY
                value: y
            verification:
              - build_audit: production
        """))
    return load_threat_model(folder, display_base=tmp_path)


def _scope_findings(tmp_path: Path, db: SymbolDB | None, when: str):
    model, problems = _model(tmp_path, when)
    assert problems == []
    return [d for d in validate_model(model, db)
            if d.code in ("scope-syntax", "unknown-scope-symbol")]


def test_a_known_expression_is_accepted_and_loaded(tmp_path: Path, db_v4: SymbolDB) -> None:
    model, _ = _model(tmp_path, "BT && (BT_SMP || BT_CLASSIC)")
    assert model.recommendations[0].applies_to.when == "BT && (BT_SMP || BT_CLASSIC)"
    assert _scope_findings(tmp_path / "b", db_v4, "BT && (BT_SMP || BT_CLASSIC)") == []


@pytest.mark.parametrize(("when", "code", "words"), [
    ("BT_SMP &&", "scope-syntax", "not a Kconfig expression"),
    ("(BT_SMP", "scope-syntax", "not a Kconfig expression"),
    ("BT_SMP $(dt_has)", "scope-syntax", "not a Kconfig expression"),
    ("CONFIG_BT_SMP", "scope-syntax", "without CONFIG_"),
    ("BT && BT_SPM", "unknown-scope-symbol", "BT_SPM, which does not exist in Zephyr 4.2.99"),
])
def test_a_bad_expression_is_reported_at_its_line(tmp_path: Path, db_v4: SymbolDB, when: str,
                                                  code: str, words: str) -> None:
    (finding,) = _scope_findings(tmp_path, db_v4, when)
    assert finding.code == code
    assert words in finding.message
    lines = (tmp_path / "tm" / "recs.yaml").read_text().splitlines()
    assert lines[finding.loc.line - 1].strip().startswith("when:")


def test_a_misspelt_symbol_gets_the_close_name(tmp_path: Path, db_v4: SymbolDB) -> None:
    (finding,) = _scope_findings(tmp_path, db_v4, "BT_SPM")
    assert "BT_SMP" in finding.message.split("did you mean")[1]


def test_syntax_is_checked_without_a_tree(tmp_path: Path) -> None:
    (finding,) = _scope_findings(tmp_path, None, "BT ||")
    assert finding.code == "scope-syntax"


@pytest.mark.parametrize(("when", "values", "expected"), [
    ("", {}, True),
    ("BT_SMP", {"BT_SMP": "y"}, True),
    ("BT_SMP", {"BT_SMP": "n"}, False),
    ("BT_SMP", {}, False),  # not in the .config: n, as Kconfig reads it
    ("USB_DEVICE_STACK", {"USB_DEVICE_STACK": "m"}, True),
    ("NETWORKING && NET_TCP", {"NETWORKING": "y"}, False),
    ("NETWORKING && NET_TCP", {"NETWORKING": "y", "NET_TCP": "y"}, True),
    ("NET_SOCKETS || !NETWORKING", {}, True),
    ("MBEDTLS_SSL_MAX_CONTENT_LEN >= 4096", {"MBEDTLS_SSL_MAX_CONTENT_LEN": "4096"}, True),
    ("MBEDTLS_SSL_MAX_CONTENT_LEN > 4096", {"MBEDTLS_SSL_MAX_CONTENT_LEN": "4096"}, False),
    ("BT_SMP &&", {"BT_SMP": "y"}, None),
])
def test_scope_holds(when: str, values: dict[str, str], expected: bool | None) -> None:
    assert scope_holds(when, values) is expected


@pytest.mark.parametrize("subsystem", ["BT", "SHELL", "NETWORKING && NET_TCP"])
def test_real_builds_scope_follows_their_config(subsystem: str) -> None:
    """On the real builds, a scope holds exactly where the .config turns the subsystem on
    (worked out here from the text of each file), and both answers occur."""
    configs = sorted(BUILDS.glob("*.config"))
    assert len(configs) >= 20
    seen = set()
    for path in configs:
        lines = set(path.read_text(errors="replace").splitlines())
        expected = all(f"CONFIG_{name.strip()}=y" in lines for name in subsystem.split("&&"))
        values = {name: value.value for name, value in read_dotconfig(path).values.items()}
        assert scope_holds(subsystem, values) is expected, path.name
        seen.add(expected)
    assert seen == {True, False}


def test_applies_in_reads_the_recommendation(tmp_path: Path) -> None:
    model, _ = _model(tmp_path, "BT_SMP")
    rec = model.recommendations[0]
    assert applies_in(rec, {"BT_SMP": "y"}) is True
    assert applies_in(rec, {"BT": "y"}) is False


@pytest.mark.parametrize(("when", "shown"), [
    ("", ""),
    ("BT_SMP", "CONFIG_BT_SMP"),
    ("NETWORKING  &&\n NET_TCP", "CONFIG_NETWORKING && CONFIG_NET_TCP"),
    ("!BT_CLASSIC || BT_SMP=y", "!CONFIG_BT_CLASSIC || CONFIG_BT_SMP=y"),
    ('LOG_BACKEND = "BT"', 'CONFIG_LOG_BACKEND = "BT"'),
])
def test_applies_when_text_names_symbols_as_config(when: str, shown: str) -> None:
    assert applies_when_text(when) == shown
