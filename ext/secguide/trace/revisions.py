"""The two sides ``secguide diff`` compares: a git revision of the model, or a folder.

A revision is never checked out over the user's files: ``git archive`` writes the
threat model, the guide's pages (``source/``, ``conf.py``) and the tests (for
``pytest:`` verifications) as they are in that commit into a temporary folder the
caller owns. The working tree is used in place. A folder given by path is used as
it is, with the guide's pages beside it when there are any.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from secguide.diagnostics import SecguideError, resolved
from secguide.model.git import GitUnavailable, Repository
from secguide.trace.stamp_authors import StampHistory

#: Besides the model, what a revision brings along (each only when the commit has it):
#: the guide's pages (which recommendations they show is checked), and the tests
#: ``pytest:`` verifications name.
_COMPANIONS = ("source", "conf.py", "tests")


@dataclass(frozen=True, slots=True)
class ModelSide:
    """One side of a comparison.

    Attributes:
        label: how reports name it ("main", "working tree", a folder).
        threatmodel_dir: the folder of ``*.yaml`` files to load.
        project_root: the folder holding it; locations are shown relative to it, so both
            sides read ``threatmodel/x.yaml``.
        commit: the commit's full SHA for a revision, None otherwise.
        repository: the git repository the side comes from (a revision or the working
            tree), None for a folder outside git.
        local_root: the folder that stands for the repository's root (where a revision
            was extracted, or the work tree).
    """

    label: str
    threatmodel_dir: Path
    project_root: Path
    commit: str | None = None
    repository: Repository | None = None
    local_root: Path | None = None

    def stamp_history(self) -> StampHistory:
        """Where the git history of this side's review stamps is read."""
        if self.repository is not None and self.commit is not None \
                and self.local_root is not None:
            return StampHistory.of_revision(self.repository, self.commit, self.local_root,
                                            self.project_root)
        return StampHistory.of_folder(self.threatmodel_dir, self.project_root)

    @property
    def model_prefix(self) -> str:
        """The model folder's path inside the repository ("" outside git)."""
        return self.repository.prefix if self.repository is not None else ""


def working_tree(threatmodel_dir: Path) -> ModelSide:
    """The model as it is on disk, with its repository when it is in one."""
    try:
        repository: Repository | None = Repository.of(threatmodel_dir)
    except GitUnavailable:
        repository = None
    return ModelSide("working tree", threatmodel_dir, resolved(threatmodel_dir).parent,
                     repository=repository,
                     local_root=repository.root if repository is not None else None)


def open_side(spec: str, threatmodel_dir: Path, scratch: Path) -> ModelSide:
    """``spec`` as a side: a folder of YAML files, else a revision of the repository that
    holds ``threatmodel_dir``, extracted below ``scratch``.

    Raises:
        SecguideError: neither a folder nor a revision of that repository, or the revision
            has no threat model (exit code 2).
    """
    folder = Path(spec)
    if folder.is_dir():
        return ModelSide(spec, folder, resolved(folder).parent)
    try:
        repository = Repository.of(threatmodel_dir)
    except GitUnavailable as error:
        raise SecguideError(f"{spec}: not a folder, and {threatmodel_dir} is not in a git "
                            f"repository to read a revision from ({error})",
                            exit_code=2) from None
    try:
        commit = repository.commit(spec)
    except GitUnavailable as error:
        raise SecguideError(f"{error} (and not a folder)", exit_code=2) from None
    model = repository.prefix or "."
    parent = PurePosixPath(model).parent.as_posix()
    companions = [name if parent == "." else f"{parent}/{name}" for name in _COMPANIONS]
    try:
        present = repository.existing_paths(commit, [model, *companions])
        if model != "." and model not in present:
            raise SecguideError(f"{spec}: revision {commit[:12]} has no {model}/",
                                exit_code=2)
        source, conf = companions[0], companions[1]
        if source not in present and conf in present:
            # the guide's pages sit beside conf.py (no source/): bring that whole folder
            present = [parent]
        target = scratch / commit[:12]
        repository.extract(commit, present or [model], target)
    except GitUnavailable as error:
        raise SecguideError(f"{spec}: cannot read revision {commit[:12]}: {error}",
                            exit_code=2) from None
    model_dir = target / model if model != "." else target
    return ModelSide(spec, model_dir, resolved(model_dir).parent, commit=commit,
                     repository=repository, local_root=resolved(target))
