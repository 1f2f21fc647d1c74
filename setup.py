"""Build hook: the wheel carries the guide's threat model and pages as package data.

The repository keeps ``threatmodel/`` and ``source/`` at the top level (the guide's
layout); a built package copies both to ``secguide/guide/`` so that ``secguide``
installed anywhere can check products against the guide it was released with
(``secguide.model.guide_package`` finds them). Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: top-level folders of the guide copied into the package, under secguide/guide/
GUIDE_FOLDERS = ("threatmodel", "source")


class BuildWithGuide(build_py):
    """``build_py`` plus the guide's folders; an editable install reads them in place."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "secguide" / "guide"
        for name in GUIDE_FOLDERS:
            if (target / name).exists():
                shutil.rmtree(target / name)
            shutil.copytree(HERE / name, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", "_build"))


setup(cmdclass={"build_py": BuildWithGuide})
