"""Who may sign: each review stamp against the git history of its lines.

A stamp is a few lines of YAML anyone can type. What vouches for it is the commit
that wrote those lines: ``git blame`` names, for each line of the stamp, the
commit that last changed it, and the stamp counts as the Working Group's when
every such commit was authored or committed by a listed reviewer
(``reviewers:`` in the model, matched by e-mail address), or carries a
``Signed-off-by:`` trailer of one. Otherwise it is ``unauthorised-stamp``, an
error: the item claims a review nobody entitled to give it gave.

What git records is what this proves, no more: author, committer and trailers
are what the commit says (signatures are not checked). Where the history
cannot answer (no git, the model outside a repository, a shallow clone whose
oldest commit would take the blame for every line, lines not committed yet) the
stamp is reported as ``stamp-not-verified``, a note, and never as verified.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, Severity, SourceLoc, resolved
from secguide.model.git import GitUnavailable, LineCommit, Repository, blame
from secguide.model.items import Reviewer, ThreatModel


class StampOrigin(enum.StrEnum):
    AUTHORISED = "authorised"
    UNAUTHORISED = "unauthorised"
    #: the history cannot tell (outside git, shallow clone, uncommitted)
    NOT_VERIFIED = "not-verified"


@dataclass(frozen=True, slots=True)
class StampAuthor:
    """Who committed one item's stamp and whether that makes it the Working Group's."""

    item_id: str
    by: str  # the name the stamp gives
    origin: StampOrigin
    #: the commits' authors, e.g. "Jane Doe <jane@example.org> in 1a2b3c4d5e6f"
    committed_by: str
    reason: str
    loc: SourceLoc


@dataclass(frozen=True, slots=True)
class StampHistory:
    """Where a model's stamps' history is read.

    Attributes:
        repository: the git repository, None when there is none (``why_not`` says why).
        commit: the revision the model was read from; None for the work tree.
        local_root: the folder on disk that stands for the repository's root (the work
            tree itself, or where a revision was extracted).
        display_base: what locations are relative to (the working directory if None).
    """

    repository: Repository | None
    commit: str | None
    local_root: Path | None
    display_base: Path | None = None
    why_not: str = ""

    @classmethod
    def of_folder(cls, threatmodel_dir: Path, display_base: Path | None = None
                  ) -> StampHistory:
        """The history of a model on disk: its repository's work tree, if it is in one."""
        try:
            repository = Repository.of(threatmodel_dir)
            if repository.is_shallow():
                return cls(None, None, None, display_base,
                           "the repository is a shallow clone (fetch its whole history)")
        except GitUnavailable as error:
            return cls(None, None, None, display_base, f"not in a git repository ({error})")
        return cls(repository, None, repository.root, display_base)

    @classmethod
    def of_revision(cls, repository: Repository, commit: str, local_root: Path,
                    display_base: Path | None = None) -> StampHistory:
        """The history of a revision extracted below ``local_root``."""
        try:
            if repository.is_shallow():
                return cls(None, None, None, display_base,
                           "the repository is a shallow clone (fetch its whole history)")
        except GitUnavailable as error:
            return cls(None, None, None, display_base, f"git: {error}")
        return cls(repository, commit, local_root, display_base)

    def repo_path(self, shown: str) -> str | None:
        """The repository path of a file shown as ``shown`` in locations."""
        if self.local_root is None:
            return None
        path = Path(shown)
        if not path.is_absolute():
            path = (self.display_base or Path.cwd()) / path
        try:
            return resolved(path).relative_to(resolved(self.local_root)).as_posix()
        except ValueError:
            return None


def _authorised(commit: LineCommit, emails: Mapping[str, str]) -> str | None:
    """The listed reviewer the commit counts for, if any (author, committer, sign-off)."""
    for email in (commit.author_email, commit.committer_email,
                  *(address for _, address in commit.signed_off_by)):
        if email in emails:
            return emails[email]
    return None


