"""A fresh machine: the Makefile brings Graphviz itself (root on Debian/Ubuntu) or says,
in one line, what to install; CI runs the README's commands and installs nothing itself."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ENSURE = REPO / "scripts" / "ensure-tool.sh"


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def _ensure(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    """ensure-tool.sh with PATH holding only the stubs: no dot, whatever the host has."""
    return subprocess.run(["/bin/sh", str(ENSURE), "dot", "graphviz", "Building the guide"],
                          env={"PATH": str(bin_dir)}, capture_output=True, text=True,
                          timeout=30, check=False)


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    return folder


def test_not_root_gets_one_line_naming_the_package(bin_dir: Path) -> None:
    _stub(bin_dir, "id", "echo 1000\n")
    _stub(bin_dir, "apt-get", f"touch {bin_dir}/apt-was-called\n")
    done = _ensure(bin_dir)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "Building the guide needs 'dot', which is not installed: install graphviz "
        "(Debian/Ubuntu: sudo apt-get install graphviz) and retry"]
    assert not (bin_dir / "apt-was-called").exists()


def test_root_on_debian_installs_quietly_once(bin_dir: Path) -> None:
    log = bin_dir.parent / "apt.log"
    _stub(bin_dir, "id", "echo 0\n")
    # A fake apt-get: records its arguments; "install graphviz" provides dot.
    _stub(bin_dir, "apt-get",
          f'echo "$*" >> {log}\n'
          f'case "$*" in *"install"*graphviz*) printf "#!/bin/sh\\n" > {bin_dir}/dot;'
          f' /bin/chmod +x {bin_dir}/dot;; esac\n'
          'echo "lots of apt output"\n')
    first = _ensure(bin_dir)
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""
    assert first.stderr.splitlines() == [
        "Building the guide needs 'dot': installing Debian package graphviz with apt-get"]
    assert log.read_text().splitlines() == [
        "install -y -qq --no-install-recommends graphviz"]
    again = _ensure(bin_dir)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert len(log.read_text().splitlines()) == 1


def test_root_whose_apt_fails_gets_one_line(bin_dir: Path) -> None:
    _stub(bin_dir, "id", "echo 0\n")
    _stub(bin_dir, "apt-get", "echo 'E: Unable to locate package' >&2; exit 100\n")
    done = _ensure(bin_dir)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "Building the guide needs 'dot': 'apt-get install graphviz' failed; install it "
        "and retry")
    assert "Unable to locate" not in done.stderr


@pytest.mark.parametrize(("target", "brings"), [
    ("test", "sh scripts/ensure-tool.sh dot graphviz"),
    ("html", "sh scripts/ensure-tool.sh dot graphviz"),
    ("test", "sh scripts/ensure-pango.sh .venv/bin/python"),
    ("pdf", "sh scripts/ensure-pango.sh .venv/bin/python"),
])
def test_make_targets_bring_their_system_tools(target: str, brings: str) -> None:
    """Graphviz draws the guide's diagrams; WeasyPrint (make pdf, its test) loads Pango."""
    done = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert brings in done.stdout


def _readme_commands() -> set[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    return {line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()}


def test_ci_runs_the_readme_commands_and_installs_nothing() -> None:
    lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    script = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    assert "apt-get" not in script and "graphviz" not in script.lower()
    commands = [line.strip() for line in script.splitlines()
                if re.match(r"\s*(\w+=\S+ )*make\b", line)]
    assert "make test" in commands and "make html" in commands[-1]
    readme = _readme_commands()
    assert [c for c in commands if c not in readme] == []


def test_readme_says_where_the_cli_is() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/secguide" in readme


PANGO = REPO / "scripts" / "ensure-pango.sh"
PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"


def _ensure_pango(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    """ensure-pango.sh with a stub Python whose WeasyPrint loads once the marker exists."""
    _stub(bin_dir, "python", f'test -e {bin_dir}/pango-installed\n')
    return subprocess.run(["/bin/sh", str(PANGO), str(bin_dir / "python")],
                          env={"PATH": str(bin_dir)}, capture_output=True, text=True,
                          timeout=30, check=False)


def test_pango_not_root_gets_one_line(bin_dir: Path) -> None:
    _stub(bin_dir, "id", "echo 1000\n")
    _stub(bin_dir, "apt-get", f"touch {bin_dir}/apt-was-called\n")
    done = _ensure_pango(bin_dir)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "make pdf needs the Pango library, which WeasyPrint cannot load: install "
        f"{PANGO_PACKAGES} (Debian/Ubuntu: sudo apt-get install {PANGO_PACKAGES}) and retry"]
    assert not (bin_dir / "apt-was-called").exists()


def test_pango_root_on_debian_installs_once(bin_dir: Path) -> None:
    log = bin_dir.parent / "apt.log"
    _stub(bin_dir, "id", "echo 0\n")
    _stub(bin_dir, "apt-get", f'echo "$*" >> {log}\n'
          f'case "$*" in *install*libpango*) : > {bin_dir}/pango-installed;; esac\n')
    first = _ensure_pango(bin_dir)
    assert first.returncode == 0, first.stderr
    assert log.read_text().splitlines() == [
        f"install -y -qq --no-install-recommends {PANGO_PACKAGES}"]
    again = _ensure_pango(bin_dir)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert len(log.read_text().splitlines()) == 1


