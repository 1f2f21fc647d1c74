"""``secguide product init`` and ``secguide evidence --product``: the product's claims, at
their lines, weighed beside a real build's evidence; what the assessor reads first."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from secguide.cli.main import main

REPO = Path(__file__).resolve().parents[2]
BUILDS = REPO.parent / "shared" / "builds"
STEPPER = BUILDS / "configs" / "nucleo_h753zi-stepper.config"
R05 = BUILDS / "results" / "r05-v4.2.0-native_sim.twister.json"
MODEL = ["--threatmodel", str(REPO / "threatmodel")]


def evidence(out: Path, product: Path, *extra: str) -> int:
    return main(["evidence", str(STEPPER), "--product", str(product), "--out", str(out),
                 *MODEL, *extra])


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory, zephyr_v4_path: Path) -> str:
    """The starting file ``product init`` writes for the stepper build."""
    out = tmp_path_factory.mktemp("init") / "product.yaml"
    assert main(["product", "init", str(STEPPER), "--out", str(out), *MODEL]) == 0
    return out.read_text(encoding="utf-8")


def filled(started: str) -> str:
    """The starting file with what a product team fills in: identity, release, and one
    responsibility declared with a reference."""
    text = started.replace('  name: ""', "  name: Stepper controller")
    text = text.replace('  version: ""', '  version: "1.4.0"')
    text = text.replace('zephyr_release: ""', "zephyr_release: v4.2.0-2572-g04dfa77d372d")
    return text.replace("responsibilities: []", (
        "responsibilities:\n"
        "  - id: RESP-UNIQUE-CREDENTIALS\n"
        "    how: Each device gets its own key pair at the factory\n"
        "    reference: docs/provisioning.md#keys\n"))


def test_init_names_the_build_and_lists_what_is_open(started: str) -> None:
    assert 'board_target: "nucleo_h753zi/stm32h753xx"' in started
    assert 'profile: "strict"' in started
    # a bare .config has no version.h: the release is left for the team to state
    assert 'zephyr_release: ""' in started
    assert "#  - id: RESP-UNIQUE-CREDENTIALS    # Ship no shared default credentials" in started
    assert "#  - id: TEST-MAN-ENTROPY-DRIVER    # The production .config contains " in started
    # nothing is declared until the team writes it
    assert "\nresponsibilities: []\n" in started and "\nmanual_checks: []\n" in started


def test_init_never_overwrites(tmp_path: Path, zephyr_v4_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "product.yaml"
    out.write_text("mine\n")
    assert main(["product", "init", str(STEPPER), "--out", str(out), *MODEL]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text() == "mine\n"


def test_an_untouched_starting_file_is_refused_at_its_lines(
        started: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    product = tmp_path / "product.yaml"
    product.write_text(started, encoding="utf-8")
    assert evidence(tmp_path / "out", product) == 2
    err = capsys.readouterr().err
    assert "product.yaml:10:9: error: 'name' must not be empty [schema]" in err
    assert "product.yaml:11:12: error: 'version' must not be empty [schema]" in err
    assert "product.yaml:15:17: error: 'zephyr_release' must not be empty [schema]" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("change", "expected"), [
    (("RESP-UNIQUE-CREDENTIALS\n", "RESP-MADE-UP\n"),
     ":18:9: error: RESP-MADE-UP is not a responsibility the guide hands to the product"),
    (('board_target: "nucleo_h753zi/stm32h753xx"', "board_target: nrf52840dk/nrf52840"),
     ":12:15: error: declares board target nrf52840dk/nrf52840, but "),
    (("zephyr_release: v4.2.0-2572-g04dfa77d372d", "zephyr_release: main"),
     ":15:17: error: 'main' names no Zephyr release"),
    (('profile: "strict"', "profile: paranoid"),
     ":16:10: error: 'paranoid' is not a profile of the guide"),
    (("product:\n", "product:\n  owner: me\n"), ":10:3: error: unknown field 'owner'"),
    (("responsibilities:\n", "responsibilities: [\n"), "error: YAML syntax error"),
])
def test_a_bad_declaration_is_refused_at_its_line(
        started: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        change: tuple[str, str], expected: str) -> None:
    text = filled(started)
    assert change[0] in text
    product = tmp_path / "product.yaml"
    product.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    assert evidence(tmp_path / "out", product) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_a_version_h_that_contradicts_the_declared_release_is_refused(
        started: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build = tmp_path / "build"
    (build / "zephyr" / "include" / "generated" / "zephyr").mkdir(parents=True)
    shutil.copy(STEPPER, build / "zephyr" / ".config")
    (build / "zephyr" / "include" / "generated" / "zephyr" / "version.h").write_text(
        "#define KERNEL_VERSION_MAJOR 3\n#define KERNEL_VERSION_MINOR 7\n"
        "#define KERNEL_PATCHLEVEL 0\n")
    product = tmp_path / "product.yaml"
    product.write_text(filled(started), encoding="utf-8")
    code = main(["evidence", str(build), "--product", str(product), "--out",
                 str(tmp_path / "out"), *MODEL])
    err = capsys.readouterr().err
    assert code == 2, err
    assert ("error: declares Zephyr v4.2.0-2572-g04dfa77d372d, but the build's version.h "
            "says 3.7.0 [product-mismatch]") in err


def test_a_declared_responsibility_closes_its_item_and_opens_the_report(
        started: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    product = tmp_path / "product.yaml"
    product.write_text(filled(started), encoding="utf-8")
    # r05 ran v4.2.0-31-g663da..., another commit than the declared release: exit 1
    assert evidence(tmp_path / "out", product, "--results", str(R05)) == 1
    data = json.loads((tmp_path / "out" / "evidence.json").read_text())
    assert data["declaration"]["name"] == "Stepper controller"
    assert data["declaration"]["responsibilities"] == 1
    assert data["build"]["zephyr_release"].startswith("v4.2.0-2572-g04dfa77d372d: a "
                                                      "development build after 4.2.0")
    clauses = {c["id"]: c for c in data["clauses"]}
    # 5.1-1 names only RESP-UNIQUE-CREDENTIALS; its recommendations are out of scope here
    assert clauses["CLS-EN303645-5-1-1"]["verdict"] == "met"
    assert {r["item"]: r["text"] for r in clauses["CLS-EN303645-5-1-1"]["reasons"]}[
        "RESP-UNIQUE-CREDENTIALS"] == ("declared fulfilled: Each device gets its own key pair "
                                       "at the factory (see docs/provisioning.md#keys)")
    assert "RESP-UNIQUE-CREDENTIALS" not in data["open_items"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["declaration"]["sha256"] == data["declaration"]["sha256"]
    assert "product-declaration" in {i["role"] for i in manifest["inputs"]}

    page = (tmp_path / "out" / "report.html").read_text()
    order = [page.index(mark) for mark in (
        'id="build"', 'id="declaration"', 'id="excluded"', 'id="threats"', 'id="standards"',
        'id="not-applicable"')]
    assert order == sorted(order)
    assert "Stepper controller 1.4.0" in page
    assert '<a href="#RESP-UNIQUE-CREDENTIALS">' in page and 'id="RESP-UNIQUE-CREDENTIALS"' in page

    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is not installed: apt-get install poppler-utils", pytrace=False)
    first_page = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(tmp_path / "out" / "report.pdf"), "-"],
        capture_output=True, text=True, check=True).stdout
    assert "Stepper controller 1.4.0" in first_page
    assert "Not counted and not assessed" in first_page
    assert "not counted: another Zephyr release" in first_page
