"""Test results: JUnit XML (pytest) and twister.json (Zephyr), mapped onto verifications.

Two formats are read:

* **JUnit XML** as ``pytest --junitxml`` writes it. With
  :mod:`secguide.pytest_plugin` loaded, each ``<testcase>`` carries the
  properties ``nodeid`` (the exact pytest node ID) and ``verifies`` (the
  recommendation IDs of its ``@pytest.mark.verifies`` marker, ``", "``-joined,
  the shape sphinx-test-reports' ``tr_property_link_types`` splits). Without the
  plugin, the node ID is rebuilt from ``classname`` and ``name``.
* **twister.json** as Zephyr's twister writes it: ``testsuites[]`` with ``name``
  (``[<dir>/]<scenario>``), ``platform``, ``status`` and ``testcases[]``. A suite
  counts as its worst of its own status and its testcases' statuses: a suite
  reported "passed" that holds a failed or blocked testcase is failed.
  ``environment.zephyr_version`` is kept: results of another Zephyr release than
  the tree's are flagged (:func:`release_mismatches`).

Each verification then has an :class:`Outcome`. A scenario run on several
platforms, or a node ID reported twice, keeps its worst outcome (failed, then
error, then passed, then skipped): one failing platform is a failing verification.

The XML is parsed with expat directly: a DOCTYPE (and so any entity declaration,
internal or external) is refused before anything is expanded. That is the whole
attack surface of a JUnit file, so ``defusedxml`` is not needed.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import re
import xml.parsers.expat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, SecguideError, Severity, SourceLoc, display_path
from secguide.input_limits import MAX_RESULT_BYTES, loads_json, read_bounded
from secguide.model.items import ThreatModel, Verification
from secguide.model.releases import parse_release, same_release
from secguide.trace.needs import verification_id
from secguide.zephyr.scenarios import scenario_name_of

#: A result file is given on the command line to help a command, not checked by it:
#: one that cannot be read as a report is a usage error, like a missing one.
BAD_INPUT = 2


class Outcome(enum.Enum):
    """What the results say about one verification."""

    PASSED = "passed"
    FAILED = "failed"
    #: the test could not run properly (pytest error, twister build/run error)
    ERROR = "error"
    #: skipped or filtered out on every platform it was selected for
    SKIPPED = "skipped"
    #: no result file mentions it, or twister only built it
    NOT_RUN = "not run"
    #: a manual verification: results never cover it, a reviewer does
    MANUAL = "manual"

    @property
    def is_bad(self) -> bool:
        return self in (Outcome.FAILED, Outcome.ERROR)


#: Worst first: the outcome kept when one test is reported more than once.
_SEVERITY = (Outcome.FAILED, Outcome.ERROR, Outcome.PASSED, Outcome.SKIPPED, Outcome.NOT_RUN)

#: Twister's in-text statuses (twister_statuses docs) -> outcome. ``None`` (JSON
#: null) and ``started`` mean no status was captured.
TWISTER_STATUSES: Mapping[str | None, Outcome] = {
    "passed": Outcome.PASSED,
    "failed": Outcome.FAILED,
    "blocked": Outcome.FAILED,
    "error": Outcome.ERROR,
    "skipped": Outcome.SKIPPED,
    "filtered": Outcome.SKIPPED,
    "not run": Outcome.NOT_RUN,
    "started": Outcome.NOT_RUN,
    "none": Outcome.NOT_RUN,
    None: Outcome.NOT_RUN,
}


#: A guide check's outcome in words: it verifies the guide against the tree, no product.
GUIDE_CHECK_TEXT: Mapping[Outcome, str] = {
    Outcome.PASSED: "valid for tree",
    Outcome.FAILED: "invalid for tree",
    Outcome.ERROR: "error",
    Outcome.SKIPPED: "skipped",
    Outcome.NOT_RUN: "not run",
    Outcome.MANUAL: "manual",
}


def worst(outcomes: Iterable[Outcome]) -> Outcome:
    """The outcome that decides when one test has several (see module docstring)."""
    found = set(outcomes)
    return next((o for o in _SEVERITY if o in found), Outcome.NOT_RUN)


@dataclass(frozen=True, slots=True)
class ResultFile:
    """One result file read: its display path (relative where possible) and sha256."""

    path: str
    sha256: str
    format: str  # "junit" or "twister"
    #: twister.json's ``environment.zephyr_version``; "" for JUnit (it names none)
    zephyr_version: str = ""
    #: test suites (twister.json) or test cases (JUnit) the file holds
    entries: int = 0

    @property
    def empty(self) -> bool:
        return self.entries == 0


@dataclass(frozen=True, slots=True)
class TargetRun:
    """One twister suite: a Zephyr test scenario built with its own ``prj.conf`` and run on
    one platform, as one result file reports it."""

    scenario: str  # the bare scenario name
    suite: str  # the suite name as twister wrote it, ``\\`` turned into ``/``
    platform: str
    outcome: Outcome
    file: str  # display path of the result file


@dataclass(slots=True)
class Results:
    """Everything the result files said, keyed the way verifications name tests.

    Attributes:
        pytest: pytest node ID -> outcome.
        zephyr: scenario name (bare and, when twister gave one, ``<dir>/<name>``)
            -> outcome.
        verifies: recommendation ID -> node IDs of tests marked ``verifies`` it.
        files: the files read, in the order given.
    """

    pytest: dict[str, Outcome] = field(default_factory=dict)
    zephyr: dict[str, Outcome] = field(default_factory=dict)
    #: scenario name (both spellings, as in ``zephyr``) -> platform -> outcome
    platforms: dict[str, dict[str, Outcome]] = field(default_factory=dict)
    verifies: dict[str, list[str]] = field(default_factory=dict)
    #: build-audit need ID -> outcome, filled from one build's audit (never from files)
    audits: dict[str, Outcome] = field(default_factory=dict)
    files: list[ResultFile] = field(default_factory=list)
    #: twister.json display path -> its ``environment.zephyr_version`` ("" when absent)
    releases: dict[str, str] = field(default_factory=dict)
    #: every twister suite read, with the file that reported it
    runs: list[TargetRun] = field(default_factory=list)

    def _add(self, table: dict[str, Outcome], key: str, outcome: Outcome) -> None:
        previous = table.get(key)
        table[key] = outcome if previous is None else worst((previous, outcome))

    def _add_platform(self, scenario: str, platform: str, outcome: Outcome) -> None:
        self._add(self.platforms.setdefault(scenario, {}), platform, outcome)

    def outcome(self, verification: Verification) -> Outcome:
        """The outcome of one verification entry of the model."""
        if verification.kind == "manual-check":
            return Outcome.MANUAL
        if verification.kind == "guide-check":
            return self.pytest.get(verification.ref, Outcome.NOT_RUN)
        if verification.kind == "build-audit":
            return self.audits.get(verification.id, Outcome.NOT_RUN)
        return self.zephyr.get(verification.ref, Outcome.NOT_RUN)

    def result_text(self, verification: Verification) -> str:
        """The outcome in words that claim no more than the kind proves.

        A guide check that passed says the guide is "valid for tree", never
        "passed"; a target test names the platforms it ran on.
        """
        outcome = self.outcome(verification)
        if verification.kind == "guide-check":
            return GUIDE_CHECK_TEXT[outcome]
        if verification.kind == "target-test" and outcome is not Outcome.NOT_RUN:
            on = sorted(p for p, o in self.platforms.get(verification.ref, {}).items()
                        if o is outcome)
            return f"{outcome.value} on {', '.join(on)}" if on else outcome.value
        return outcome.value

    def marked_outcome(self, recommendation_id: str) -> Outcome | None:
        """The worst outcome of the tests marked ``verifies(recommendation_id)``."""
        nodes = self.verifies.get(recommendation_id)
        if not nodes:
            return None
        return worst(self.pytest.get(node, Outcome.NOT_RUN) for node in nodes)


# -- JUnit XML ----------------------------------------------------------------------------

@dataclass(slots=True)
class _Element:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Element] = field(default_factory=list)


def _parse_xml(data: bytes, shown: str) -> _Element:
    """A small element tree with line numbers; DOCTYPE and entities refused.

    Raises:
        SecguideError: not well-formed, or a DOCTYPE is present.
    """
    parser = xml.parsers.expat.ParserCreate()
    root: list[_Element] = []
    stack: list[_Element] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        element = _Element(tag, attrs, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(element)
        else:
            root.append(element)
        stack.append(element)

    def end(_tag: str) -> None:
        stack.pop()

    def doctype(*_args: Any) -> None:
        raise SecguideError(f"{shown}:{parser.CurrentLineNumber}: a DOCTYPE is not allowed "
                            "in a JUnit report (entities are refused)", exit_code=BAD_INPUT)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as error:
        reason = xml.parsers.expat.ErrorString(error.code)
        raise SecguideError(f"{shown}:{error.lineno}:{error.offset + 1}: not well-formed XML: "
                            f"{reason}", exit_code=BAD_INPUT) from None
    return root[0]


def _children(element: _Element, tag: str) -> list[_Element]:
    return [child for child in element.children if child.tag == tag]


def nodeid_from_junit(classname: str, name: str) -> str:
    """Rebuild a pytest node ID from JUnit ``classname`` and ``name``.

    pytest writes ``tests/test_x.py::TestC::test_y`` as classname
    ``tests.test_x.TestC``, name ``test_y``. Which dotted part is the module is
    lost; classes start with an upper-case letter by pytest's convention, which
    decides it well enough for reports written without the plugin.
    """
    parts = classname.split(".") if classname else []
    module = list(parts)
    classes: list[str] = []
    while len(module) > 1 and module[-1][:1].isupper():
        classes.insert(0, module.pop())
    path = "/".join(module) + ".py" if module else ""
    return "::".join([path, *classes, name]) if path else name


def _split_ids(value: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", value) if part]


def _junit_outcome(case: _Element) -> Outcome:
    tags = {child.tag for child in case.children}
    if "failure" in tags:
        return Outcome.FAILED
    if "error" in tags:
        return Outcome.ERROR
    if "skipped" in tags:
        return Outcome.SKIPPED
    return Outcome.PASSED


def _read_junit(data: bytes, shown: str, results: Results) -> int:
    root = _parse_xml(data, shown)
    if root.tag == "testsuites":
        suites = _children(root, "testsuite")
    elif root.tag == "testsuite":
        suites = [root]
    else:
        raise SecguideError(f"{shown}:{root.line}: not a JUnit report: the root element is "
                            f"<{root.tag}>, not <testsuites> or <testsuite>", exit_code=BAD_INPUT)
    cases = 0
    for suite in suites:
        for case in _children(suite, "testcase"):
            cases += 1
            name = case.attrs.get("name")
            if not name:
                raise SecguideError(f"{shown}:{case.line}: <testcase> without a name",
                                    exit_code=BAD_INPUT)
            properties: dict[str, list[str]] = {}
            for group in _children(case, "properties"):
                for prop in _children(group, "property"):
                    if "name" not in prop.attrs or "value" not in prop.attrs:
                        raise SecguideError(f"{shown}:{prop.line}: <property> needs both "
                                            "'name' and 'value'", exit_code=BAD_INPUT)
                    properties.setdefault(prop.attrs["name"], []).append(prop.attrs["value"])
            nodeid = (properties.get("nodeid") or [None])[0] or nodeid_from_junit(
                case.attrs.get("classname", ""), name)
            results._add(results.pytest, nodeid, _junit_outcome(case))
            for value in properties.get("verifies", ()):
                for rec_id in _split_ids(value):
                    nodes = results.verifies.setdefault(rec_id, [])
                    if nodeid not in nodes:
                        nodes.append(nodeid)
    return cases


# -- twister.json -------------------------------------------------------------------------

def _testcase_outcomes(suite: Mapping[str, Any], where: str, name: str) -> list[Outcome]:
    """The outcomes of a suite's ``testcases[]``: a suite passes only if they allow it."""
    cases = suite.get("testcases", [])
    if not isinstance(cases, list):
        raise SecguideError(f"{where} ({name}): 'testcases' is not a list", exit_code=BAD_INPUT)
    outcomes = []
    for number, case in enumerate(cases):
        status = case.get("status") if isinstance(case, dict) else None
        if not isinstance(case, dict) or status not in TWISTER_STATUSES:
            raise SecguideError(f"{where} ({name}): testcases[{number}]: unknown status "
                                f"{status!r}", exit_code=BAD_INPUT)
        # a blocked testcase could not run (its suite did not build): an error, not a failure
        outcomes.append(Outcome.ERROR if status == "blocked" else TWISTER_STATUSES[status])
    return outcomes