def stamp_authors(model: ThreatModel, history: StampHistory) -> dict[str, StampAuthor]:
    """Item ID -> who committed its stamp, for every stamped item of ``model``."""
    stamped = [item for item in model.reviewable() if item.review is not None]
    if not stamped:
        return {}
    found: dict[str, StampAuthor] = {}
    lines_by_file: dict[str, list[tuple[int, int]]] = {}
    for item in stamped:
        assert item.review is not None
        path = history.repo_path(item.review.loc.path)
        if path is not None:
            lines_by_file.setdefault(path, []).extend(
                (line, line) for line in item.review.lines or (item.review.loc.line,))
    blamed: dict[str, dict[int, LineCommit]] = {}
    failures: dict[str, str] = {}
    if history.repository is not None:
        for path, ranges in lines_by_file.items():
            try:
                blamed[path] = blame(history.repository, path, sorted(set(ranges)),
                                     history.commit)
            except GitUnavailable as error:
                failures[path] = str(error)
    emails = {email: reviewer.name for reviewer in model.reviewers or ()
              for email in reviewer.emails}
    for item in stamped:
        stamp = item.review
        assert stamp is not None
        path = history.repo_path(stamp.loc.path)
        if history.repository is None or path is None:
            origin, reason, who = (StampOrigin.NOT_VERIFIED,
                                   history.why_not or "the file is not in the repository", "")
        elif path in failures:
            origin, reason, who = StampOrigin.NOT_VERIFIED, f"git blame: {failures[path]}", ""
        else:
            commits = [blamed[path][line] for line in stamp.lines or (stamp.loc.line,)
                       if line in blamed[path]]
            origin, reason, who = _judge(commits, emails, model.reviewers)
        found[item.id] = StampAuthor(item.id, stamp.by, origin, who, reason, stamp.loc)
    return found


def _judge(commits: list[LineCommit], emails: Mapping[str, str],
           reviewers: tuple[Reviewer, ...] | None) -> tuple[StampOrigin, str, str]:
    """(origin, why, who committed) for the commits that wrote one stamp's lines."""
    if not commits or any(commit.uncommitted for commit in commits):
        return StampOrigin.NOT_VERIFIED, "the stamp is not committed yet", ""
    unique = list({commit.sha: commit for commit in commits}.values())
    who = "; ".join(f"{commit.author} in {commit.sha[:12]}" for commit in unique)
    if reviewers is None:
        return (StampOrigin.UNAUTHORISED, "the model lists no reviewers (reviewers: in "
                "threatmodel/reviewers.yaml), so nobody may stamp", who)
    unlisted = [commit for commit in unique if _authorised(commit, emails) is None]
    if unlisted:
        first = unlisted[0]
        return (StampOrigin.UNAUTHORISED,
                f"commit {first.sha[:12]} by {first.author} (committer {first.committer}) "
                "is by no listed reviewer and no listed reviewer signed it off", who)
    names = sorted({_authorised(commit, emails) or "" for commit in unique})
    return StampOrigin.AUTHORISED, f"committed by {', '.join(names)}", who


def stamp_diagnostics(authors: Iterable[StampAuthor]) -> list[Diagnostic]:
    """``unauthorised-stamp`` errors and ``stamp-not-verified`` notes, at the stamps."""
    found = []
    for author in authors:
        if author.origin is StampOrigin.UNAUTHORISED:
            found.append(Diagnostic(author.loc, Severity.ERROR, Code.UNAUTHORISED_STAMP,
                                    f"the review stamp of {author.item_id} (by {author.by}) "
                                    f"is not the Working Group's: {author.reason}"))
        elif author.origin is StampOrigin.NOT_VERIFIED:
            found.append(Diagnostic(author.loc, Severity.NOTE, Code.STAMP_NOT_VERIFIED,
                                    f"cannot verify who committed the review stamp of "
                                    f"{author.item_id} (by {author.by}): {author.reason}"))
    return found
