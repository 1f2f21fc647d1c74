"""Reading Zephyr's hardening database: the real upstream files, and broken copies of them."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from secguide.diagnostics import SecguideError
from secguide.model.hardening_db import hardening_files, load_hardening_db
from secguide.zephyr.kconfig.symbols import SymbolDB

UPSTREAM = Path(__file__).resolve().parents[3] / "shared" / "zephyr" / "upstream-hardening"
UNKNOWN_TO_V4 = {"ARM64_PMUV3_USER_ACCESS", "PMP_DATA_EXECUTION_PREVENTION",
                 "PMP_UNLOCK_ROM_FOR_DEBUG", "MBEDTLS_DEBUG_C", "MBEDTLS_SSL_EARLY_DATA",
                 "MBEDTLS_SSL_ENCRYPT_THEN_MAC", "SYS_HEAP_HARDENING_NONE"}


def test_real_database_matches_its_readme() -> None:
    db = load_hardening_db(UPSTREAM)
    assert db.diagnostics == ()
    assert len(db.files) == 48 and db.files[0].endswith("scripts/kconfig/hardening.yaml")
    assert len(db.rules) == 119
    assert [(p.name, p.extends) for p in db.profiles] == [("base", None), ("strict", "base")]
    assert len(db.rules_for("base")) == 77 and len(db.rules_for("strict")) == 119
    values = Counter(r.value for r in db.rules)
    assert (values["n"], values["y"], values["0"], values[None]) == (89, 25, 2, 3)
    assert all(r.minimum is not None for r in db.rules if r.value is None)


def test_discovery_order_skips_samples_and_tests(tmp_path: Path) -> None:
    root = tmp_path / "db"
    shutil.copytree(UPSTREAM, root)
    (root / "samples" / "x").mkdir(parents=True)
    (root / "samples" / "x" / "hardening.yaml").write_text("rules: {}\n")
    files = [p.relative_to(root).as_posix() for p in hardening_files(root)]
    assert files[0] == "scripts/kconfig/hardening.yaml"
    assert files[1:] == sorted(files[1:])
    assert not any(f.startswith("samples/") for f in files)


def test_seven_symbols_unknown_to_the_tree(db_v4: SymbolDB) -> None:
    db = load_hardening_db(UPSTREAM)
    unknown = {r.symbol: r.loc for r in db.rules if r.symbol not in db_v4}
    assert set(unknown) == UNKNOWN_TO_V4
    loc = unknown["PMP_UNLOCK_ROM_FOR_DEBUG"]
    assert loc.path.endswith("arch/riscv/hardening.yaml")
    text = (UPSTREAM / "arch" / "riscv" / "hardening.yaml").read_text().splitlines()
    assert text[loc.line - 1].strip() == "PMP_UNLOCK_ROM_FOR_DEBUG:"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "db"
    shutil.copytree(UPSTREAM, root)
    return root


def _codes(root: Path) -> list[str]:
    return [f"{Path(d.loc.path).name}:{d.loc.line} {d.code}"
            for d in load_hardening_db(root, display_base=root).diagnostics]


def test_duplicate_rule_across_files_is_an_error(copy: Path) -> None:
    fragment = copy / "subsys" / "zz" / "hardening.yaml"
    fragment.parent.mkdir()
    fragment.write_text("rules:\n  STACK_CANARIES:\n    value: y\n    rationale: again\n")
    db = load_hardening_db(copy, display_base=copy)
    [finding] = db.diagnostics
    assert (finding.loc.path, finding.loc.line, finding.code) == (
        "subsys/zz/hardening.yaml", 2, "hardening.duplicate-rule")
    assert "already ruled at kernel/hardening.yaml:44" in finding.message


def test_duplicate_key_schema_and_profile_errors(copy: Path) -> None:
    (copy / "subsys" / "stats" / "hardening.yaml").write_text(
        "rules:\n  STATS:\n    value: n\n    value: y\n    rationale: x\n")
    (copy / "subsys" / "fs" / "hardening.yaml").write_text(
        "rules:\n  FILE_SYSTEM_SHELL:\n    value: n\n    min: 1\n    rationale: x\n"
        "  lower_case:\n    value: n\n    rationale: x\n")
    (copy / "lib" / "os" / "hardening.yaml").write_text(
        "profiles:\n  mine:\n    description: d\n"
        "rules:\n  NEW_X:\n    value: n\n    rationale: x\n    profiles: [paranoid]\n")
    assert sorted(_codes(copy)) == sorted([
        "hardening.yaml:4 hardening.duplicate-key",
        "hardening.yaml:2 hardening.schema", "hardening.yaml:6 hardening.schema",
        "hardening.yaml:2 hardening.profile-outside-central",
        "hardening.yaml:5 hardening.unknown-profile"])


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SecguideError, match=r"no scripts/kconfig/hardening\.yaml"):
        load_hardening_db(tmp_path)
    with pytest.raises(SecguideError,
                       match="missing: cannot read hardening database: no such folder"):
        load_hardening_db(tmp_path / "missing")


def test_extra_sources_add_and_override_but_may_not_redefine_profiles(tmp_path: Path) -> None:
    extra = tmp_path / "product.yaml"
    extra.write_text("profiles:\n  product:\n    extends: strict\n    description: ours\n"
                     "rules:\n  STACK_CANARIES:\n    value: n\n    rationale: measured\n"
                     "  PRODUCT_ONLY:\n    value: y\n    rationale: ours\n"
                     "    profiles: [product]\n")
    db = load_hardening_db(UPSTREAM, extra=[extra])
    assert db.diagnostics == ()
    assert db.rule("STACK_CANARIES").value == "n"
    assert db.rule("STACK_CANARIES").loc.path.endswith("product.yaml")
    assert len(db.rules_for("product")) == 120 and db.profile_lineage("product")[-1] == "base"
    extra.write_text("profiles:\n  base:\n    description: again\n")
    [finding] = load_hardening_db(UPSTREAM, extra=[extra]).diagnostics
    assert (finding.code, finding.loc.line) == ("hardening.duplicate-profile", 2)