def _read_twister(data: bytes, shown: str, results: Results) -> int:
    report = loads_json(data, shown, exit_code=BAD_INPUT)
    if not isinstance(report, dict) or not isinstance(report.get("testsuites"), list):
        raise SecguideError(f"{shown}: not a twister.json report: no 'testsuites' list",
                            exit_code=BAD_INPUT)
    environment = report.get("environment")
    version = environment.get("zephyr_version") if isinstance(environment, dict) else None
    results.releases[shown] = version if isinstance(version, str) else ""
    for index, suite in enumerate(report["testsuites"]):
        where = f"{shown}: testsuites[{index}]"
        if not isinstance(suite, dict):
            raise SecguideError(f"{where}: not an object", exit_code=BAD_INPUT)
        name = suite.get("name")
        if not isinstance(name, str) or not name:
            raise SecguideError(f"{where}: no 'name'", exit_code=BAD_INPUT)
        # twister on Windows writes the scenario's directory with backslashes
        name = name.replace("\\", "/")
        status = suite.get("status")
        if status not in TWISTER_STATUSES:
            known = ", ".join(repr(s) for s in TWISTER_STATUSES if s is not None)
            raise SecguideError(f"{where} ({name}): unknown status {status!r} "
                                f"(twister writes {known} or null)", exit_code=BAD_INPUT)
        outcome = worst((TWISTER_STATUSES[status], *_testcase_outcomes(suite, where, name)))
        platform = suite.get("platform")
        platform = platform if isinstance(platform, str) and platform else "unnamed platform"
        for key in dict.fromkeys((scenario_name_of(name), name)):
            results._add(results.zephyr, key, outcome)
            results._add_platform(key, platform, outcome)
        results.runs.append(TargetRun(scenario_name_of(name), name, platform, outcome, shown))
    return len(report["testsuites"])


