"""The model's verification entries against the tree's scenarios and this project's tests.

A ``zephyr_test`` must name a twister scenario of the tree (the index is
:mod:`secguide.zephyr.scenarios`); a ``pytest`` entry must name a test function
of this repository. Both are errors at the entry's YAML line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, Severity, with_suggestion
from secguide.files import UnsafeReference, project_file, read_bounded_text
from secguide.model.items import ThreatModel, Verification
from secguide.zephyr.scenarios import ScenarioIndex


def _zephyr_verifications(model: ThreatModel) -> Iterator[Verification]:
    for recommendation in model.recommendations:
        for verification in recommendation.verifications:
            if verification.kind == "target-test":
                yield verification


def unknown_scenario_message(ref: str, index: ScenarioIndex, zephyr_version: str = "") -> str:
    where = f"Zephyr {zephyr_version}" if zephyr_version else "the Zephyr tree"
    return with_suggestion(f"zephyr_test {ref!r}: {where} has no such test scenario",
                           index.close_names(ref))


def check_verifications(model: ThreatModel, index: ScenarioIndex, *,
                        zephyr_version: str = "",
                        repo_root: Path | None = None) -> list[Diagnostic]:
    """Verification entries that point at nothing, as errors at their YAML line.

    * ``zephyr_test``: the scenario must exist in ``index`` (close names suggested).
    * ``pytest`` (only with ``repo_root``): the node ID's file must exist below
      ``repo_root`` and define the test function; collection is not run.

    Raises:
        Nothing: every finding is a returned diagnostic.
    """
    diagnostics: list[Diagnostic] = []
    for verification in _zephyr_verifications(model):
        if verification.ref in index.ambiguous:
            choices = ", ".join(index.ambiguous[verification.ref][:5])
            diagnostics.append(Diagnostic(
                verification.loc, Severity.ERROR, "ambiguous-test-scenario",
                f"zephyr_test {verification.ref!r} is declared in "
                f"{len(index.ambiguous[verification.ref])} files; name one as "
                f"<directory>/<name>, e.g. {choices}"))
        elif verification.ref not in index:
            diagnostics.append(Diagnostic(
                verification.loc, Severity.ERROR, "unknown-test-scenario",
                unknown_scenario_message(verification.ref, index, zephyr_version)))
    if repo_root is not None:
        diagnostics.extend(check_pytest_refs(model, repo_root))
    return diagnostics


#: The project folder ``pytest:`` node IDs must lie in.
TESTS_FOLDER = "tests"


def check_pytest_refs(model: ThreatModel, repo_root: Path) -> list[Diagnostic]:
    """``pytest`` verifications whose file or test function does not exist.

    A static check (file exists, ``def <name>`` appears in it) so that ``check``
    stays fast; the results import is what proves the test ran. A node ID is data:
    its file must be a relative path under the project's ``tests/``
    (:func:`secguide.files.project_file`), read within a size limit; anything else is
    one ``unsafe-path`` error that says nothing about the file it names.

    Raises:
        Nothing: every finding is a returned diagnostic.
    """
    diagnostics: list[Diagnostic] = []
    sources: dict[str, str | UnsafeReference | None] = {}
    for recommendation in model.recommendations:
        for verification in recommendation.verifications:
            if verification.kind != "guide-check":
                continue
            path, _, rest = verification.ref.partition("::")
            function = rest.rsplit("::", 1)[-1].split("[", 1)[0]
            if path not in sources:
                sources[path] = _test_source(repo_root, path)
            source = sources[path]
            if isinstance(source, UnsafeReference):
                diagnostics.append(Diagnostic(verification.loc, Severity.ERROR,
                                              Code.UNSAFE_PATH,
                                              f"pytest {verification.ref!r}: {source}"))
                continue
            if not rest or source is None:
                problem = ("is not a node ID (path::test)" if not rest
                           else f"names {path}, which does not exist")
            elif f"def {function}(" not in source:
                problem = f"names {function}, which {path} does not define"
            else:
                continue
            diagnostics.append(Diagnostic(verification.loc, Severity.ERROR,
                                          "unknown-pytest-node",
                                          f"pytest {verification.ref!r} {problem}"))
    return diagnostics


def pytest_ref_files(model: ThreatModel, repo_root: Path | None) -> list[Path]:
    """The test files :func:`check_pytest_refs` reads, and those it refuses for where
    their links lead, so a kept result of the check can be stamped."""
    if repo_root is None:
        return []
    found = []
    for recommendation in model.recommendations:
        for verification in recommendation.verifications:
            if verification.kind != "guide-check":
                continue
            path = verification.ref.partition("::")[0]
            try:
                found.append(project_file(repo_root, path, under=TESTS_FOLDER))
            except UnsafeReference:
                if path and not Path(path).is_absolute() and ".." not in Path(path).parts:
                    found.append(Path(repo_root) / path)  # refused for where a link leads
    return found


def _test_source(repo_root: Path, path: str) -> str | UnsafeReference | None:
    """The text of the test file ``path`` names; the refusal; ``None`` when it is missing."""
    try:
        return read_bounded_text(project_file(repo_root, path, under=TESTS_FOLDER))
    except UnsafeReference as refusal:
        return refusal
    except (OSError, UnicodeDecodeError):
        return None
