"""``secguide init DIR``: a product's folder from templates, on top of the installed guide.

Writes ``threatmodel/extends.yaml`` (extends the guide installed with secguide) and a
starting ``threatmodel/threats.yaml``, and a product guide: ``conf.py``, ``index.rst``,
``kconfig.rst`` and a ``Makefile`` whose ``make html`` builds it with secguide's Sphinx
extension. Existing files are never overwritten.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from secguide.diagnostics import SecguideError, display_path
from secguide.files import write_atomically
from secguide.model.guide_package import installed_guide
from secguide.model.loader import load_threat_model
from secguide.model.model_files import DECLARATION
from secguide.templates import render

#: a product name goes into YAML, Python, reStructuredText and a Makefile: plain words only
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .,()_+-]{0,79}$")

#: file written -> its template
FILES = {
    f"threatmodel/{DECLARATION}": "product_extends.yaml.j2",
    "threatmodel/threats.yaml": "product_threats.yaml.j2",
    "conf.py": "product_conf.py.j2",
    "index.rst": "product_index.rst.j2",
    "kconfig.rst": "product_kconfig.rst.j2",
    "Makefile": "product_Makefile.j2",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    init = subparsers.add_parser(
        "init", help="write a product's threat model and guide that extend the guide",
        description="Write DIR/threatmodel/ (a product model extending the guide installed "
                    "with secguide) and a product guide (conf.py, index.rst, kconfig.rst, "
                    "Makefile: make html). Existing files are left alone: the command stops.")
    init.add_argument("directory", metavar="DIR", type=Path, help="the product's folder")
    init.add_argument("--name", required=True,
                      help="the product's name (letters, digits, spaces, . , ( ) _ + -)")
    init.add_argument("--profile", default="base",
                      help="the guide profile the product takes (default: base)")
    init.set_defaults(handler=_init)


def _init(args: argparse.Namespace) -> int:
    if not _NAME.match(args.name):
        raise SecguideError(f"--name {args.name!r}: use letters, digits, spaces and . , ( ) "
                            "_ + - (at most 80 characters)")
    guide = installed_guide()
    if guide is None:
        raise SecguideError("this secguide installation carries no guide to extend")
    model, _ = load_threat_model(guide.threatmodel)
    if args.profile not in {p.name for p in model.profiles}:
        raise SecguideError(f"--profile {args.profile}: not a profile of the guide; known: "
                            f"{', '.join(p.name for p in model.profiles)}")
    existing = [name for name in FILES if (args.directory / name).exists()]
    if existing:
        raise SecguideError(f"{display_path(args.directory / existing[0])}: exists; secguide "
                            "init writes a new product folder and overwrites nothing")
    title = f"{args.name} security guide"
    context = {"product": args.name, "title": title, "profile": args.profile,
               "guide_version": guide.version, "standards": model.standards}
    for name, template in FILES.items():
        write_atomically(args.directory / name, render(template, **context))
    print(f"{display_path(args.directory)}: {', '.join(FILES)} written; the model extends "
          f"the guide of {guide.version}", file=sys.stderr)
    return 0