# -- the release the results come from ------------------------------------------------

def release_of(version: str) -> tuple[int, int, int] | None:
    """``(major, minor, patchlevel)`` of ``v4.2.0-31-g663da2302b04``, ``4.2.99`` or
    ``zephyr-v2.5.0-31748-g...``; None when the text holds no version."""
    stated = parse_release(version)
    return stated.numbers if stated else None


def release_words(version: str) -> str:
    """A result file's release as a reader should take it."""
    if not version:
        return "no Zephyr release (no environment.zephyr_version)"
    stated = parse_release(version)
    if stated is None:
        return f"'{version}', which names no Zephyr release"
    if stated.development:
        return f"Zephyr {version}, {stated.describe()}"
    return f"Zephyr {version}"


def release_mismatches(results: Results | None, tree_version: str) -> list[Diagnostic]:
    """A finding for each twister.json whose Zephyr release is not the tree's.

    "Same release" is :func:`~secguide.model.releases.same_release`: the same tagged
    release, or for a development build the same commit (``v4.2.0-31-g...`` results
    are not those of a ``4.2.99`` tree, nor of ``4.2.0``). A twister.json without
    ``environment.zephyr_version`` is flagged too: nothing says which release it
    tested. JUnit files carry no release and are not checked.
    """
    if results is None:
        return []
    tree = parse_release(tree_version)
    found = []
    for shown, version in results.releases.items():
        if same_release(parse_release(version), tree):
            continue
        said = release_words(version)
        found.append(Diagnostic(SourceLoc(shown), Severity.ERROR, Code.RESULTS_OTHER_RELEASE,
                                f"results ran on {said}, but the guide is built for "
                                f"Zephyr {tree_version}: its outcomes do not show that "
                                "this release passes"))
    return found


