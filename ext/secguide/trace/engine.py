"""The one place a build's verdicts are decided: ``audit``, ``evidence`` and later faces ask here.

A :class:`VerdictEngine` is made once per command from the model, the tree's
symbol database and what the user asked for (profile, rule source, build kind,
waivers, the day waivers are judged on, the build's stated Zephyr release). It
then judges builds: one parsed ``.config`` (:meth:`VerdictEngine.judge`) or every
``.config`` a command-line argument stands for (:meth:`VerdictEngine.judge_paths`:
build folders, twister trees, sysbuild images). Front ends parse arguments,
call it and print what it returns; none of them chooses rules, reads a release
or walks builds itself, so two commands cannot give one build two answers.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from secguide.diagnostics import Diagnostic, SecguideError, display_path
from secguide.model.hardening_db import CENTRAL_FILE, load_hardening_db
from secguide.model.items import ThreatModel
from secguide.model.product_waivers import ProductWaiver
from secguide.model.releases import parse_release
from secguide.trace.audit import (
    AuditRule,
    AuditSummary,
    BuildAudit,
    audit_config,
    guide_rules,
    upstream_rules,
)
from secguide.trace.release_fit import release_note
from secguide.zephyr.boards import same_target
from secguide.zephyr.build_dirs import (
    build_describe,
    build_version,
    find_build_configs,
    sysbuild_images,
)
from secguide.zephyr.dotconfig import DotConfig, read_dotconfig
from secguide.zephyr.kconfig.symbols import SymbolDB

#: The profile a build is judged against unless the user names another: the strictest,
#: as Zephyr's own ``hardenconfig`` does. ``audit`` and ``evidence`` share it.
DEFAULT_PROFILE = "strict"
#: Rule sources: the guide's recommendations, or Zephyr's hardening database.
RULE_SOURCES = ("guide", "upstream")
BUILD_KINDS = ("production", "debug")

SYSBUILD_ONLY = ("sysbuild top-level configuration (SB_CONFIG_*): it sets no application "
                 "options, and no image build (build/<image>/zephyr/.config) is beside it")


def profile_for(model: ThreatModel, asked: str | None) -> str:
    """The profile to judge by: the one asked for, else a product model's, else the default."""
    if asked:
        return asked
    return model.product.profile if model.product is not None else DEFAULT_PROFILE


