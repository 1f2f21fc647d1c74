"""Zephyr's test scenarios (``testcase.yaml`` / ``sample.yaml``), indexed by name.

A ``zephyr_test`` verification names a twister *scenario*: a key under ``tests:``
of one of the tree's ``testcase.yaml`` or ``sample.yaml`` files, for example
``kernel.memory_protection.stackprot``. This module indexes every scenario of a
tree with the file and line it is declared at, its tags and its platform filters;
``secguide.trace.verifications`` checks the model's verifications against it.

Speed: the tree is walked once and every file is *composed* (not constructed)
with libyaml, which yields the key lines for free; on v4.2.99 (about 1,600
files, 3,700 scenarios) that is about 0.3 s, so the index is not cached on disk.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.zephyr.tree import SCENARIO_FILES, tree_files

try:  # libyaml is about five times faster; PyYAML wheels ship it
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-Python PyYAML build
    _Loader = yaml.SafeLoader

#: Keys whose value is a list that twister also accepts as one space-separated string.
_LIST_KEYS = ("tags", "platform_allow", "platform_exclude", "arch_allow", "arch_exclude")


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """One twister scenario, with ``common:`` merged in the way twister merges it.

    Attributes:
        name: the key under ``tests:``, e.g. ``kernel.memory_protection.stackprot``.
        loc: the file (relative to the tree, ``/``-separated) and the line of the key.
        kind: ``test`` for ``testcase.yaml``, ``sample`` for ``sample.yaml``.
        tags: ``common`` tags and the scenario's own, sorted.
        filter: the Kconfig/devicetree ``filter`` expression, "" when none.
    """

    name: str
    loc: SourceLoc
    kind: str
    tags: tuple[str, ...] = ()
    platform_allow: tuple[str, ...] = ()
    platform_exclude: tuple[str, ...] = ()
    arch_allow: tuple[str, ...] = ()
    arch_exclude: tuple[str, ...] = ()
    filter: str = ""


@dataclass(frozen=True, slots=True)
class ScenarioIndex:
    """Every scenario of one tree, by name and by qualified name.

    Twister names a scenario by its key (``kernel.common``) and, with detailed
    test IDs, by ``<directory>/<key>`` (``tests/kernel/common/kernel.common``).
    Old trees (Zephyr 1.x) reuse keys such as ``test`` in many files; such a bare
    name is *ambiguous* and only its qualified names identify a scenario.

    Attributes:
        scenarios: bare name -> scenario, for names declared exactly once.
        qualified: ``<directory>/<name>`` -> scenario, for every scenario.
        ambiguous: bare name -> its qualified names, for names declared more than once.
        warnings: files that could not be read: diagnostics, never printed here.
        files: how many scenario files were read.
    """

    scenarios: dict[str, Scenario]
    qualified: dict[str, Scenario] = field(default_factory=dict)
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: tuple[Diagnostic, ...] = ()
    files: int = 0
    _names: list[str] = field(default_factory=list, repr=False, compare=False)

    def __contains__(self, name: object) -> bool:
        return name in self.scenarios or name in self.qualified

    def __len__(self) -> int:
        return len(self.qualified)

    def get(self, name: str) -> Scenario | None:
        """The scenario a bare or qualified name identifies; None if none or ambiguous."""
        return self.scenarios.get(name) or self.qualified.get(name)

    def close_names(self, name: str, limit: int = 3) -> list[str]:
        """Scenario names that look like ``name``, best first, for "did you mean"."""
        if not self._names:
            self._names.extend(sorted(self.scenarios))
        close = difflib.get_close_matches(name, self._names, n=limit, cutoff=0.75)
        if close:
            return close
        # A mistyped middle part (kernel.memprot.x for kernel.memory_protection.x)
        # defeats the ratio; the same last component is a good second guess.
        tail = name.rsplit(".", 1)[-1]
        return [n for n in self._names if n.rsplit(".", 1)[-1] == tail][:limit]


def qualified_name(scenario: Scenario) -> str:
    """``<directory of its file>/<name>``, the form of twister's detailed test IDs."""
    directory = scenario.loc.path.rpartition("/")[0]
    return f"{directory}/{scenario.name}" if directory else scenario.name


def _scenario_files(root: Path) -> Iterator[str]:
    """Relative paths of every scenario file below ``root``, sorted; dot-dirs skipped."""
    for relative, _entry in tree_files(root, SCENARIO_FILES.__contains__):
        yield relative


