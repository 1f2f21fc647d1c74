"""What a product declaration and a build say about each other, before any verdict.

A declaration claims a board target and a Zephyr release; the build's ``.config``
and ``version.h`` state them too. A claim the build contradicts is an error at
the declaration's line: evidence for one build must not carry another build's
declaration.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.model.items import ThreatModel
from secguide.model.product import ProductDeclaration
from secguide.model.releases import parse_release
from secguide.trace.build_verdicts import BuildVerdicts, platform_matches
from secguide.zephyr.build_dirs import build_version


@dataclass(frozen=True, slots=True)
class BuildRelease:
    """The release results are compared with, and where it was read."""

    text: str | None  # None: not known
    source: str  # "--zephyr-version", "the product declaration", "version.h", "unknown"
    #: what the build folder's version.h says (None: no version.h beside the .config)
    version_h: str | None = None

    def words(self) -> str:
        stated = parse_release(self.text)
        if stated is None:
            return ("not known (no version.h beside the .config, no --zephyr-version, "
                    "no declaration)")
        return f"{self.text}: {stated.describe()} (from {self.source})"


def build_release(option: str | None, declaration: ProductDeclaration | None,
                  config_path: Path) -> BuildRelease:
    """The most precise statement of the build's release: the command line, then the
    declaration (a git-describe string names the commit), then ``version.h``."""
    version_h = build_version(config_path)
    if option:
        return BuildRelease(option, "--zephyr-version", version_h)
    if declaration is not None:
        return BuildRelease(declaration.zephyr_release, "the product declaration", version_h)
    if version_h:
        return BuildRelease(version_h, "version.h", version_h)
    return BuildRelease(None, "unknown", None)


def _compatible(declared: str, found: str) -> bool:
    """Whether a declared release can be the one ``version.h`` gives (numbers only there:
    a development build after 4.2.0 has ``4.2.99``)."""
    one, other = parse_release(declared), parse_release(found)
    if one is None or other is None:
        return False
    if one.numbers == other.numbers:
        return True
    return (one.development and other.development
            and one.numbers[:2] == other.numbers[:2])


def declaration_mismatches(declaration: ProductDeclaration, *, board: str | None,
                           board_target: str | None, version_h: str | None,
                           config_shown: str) -> list[Diagnostic]:
    """Each claim of the declaration that the build contradicts, at its line."""
    found = []

    def mismatch(key: str, message: str) -> None:
        loc = declaration.locs.get(key, SourceLoc(declaration.path))
        found.append(Diagnostic(loc, Severity.ERROR, Code.PRODUCT_MISMATCH, message))

    claimed = declaration.board_target
    # a .config without CONFIG_BOARD_TARGET (before Zephyr 3.7) names only the board
    same = claimed == board_target if board_target else platform_matches(claimed, board, None)
    if (board_target or board) and not same:
        mismatch("board_target", f"declares board target {claimed}, but {config_shown} is "
                 f"built for {board_target or board}")
    if version_h and not _compatible(declaration.zephyr_release, version_h):
        mismatch("zephyr_release", f"declares Zephyr {declaration.zephyr_release}, but the "
                 f"build's version.h says {version_h}")
    return found


@dataclass(frozen=True, slots=True)
class OpenItem:
    """A product item a starting declaration lists: its ID and a one-line title."""

    id: str
    title: str


def _one_line(text: str, limit: int = 100) -> str:
    """Model text made safe for a YAML comment: one line, bounded."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 3] + "..."


def open_items_for_declaration(model: ThreatModel, verdicts: BuildVerdicts
                               ) -> tuple[list[OpenItem], list[OpenItem]]:
    """The responsibilities and manual checks open on a build, for ``product init``."""
    titles = {r.id: r.title for r in model.responsibilities}
    checks = {v.id: v.ref for r in model.recommendations for v in r.verifications
              if v.kind == "manual-check"}
    opened = verdicts.open_items()
    return ([OpenItem(i, _one_line(titles.get(i, ""))) for i in opened if i in titles],
            [OpenItem(i, _one_line(checks[i].split(". ")[0])) for i in opened if i in checks])