# -- entry points -------------------------------------------------------------------------

def detect_format(data: bytes) -> str | None:
    """``junit`` or ``twister`` from the first non-blank byte; None when neither."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return {b"<": "junit", b"{": "twister"}.get(head)


def load_results(paths: Iterable[str | Path], *, display_base: Path | None = None) -> Results:
    """Read every result file, in order, into one :class:`Results`.

    Raises:
        SecguideError: a file is missing, of an unknown format, or malformed; the
            message names the file (and the line, for XML and JSON syntax errors).
    """
    results = Results()
    for raw_path in paths:
        path = Path(raw_path)
        shown = display_path(path, display_base)
        try:
            data = read_bounded(path, shown, limit=MAX_RESULT_BYTES, what="result file",
                                exit_code=BAD_INPUT)
        except FileNotFoundError:
            raise SecguideError(f"{shown}: cannot read result file: no such file") from None
        kind = detect_format(data)
        if not data.strip():
            raise SecguideError(f"{shown}: the result file is empty ({len(data)} bytes): "
                                "no test ran, or the run did not finish writing it",
                                exit_code=BAD_INPUT)
        if kind == "junit":
            entries = _read_junit(data, shown, results)
        elif kind == "twister":
            entries = _read_twister(data, shown, results)
        else:
            raise SecguideError(f"{shown}: not a result file: expected JUnit XML or "
                                "twister.json", exit_code=BAD_INPUT)
        results.files.append(ResultFile(shown, hashlib.sha256(data).hexdigest(), kind,
                                        results.releases.get(shown, ""), entries))
    return results


def shown_as(results: Results, shown: Mapping[str, str]) -> Results:
    """``results`` with each file's display path replaced by ``shown[sha256]`` (the path the
    evidence's inputs list gives it), so that every output names a file one way."""
    def path(file: ResultFile) -> str:
        return shown.get(file.sha256, file.path)
    renamed = {f.path: path(f) for f in results.files}
    return dataclasses.replace(
        results, files=[dataclasses.replace(f, path=path(f)) for f in results.files],
        runs=[dataclasses.replace(r, file=renamed.get(r.file, r.file)) for r in results.runs],
        releases={renamed.get(k, k): v for k, v in results.releases.items()})


