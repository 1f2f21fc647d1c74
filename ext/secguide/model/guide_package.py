"""Which guide a command uses: the threat model of this repository or the packaged copy.

A built package carries the guide's ``threatmodel/`` and ``source/`` pages under
``secguide/guide/`` (``setup.py`` copies them at build time), so that ``secguide``
installed into any virtual environment checks products against the guide it was
released with. In a source checkout (an editable install) the repository's own
folders are that guide. A command run where ``./threatmodel`` exists uses that one:
inside this repository the working copy always wins.

The guide's version is the package version and a digest of its model files, so two
installations of one version with different model files are told apart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from secguide import __version__
from secguide.diagnostics import resolved

#: the folder of the threat model, in the repository and in the package
THREATMODEL = "threatmodel"
#: the guide's pages (read for ``recommendation-not-shown`` and by product guides)
PAGES = "source"
#: where a built package keeps both, relative to the ``secguide`` package
PACKAGED_FOLDER = "guide"

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Guide:
    """One copy of the guide: a folder holding ``threatmodel/`` and ``source/``."""

    root: Path
    #: True: the copy installed with secguide; False: a source checkout's own folders
    packaged: bool

    @property
    def threatmodel(self) -> Path:
        return self.root / THREATMODEL

    @property
    def pages(self) -> Path | None:
        pages = self.root / PAGES
        return pages if pages.is_dir() else None

    @cached_property
    def digest(self) -> str:
        """sha256 over the model's YAML files (relative path and content, in order)."""
        return model_digest(self.threatmodel)

    @property
    def version(self) -> str:
        """``secguide 0.1.0, model sha256:0123456789ab``: which guide this is."""
        return f"secguide {__version__}, model sha256:{self.digest[:12]}"


def model_digest(threatmodel_dir: Path) -> str:
    """sha256 of a model folder's YAML files: each relative path, then its bytes' sha256."""
    from secguide.model.loader import threatmodel_files  # the loader pulls in jsonschema

    digest = hashlib.sha256()
    for path in threatmodel_files(threatmodel_dir):
        relative = path.relative_to(threatmodel_dir).as_posix()
        digest.update(relative.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return digest.hexdigest()


def installed_guide() -> Guide | None:
    """The guide that came with secguide: the packaged copy, else the source checkout's
    folders (``ext/secguide`` two levels below them); None when neither exists."""
    packaged = _PACKAGE_DIR / PACKAGED_FOLDER
    if (packaged / THREATMODEL).is_dir():
        return Guide(packaged, packaged=True)
    checkout = _PACKAGE_DIR.parent.parent
    if (checkout / THREATMODEL).is_dir() and (checkout / "ext" / "secguide").is_dir():
        return Guide(checkout, packaged=False)
    return None


def default_threatmodel(cwd: Path | None = None) -> tuple[Path, Guide | None]:
    """The model a command reads without ``--threatmodel``.

    ``./threatmodel`` when it exists (then the second value is None), else the installed
    guide's. With neither, ``./threatmodel`` is returned so the usual "cannot read
    threat-model folder" error names it.
    """
    local = (cwd or Path()) / THREATMODEL
    if local.is_dir():
        return Path(THREATMODEL), None
    guide = installed_guide()
    if guide is None:
        return Path(THREATMODEL), None
    return guide.threatmodel, guide


def guide_of(threatmodel_dir: Path) -> Guide | None:
    """The installed guide when ``threatmodel_dir`` is its model folder, else None."""
    guide = installed_guide()
    if guide is None:
        return None
    return guide if resolved(guide.threatmodel) == resolved(Path(threatmodel_dir)) else None
