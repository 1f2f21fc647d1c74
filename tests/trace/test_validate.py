"""Validation of loaded models: references, trace completeness, Kconfig symbols and values."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from secguide.diagnostics import Diagnostic, Severity
from secguide.model.loader import load_threat_model
from secguide.trace.validate import validate_model
from secguide.zephyr.kconfig.cache import load_symbol_db
from secguide.zephyr.kconfig.symbols import SymbolDB

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "models"

STALE_TO_SUCCESSOR = {
    "APPLICATION_MEMORY": "USERSPACE",
    "X86_PAE_MODE": "X86_PAE",
    "RETPOLINE": "X86_NO_SPECTRE_V2",
    "SYS_LOG": "LOG",
    "KERNEL_DEBUG": "KERNEL_LOG_LEVEL_DBG",
    "CONSOLE_SHELL": "SHELL",
    "X86_TSC_RANDOM_GENERATOR": "TEST_RANDOM_GENERATOR",
    "XOROSHIRO_RANDOM_GENERATOR": "XOSHIRO_RANDOM_GENERATOR",
}


def _errors(diagnostics: list[Diagnostic], code: str | None = None) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity is Severity.ERROR
            and (code is None or d.code == code)]


def test_stale_draft_names_are_reported_with_their_successors(db_v4: SymbolDB) -> None:
    model, load_diagnostics = load_threat_model(FIXTURES / "stale")
    assert load_diagnostics == []
    diagnostics = validate_model(model, db_v4)
    unknown = _errors(diagnostics, "unknown-symbol")
    assert len(unknown) == len(STALE_TO_SUCCESSOR) == len(_errors(diagnostics))
    by_symbol = {d.message.split()[0].removeprefix("CONFIG_"): d for d in unknown}
    assert set(by_symbol) == set(STALE_TO_SUCCESSOR)
    for old, new in STALE_TO_SUCCESSOR.items():
        assert f"replaced by CONFIG_{new}" in by_symbol[old].message
        assert by_symbol[old].loc.path.endswith("stale/active.yaml")
    # Locations point at each setting's symbol line in active.yaml.
    lines = (FIXTURES / "stale" / "active.yaml").read_text().splitlines()
    for diagnostic in unknown:
        assert "symbol: CONFIG_" in lines[diagnostic.loc.line - 1]


def test_stale_names_existed_in_zephyr_1_13(db_v1: SymbolDB) -> None:
    model, _ = load_threat_model(FIXTURES / "stale")
    assert _errors(validate_model(model, db_v1), "unknown-symbol") == []


def test_close_names_are_suggested_without_a_recorded_rename(db_v4: SymbolDB,
                                                             tmp_path: Path) -> None:
    model, _ = _model(tmp_path, _rec("REC-X-TYPO", [("STACK_CANARIE", "y")]))
    (error,) = _errors(validate_model(model, db_v4))
    assert error.message.startswith("CONFIG_STACK_CANARIE does not exist in Zephyr 4.2.99")
    assert "did you mean CONFIG_STACK_CANARIES" in error.message


def _rec(rec_id: str, settings: list[tuple[str, str]], extra: str = "") -> str:
    lines = [f"  - id: {rec_id}", "    title: t", "    area: general", "    status: draft",
             "    rationale: r", "    settings:"]
    for symbol, value in settings:
        key = "value" if not value.startswith(("min", "max")) else value.split(":")[0]
        raw = value if key == "value" else value.split(":", 1)[1]
        lines += [f"      - symbol: {symbol}", f"        {key}: {raw}"]
    lines += ["    verification:", "      - build_audit: production"]
    return "\n".join(lines) + "\n" + extra


def _model(tmp_path: Path, *recs: str, threats: str = ""):
    folder = tmp_path / "tm"
    folder.mkdir(exist_ok=True)
    (folder / "recs.yaml").write_text("recommendations:\n" + "".join(recs))
    if threats:
        (folder / "threats.yaml").write_text(textwrap.dedent(threats))
    return load_threat_model(folder, display_base=tmp_path)


@pytest.fixture(scope="module")
def mini_db(tmp_path_factory: pytest.TempPathFactory) -> SymbolDB:
    tree = Path(__file__).resolve().parents[1] / "fixtures" / "trees" / "mini"
    return load_symbol_db(tree, cache_dir=tmp_path_factory.mktemp("cache"))[0]


VALUE_CASES = [
    # (symbol, value, expected code or None, phrase)
    ("STACK_CANARIES", "y", None, ""),
    ("STACK_CANARIES", "'yes'", "invalid-value", "is a bool; value must be one of y, n, not 'yes'"),
    ("STACK_CANARIES", "m", "invalid-value", "one of y, n"),
    ("TRI_STATE", "m", None, ""),
    ("TRI_STATE", "2", "invalid-value", "one of y, n, m"),
    ("STACK_POINTER_RANDOM", "64", None, ""),
    ("STACK_POINTER_RANDOM", "5000", "out-of-range", "value 5000 for CONFIG_STACK_POINTER_RANDOM "
                                                     "is outside its range (0..4096)"),
    ("STACK_POINTER_RANDOM", "lots", "invalid-value", "value must be a whole number"),
    ("STACK_POINTER_RANDOM", "min:100", None, ""),
    ("STACK_POINTER_RANDOM", "min:9999", "out-of-range", "min 9999"),
    ("STACK_CANARIES", "min:1", "invalid-value", "min/max need an int or hex symbol"),
    ("MAGIC_HEX", "0x40", None, ""),
    ("MAGIC_HEX", "0x400", "out-of-range", "outside its range (16..255)"),
    ("MAGIC_HEX", "zz", "invalid-value", "hexadecimal number"),
    ("BANNER_TEXT", "anything at all", None, ""),
]


@pytest.mark.parametrize(("symbol", "value", "code", "phrase"), VALUE_CASES,
                         ids=[f"{s}={v}" for s, v, _, _ in VALUE_CASES])
def test_values_are_checked_against_the_symbol_type(symbol: str, value: str, code: str | None,
                                                    phrase: str, mini_db: SymbolDB,
                                                    tmp_path: Path) -> None:
    model, load_diagnostics = _model(tmp_path, _rec("REC-X-VALUE", [(symbol, value)]))
    assert load_diagnostics == []
    errors = _errors(validate_model(model, mini_db))
    if code is None:
        assert errors == []
    else:
        (error,) = errors
        assert error.code == code
        assert phrase in error.message
        assert error.loc.line == 8  # the setting's "symbol:" line


def test_min_above_max(mini_db: SymbolDB, tmp_path: Path) -> None:
    rec = _rec("REC-X-BOUNDS", []).replace(
        "    settings:\n",
        "    settings:\n      - symbol: STACK_POINTER_RANDOM\n        min: 200\n        max: 100\n")
    model, _ = _model(tmp_path, rec)
    (error,) = _errors(validate_model(model, mini_db))
    assert error.message == "min 200 is above max 100"


def test_warnings_for_hidden_and_deprecated_symbols(mini_db: SymbolDB, tmp_path: Path) -> None:
    model, _ = _model(tmp_path, _rec("REC-X-WARN", [("HIDDEN_HELPER", "y"),
                                                    ("LEGACY_LOGGING", "n")]))
    warnings = {d.code: d for d in validate_model(model, mini_db)
                if d.severity is Severity.WARNING}
    assert "prj.conf cannot set it" in warnings["no-prompt"].message
    assert warnings["no-prompt"].loc.line == 8
    assert "marks CONFIG_LEGACY_LOGGING deprecated" in warnings["deprecated-symbol"].message
    assert warnings["deprecated-symbol"].loc.line == 10


THREATS = """\
    threats:
      - id: THR-X-ONE
        title: One
        description: d
        adversaries: [ADV-NOBODY]
        mitigated_by: [REC-X-LINKED, REC-X-MISSING, THR-X-TWO]
      - id: THR-X-TWO
        title: Two
        description: d
    """


def test_references_and_trace_completeness(mini_db: SymbolDB, tmp_path: Path) -> None:
    no_trace = ("  - id: REC-X-BARE\n    title: t\n    area: general\n    status: draft\n"
                "    rationale: r\n")
    model, load_diagnostics = _model(tmp_path, _rec("REC-X-LINKED", [("STACK_CANARIES", "y")]),
                                     no_trace, threats=THREATS)
    assert load_diagnostics == []
    found = [(d.severity.value, d.code, d.loc.path, d.loc.line)
             for d in validate_model(model, mini_db)]
    assert found == [
        ("warning", "mitigates-nothing", "tm/recs.yaml", 12),
        ("warning", "no-setting", "tm/recs.yaml", 12),
        ("warning", "no-verification", "tm/recs.yaml", 12),
        # dangling links point at the list entry naming them, not at the item's id line
        ("error", "unknown-id", "tm/threats.yaml", 5),
        ("error", "unknown-id", "tm/threats.yaml", 6),
        ("error", "wrong-link", "tm/threats.yaml", 6),
        ("warning", "no-mitigation", "tm/threats.yaml", 7),
    ]
    messages = [d.message for d in validate_model(model, mini_db) if d.code == "unknown-id"]
    assert any("adversaries names ADV-NOBODY" in m for m in messages)
    assert any("mitigated_by names REC-X-MISSING" in m for m in messages)
    columns = {d.message.split(" names ")[1].split(",")[0]: d.loc.col
               for d in validate_model(model, mini_db) if d.code in ("unknown-id", "wrong-link")}
    written = textwrap.dedent(THREATS).splitlines()
    line = written[5]
    assert columns == {"ADV-NOBODY": written[4].index("ADV-NOBODY") + 1,
                       "REC-X-MISSING": line.index("REC-X-MISSING") + 1,
                       "THR-X-TWO": line.index("THR-X-TWO") + 1}


def test_missing_id_suggests_close_ids(mini_db: SymbolDB, tmp_path: Path) -> None:
    threats = THREATS.replace("[REC-X-LINKED, REC-X-MISSING, THR-X-TWO]", "[REC-X-LINKD]")
    model, _ = _model(tmp_path, _rec("REC-X-LINKED", [("STACK_CANARIES", "y")]),
                      threats=threats)
    [error] = [d for d in validate_model(model, mini_db) if d.code == "unknown-id"
               and "REC-X-LINKD" in d.message]
    assert error.message.endswith("; did you mean REC-X-LINKED?")
    assert error.loc.line == 6


def test_unparseable_file_holds_back_echo_findings(mini_db: SymbolDB, tmp_path: Path) -> None:
    model, load_diagnostics = _model(
        tmp_path, _rec("REC-X-LINKED", [("STACK_CANARIES", "y")]),
        threats="threats:\n  - id: THR-X-ONE\n    title: [broken\n")
    assert [d.code for d in load_diagnostics] == ["yaml-syntax"]
    assert model.unreadable_files == ("tm/threats.yaml",)
    # without the threats file, REC-X-LINKED would seem to mitigate nothing
    assert validate_model(model, mini_db) == []
