"""``secguide check``: the threat model against itself and against a Zephyr tree.

The findings are :attr:`secguide.trace.project.Project.diagnostics`, the same list
the guide build turns into warnings.
"""

from __future__ import annotations

import argparse
import json

from secguide.cli.common import (
    add_format_option,
    add_threatmodel_option,
    add_tree_options,
    project_from_args,
)
from secguide.codes import format_catalogue
from secguide.diagnostics import Severity, display_path
from secguide.templates import render


def register(subparsers: argparse._SubParsersAction) -> None:
    check = subparsers.add_parser(
        "check", help="validate the threat model and its Kconfig settings",
        description="Load threatmodel/*.yaml, check schema, IDs and references, and check "
                    "every recommended Kconfig setting against the Zephyr tree.")
    add_threatmodel_option(check)
    add_tree_options(check)
    add_format_option(check)
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument("--list-codes", action="store_true",
                       help="list every diagnostic code with a one-line description and exit")
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> int:
    if args.list_codes:
        print(format_catalogue())
        return 0
    project = project_from_args(args, results=[])
    diagnostics = project.diagnostics
    version = project.db.zephyr_version
    errors = len(project.findings(Severity.ERROR))
    warnings = len(project.findings(Severity.WARNING))
    # kconfiglib's own warnings are about the tree, not the model: counted, listed elsewhere
    kconfig_warnings = len(project.db.warnings)
    if args.format == "json":
        product = project.model.product
        origins = ({"product": {"name": product.name, "guide": product.guide_version,
                                "profile": product.profile,
                                "origins": dict(sorted((k, str(v))
                                                       for k, v in product.origins.items()))}}
                   if product is not None else {})
        print(json.dumps({**origins,
                          "zephyr_version": version, "errors": errors, "warnings": warnings,
                          "kconfig_warnings": kconfig_warnings,
                          "diagnostics": [d.as_dict() for d in diagnostics]}, indent=2))
    else:
        shown = display_path(args.threatmodel, project.display_base)
        print(render("check.txt.j2", diagnostics=diagnostics, threatmodel=shown,
                     product=project.model.product,
                     errors=errors, warnings=warnings, zephyr_version=version,
                     kconfig_warnings=kconfig_warnings), end="")
    return 1 if project.fails(strict=args.strict) else 0
