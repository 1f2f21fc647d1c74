"""Shared fixtures: the real Zephyr trees, a per-session Kconfig cache, fixture trees."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from secguide.zephyr.kconfig.cache import load_symbol_db
from secguide.zephyr.kconfig.symbols import SymbolDB
from secguide.zephyr.scenarios import ScenarioIndex, index_scenarios

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_ZEPHYR = REPO.parent / "shared" / "zephyr"


def _tree_from(variable: str, fallback: Path) -> Path | None:
    value = os.environ.get(variable)
    path = Path(value) if value else fallback
    return path if (path / "Kconfig.zephyr").is_file() else None


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or write the developer's own Kconfig cache."""
    os.environ["SECGUIDE_CACHE_DIR"] = str(tmp_path_factory.mktemp("kconfig-cache"))


@pytest.fixture(scope="session")
def zephyr_v4_path() -> Path:
    tree = _tree_from("ZEPHYR_BASE", SHARED_ZEPHYR / "v4.2.99")
    if tree is None:
        pytest.fail("ZEPHYR_BASE must name a Zephyr tree (e.g. ../shared/zephyr/v4.2.99)")
    return tree


@pytest.fixture(scope="session")
def zephyr_v1_path() -> Path:
    tree = _tree_from("SECGUIDE_ZEPHYR_V1", SHARED_ZEPHYR / "v1.13.0")
    if tree is None:
        pytest.fail("Zephyr 1.13 tree not found: set SECGUIDE_ZEPHYR_V1 or keep ../shared beside")
    return tree


@pytest.fixture(scope="session")
def db_v4(zephyr_v4_path: Path) -> SymbolDB:
    return load_symbol_db(zephyr_v4_path)[0]


@pytest.fixture(scope="session")
def db_v1(zephyr_v1_path: Path) -> SymbolDB:
    return load_symbol_db(zephyr_v1_path)[0]


@pytest.fixture(scope="session")
def scenarios_v4(zephyr_v4_path: Path) -> ScenarioIndex:
    """The test scenarios of the v4 tree, indexed once per session."""
    return index_scenarios(zephyr_v4_path)


@pytest.fixture
def mini_tree(tmp_path: Path) -> Path:
    """A writable copy of the hand-written mini tree."""
    target = tmp_path / "mini"
    shutil.copytree(FIXTURES / "trees" / "mini", target)
    return target