def verification_outcomes(model: ThreatModel,
                          results: Results | None) -> dict[Verification, Outcome]:
    """The outcome of every verification entry of the model (``NOT_RUN`` without results)."""
    results = results or Results()
    return {verification: results.outcome(verification)
            for recommendation in model.recommendations
            for verification in recommendation.verifications}


def need_results(model: ThreatModel, results: Results | None) -> dict[str, str]:
    """Test need ID -> outcome text, the ``results`` argument of ``need_items``.

    Manual checks are ``manual``; without results every other one is ``not run``;
    guide checks and target tests are worded by :meth:`Results.result_text`.
    """
    results = results or Results()
    return {verification_id(verification): results.result_text(verification)
            for recommendation in model.recommendations
            for verification in recommendation.verifications}


def results_source(results: Results | None) -> SourceLoc | None:
    """Where marker-linked tests are located: the JUnit file(s) that reported them."""
    if results is None:
        return None
    junit = [f.path for f in results.files if f.format == "junit"]
    return SourceLoc(junit[0]) if junit else None


#: A test linked by ``@pytest.mark.verifies`` (a guide check): (node ID, outcome text).
MarkedTest = tuple[str, str]


def marked_tests(results: Results | None) -> dict[str, tuple[MarkedTest, ...]]:
    """Recommendation ID -> the tests marked as verifying it, with their outcomes.

    These tests name the recommendation themselves; the model need not list them,
    so they reach the trace only through result files.
    """
    if results is None:
        return {}
    return {rec_id: tuple(sorted(
                (node, GUIDE_CHECK_TEXT[results.pytest.get(node, Outcome.NOT_RUN)])
                for node in nodes))
            for rec_id, nodes in sorted(results.verifies.items())}