class RuleSourceError(SecguideError):
    """The rules cannot be had (unknown profile, broken hardening database); the
    database's own findings are in ``diagnostics``, for the face to print."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message, exit_code=2)
        self.diagnostics = tuple(diagnostics)


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleChoice:
    """Which rules judge a build: the source, the profile, and for upstream rules the
    hardening database (``hardening`` root, default the tree's; ``extra`` files)."""

    profile: str = DEFAULT_PROFILE
    source: str = "guide"
    hardening: Path | None = None
    extra: tuple[Path, ...] = ()


def choose_rules(choice: RuleChoice, model: ThreatModel, tree_root: Path
                 ) -> tuple[AuditRule, ...]:
    """The rules ``choice`` names.

    Raises:
        RuleSourceError: the profile is unknown, or the hardening database is missing
            or has errors (exit 2).
    """
    if choice.source == "guide":
        if model.profile(choice.profile) is None:
            names = ", ".join(p.name for p in model.profiles)
            raise RuleSourceError(f"--profile {choice.profile}: the threat model has no such "
                                  f"profile (profiles: {names})")
        return guide_rules(model, choice.profile)
    root = choice.hardening or tree_root
    if choice.hardening is None and not (root / CENTRAL_FILE).is_file():
        raise RuleSourceError(f"{root} has no {CENTRAL_FILE}: give the database with "
                              "--hardening DIR")
    db = load_hardening_db(root, extra=list(choice.extra))
    if db.errors:
        raise RuleSourceError(f"{root}: {len(db.errors)} error(s) in the hardening database",
                              db.errors)
    if db.profile(choice.profile) is None:
        names = ", ".join(p.name for p in db.profiles)
        raise RuleSourceError(f"--profile {choice.profile}: the hardening database has no "
                              f"such profile (profiles: {names})")
    return upstream_rules(db, choice.profile)


@dataclass(frozen=True, slots=True)
class StatedRelease:
    """The Zephyr release a build is judged as, and where that came from."""

    version: str | None
    source: str  # "--zephyr-version", "version.h", or "" when unknown


class VerdictEngine:
    """Judges builds against one set of rules; see the module's description.

    Args:
        model: the threat model (its recorded renames judge builds of older releases).
        db: the tree's symbol database.
        rules: from :func:`choose_rules`; ``rules_from`` says which source.
        waivers: the product's waivers; ``today`` the day their expiry is judged on.
        build_kind: ``production`` or ``debug``.
        zephyr_version: the release the user states for the builds (wins over version.h).
        release_trees: other trees (besides ``db``'s) a build of unknown release is compared
            with (:mod:`secguide.trace.release_fit`).
    """

    def __init__(self, model: ThreatModel, db: SymbolDB, *, rules: tuple[AuditRule, ...],
                 rules_from: str = "guide", profile: str = DEFAULT_PROFILE,
                 waivers: Sequence[ProductWaiver] = (), today: datetime.date | None = None,
                 build_kind: str = "production", zephyr_version: str | None = None,
                 release_trees: Sequence[SymbolDB] = ()) -> None:
        if zephyr_version is not None and parse_release(zephyr_version) is None:
            raise SecguideError(f"--zephyr-version {zephyr_version}: not a Zephyr release "
                                "(e.g. 4.2.0, 4.2.99, v4.2.0-2572-g04dfa77d372d)")
        if build_kind not in BUILD_KINDS:
            raise SecguideError(f"build kind {build_kind!r}: expected one of "
                                f"{', '.join(BUILD_KINDS)}")
        self.model, self.db, self.rules, self.rules_from = model, db, rules, rules_from
        # a product model's own waivers of guide recommendations, then those given
        product = model.product.product_waivers if model.product is not None else ()
        self.profile, self.waivers, self.today = profile, (*product, *waivers), today
        self.build_kind, self.zephyr_version = build_kind, zephyr_version
        self.release_trees = tuple(release_trees)
        self.renames: Mapping[str, tuple[str, ...]] = model.recorded_renames()

    def release(self, config_path: Path | None) -> StatedRelease:
        """The release a build is judged as: the stated one, else its build folder's
        ``version.h`` (its git describe when there is one: it tells a development build)."""
        if self.zephyr_version:
            return StatedRelease(self.zephyr_version, "--zephyr-version")
        found = None
        if config_path is not None:
            found = build_describe(config_path) or build_version(config_path)
            if parse_release(found) is None:
                found = build_version(config_path)
        return StatedRelease(found, "version.h" if found else "")

    def judge(self, config: DotConfig, *, config_path: Path | None = None,
              notes: Sequence[str] = ()) -> BuildAudit:
        """Every rule's verdict on one parsed ``.config``; a build of unknown release gets a
        note on which of the trees at hand its symbols fit."""
        release = self.release(config_path)
        stated = parse_release(release.version)
        if stated is not None:
            notes = (*notes, f"release {release.version} (from {release.source}): "
                             f"{stated.describe()}")
        elif not config.is_sysbuild:
            notes = (*notes, release_note(config, (self.db, *self.release_trees)))
        return audit_config(config, self.rules, self.db, profile=self.profile,
                            rules_from=self.rules_from, renames=self.renames,
                            waivers=self.waivers, today=self.today,
                            build_kind=self.build_kind, notes=notes,
                            markers=self.rules_from == "upstream",
                            build_version=release.version)

    def judge_paths(self, targets: Sequence[Path], *, board_target: str | None = None
                    ) -> AuditSummary:
        """Every ``.config`` the targets stand for; sysbuild top levels are noted, not judged.

        ``board_target`` keeps only builds for that target (or board) and names the
        board of builds whose ``.config`` does not say.
        """
        audits: list[BuildAudit] = []
        refused: list[tuple[str, str]] = []
        skipped: list[tuple[str, str]] = []
        for target in targets:
            inputs = find_build_configs(target)
            images = {image for top in inputs.sysbuild_top_levels
                      for image in sysbuild_images(top)}
            for top in inputs.sysbuild_top_levels:
                if not sysbuild_images(top):
                    skipped.append((display_path(top), SYSBUILD_ONLY))
            for path in inputs.configs:
                try:
                    config = read_dotconfig(path)
                except SecguideError as error:
                    shown = display_path(path)
                    # The reader's message starts with the path; the reports name it already.
                    refused.append((shown, str(error).removeprefix(f"{shown}: ")))
                    continue
                known = config.board_target or config.board
                # An old build's CONFIG_BOARD (thingy53_nrf5340_cpuapp) names its target too.
                if board_target and known and not any(
                        same_target(board_target, name)
                        for name in (config.board_target, config.board) if name):
                    continue
                notes = []
                if board_target and not known:
                    notes.append(f"board target {board_target} given on the command line")
                if path in images:
                    notes.append("image of a sysbuild build")
                audits.append(self.judge(config, config_path=path, notes=notes))
        return AuditSummary(tuple(audits), tuple(refused), tuple(skipped))


@dataclass(frozen=True, slots=True)
class EngineRequest:
    """What a face asks for, as parsed from its arguments (one place for the defaults)."""

    choice: RuleChoice = field(default_factory=RuleChoice)
    waivers: tuple[ProductWaiver, ...] = ()
    today: datetime.date | None = None
    build_kind: str = "production"
    zephyr_version: str | None = None
    release_trees: tuple[SymbolDB, ...] = ()

    def engine(self, model: ThreatModel, db: SymbolDB, tree_root: Path) -> VerdictEngine:
        """The engine for this request (see :func:`choose_rules` for what can fail)."""
        return VerdictEngine(model, db, rules=choose_rules(self.choice, model, tree_root),
                             rules_from=self.choice.source, profile=self.choice.profile,
                             waivers=self.waivers, today=self.today,
                             build_kind=self.build_kind, zephyr_version=self.zephyr_version,
                             release_trees=self.release_trees)