def scenario_file_stamps(root: Path) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime in ns) of every scenario file: what the index reads.

    Cheap next to parsing them (one directory walk), so a cached index can be
    trusted exactly as long as these are the same.
    """
    stamps = []
    for relative, entry in tree_files(root, SCENARIO_FILES.__contains__):
        info = entry.stat()
        stamps.append((relative, info.st_size, info.st_mtime_ns))
    return stamps


def encode_index(index: ScenarioIndex) -> dict[str, object]:
    """``index`` as plain JSON data (:func:`decode_index` reads it back)."""
    def scenario(s: Scenario) -> list[object]:
        return [s.name, s.loc.path, s.loc.line, s.kind, list(s.tags), list(s.platform_allow),
                list(s.platform_exclude), list(s.arch_allow), list(s.arch_exclude), s.filter]

    return {"qualified": {full: scenario(s) for full, s in index.qualified.items()},
            "unique": {name: qualified_name(s) for name, s in index.scenarios.items()},
            "ambiguous": {name: list(fulls) for name, fulls in index.ambiguous.items()},
            "warnings": [[d.loc.path, d.loc.line, d.message] for d in index.warnings],
            "files": index.files}


def decode_index(raw: dict[str, object]) -> ScenarioIndex:
    """The index :func:`encode_index` wrote.

    Raises:
        KeyError, TypeError, ValueError: ``raw`` is not such an index.
    """
    def scenario(fields: list[object]) -> Scenario:
        name, path, line, kind, tags, p_allow, p_exclude, a_allow, a_exclude, condition = fields
        return Scenario(name=str(name), loc=SourceLoc(str(path), int(line)), kind=str(kind),
                        tags=tuple(tags), platform_allow=tuple(p_allow),
                        platform_exclude=tuple(p_exclude), arch_allow=tuple(a_allow),
                        arch_exclude=tuple(a_exclude), filter=str(condition))

    qualified = {str(full): scenario(fields) for full, fields in raw["qualified"].items()}
    return ScenarioIndex(
        scenarios={str(name): qualified[full] for name, full in raw["unique"].items()},
        qualified=qualified,
        ambiguous={str(name): tuple(fulls) for name, fulls in raw["ambiguous"].items()},
        warnings=tuple(Diagnostic(SourceLoc(str(path), int(line)), Severity.WARNING,
                                  "scenario-file-unreadable", str(message))
                       for path, line, message in raw["warnings"]),
        files=int(raw["files"]))


def _plain(node: yaml.Node) -> object:
    """A composed node as strings, lists and dicts (enough for tags and filters)."""
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        return {str(_plain(k)): _plain(v) for k, v in node.value}
    return None  # pragma: no cover - composer yields only the three kinds


def _as_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(str(item) for item in value if isinstance(item, str))
    return ()


def _mapping_get(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None


def _scenarios_of(relative: str, document: yaml.Node) -> Iterator[Scenario]:
    kind = "sample" if relative.endswith("sample.yaml") else "test"
    common_node = _mapping_get(document, "common")
    common = _plain(common_node) if common_node is not None else {}
    if not isinstance(common, dict):
        common = {}
    tests = _mapping_get(document, "tests")
    if not isinstance(tests, yaml.MappingNode):
        return
    for key_node, value_node in tests.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        own = _plain(value_node)
        own = own if isinstance(own, dict) else {}
        merged = {key: _as_tuple(own.get(key, common.get(key))) for key in _LIST_KEYS}
        tags = sorted(set(_as_tuple(common.get("tags"))) | set(_as_tuple(own.get("tags"))))
        raw_filter = own.get("filter", common.get("filter", ""))
        yield Scenario(
            name=key_node.value,
            loc=SourceLoc(relative, key_node.start_mark.line + 1),
            kind=kind,
            tags=tuple(tags),
            platform_allow=merged["platform_allow"],
            platform_exclude=merged["platform_exclude"],
            arch_allow=merged["arch_allow"],
            arch_exclude=merged["arch_exclude"],
            filter=" ".join(raw_filter.split()) if isinstance(raw_filter, str) else "",
        )


def index_scenarios(root: Path) -> ScenarioIndex:
    """Index every scenario of the Zephyr tree at ``root``.

    A file that is not valid YAML does not stop the index: it becomes a warning
    naming the file and line, since a broken sample elsewhere in the tree is not
    the threat model's fault.

    Raises:
        OSError: a directory of the tree cannot be listed.
    """
    qualified: dict[str, Scenario] = {}
    by_name: dict[str, list[str]] = {}
    warnings: list[Diagnostic] = []
    count = 0
    for relative in _scenario_files(root):
        count += 1
        try:
            with open(root / relative, encoding="utf-8") as handle:
                document = yaml.compose(handle, Loader=_Loader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 0
            warnings.append(Diagnostic(SourceLoc(relative, line), Severity.WARNING,
                                       "scenario-file-unreadable",
                                       f"not valid YAML, scenarios skipped: {error}"))
            continue
        except (OSError, UnicodeDecodeError) as error:
            warnings.append(Diagnostic(SourceLoc(relative), Severity.WARNING,
                                       "scenario-file-unreadable", f"cannot read: {error}"))
            continue
        if document is None:
            continue
        for scenario in _scenarios_of(relative, document):
            full = qualified_name(scenario)
            qualified.setdefault(full, scenario)
            by_name.setdefault(scenario.name, []).append(full)
    unique = {name: qualified[fulls[0]] for name, fulls in by_name.items() if len(fulls) == 1}
    ambiguous = {name: tuple(fulls) for name, fulls in by_name.items() if len(fulls) > 1}
    return ScenarioIndex(scenarios=unique, qualified=qualified, ambiguous=ambiguous,
                         warnings=tuple(warnings), files=count)


def scenario_name_of(suite_name: str) -> str:
    """The scenario in a twister suite name: ``tests/kernel/x/kernel.x`` -> ``kernel.x``.

    Twister prefixes the scenario with its directory unless ``--no-detailed-test-id``
    is given; scenario names never contain ``/``.
    """
    return suite_name.rsplit("/", 1)[-1]
