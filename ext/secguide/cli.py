"""The ``secguide`` command line: one subcommand module per concern.

Every subcommand module exposes ``register(subparsers)``, which adds its parser
and sets ``handler`` (a function taking the parsed arguments, returning an exit
code). Exit codes: 0 clean, 1 findings in the input, 2 usage problems. User
errors are printed as one line; a traceback means a bug in secguide.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from secguide import __version__
from secguide.diagnostics import SecguideError, Severity
from secguide.loader import load_threat_model
from secguide.model import ThreatModel

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "secguide.cli_kconfig",
    "secguide.cli_check",
    "secguide.cli_review",
    "secguide.cli_drift",
    "secguide.cli_coverage",
    "secguide.cli_export",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's default exits 2 as well
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_tree_options(parser: argparse.ArgumentParser) -> None:
    """``--zephyr-base`` and cache options, shared by every command that reads a tree."""
    parser.add_argument("--zephyr-base", metavar="PATH",
                        help="Zephyr tree to read (default: $ZEPHYR_BASE)")
    parser.add_argument("--cache-dir", metavar="DIR", type=Path,
                        help="where parsed Kconfig databases are kept "
                             "(default: $SECGUIDE_CACHE_DIR or ~/.cache/secguide)")
    parser.add_argument("--no-cache", action="store_true",
                        help="parse the Kconfig tree even if a cached copy is valid")


def add_threatmodel_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threatmodel", metavar="DIR", type=Path, default=Path("threatmodel"),
                        help="threat-model folder (default: ./threatmodel)")


def load_model_or_fail(directory: Path) -> ThreatModel:
    """The model, or the loader's errors printed and a SecguideError (exit 1).

    For commands that need a sound model to work on (coverage, export, review,
    drift); ``secguide check`` reports instead of failing.

    Raises:
        SecguideError: the folder is missing or the model has errors.
    """
    model, diagnostics = load_threat_model(directory)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        for diagnostic in errors:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{directory}: {len(errors)} error(s) in the threat model; "
                            "fix them first (see 'secguide check')", exit_code=1)
    return model


def add_format_option(parser: argparse.ArgumentParser, *choices: str) -> None:
    choices = choices or ("text", "json")
    parser.add_argument("--format", choices=choices, default=choices[0],
                        help=f"output format (default: {choices[0]})")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="secguide",
                     description="Check and publish the Zephyr Security Guide threat model.")
    parser.add_argument("--version", action="version", version=f"secguide {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND",
                                       parser_class=_Parser)
    subparsers.required = True
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except SecguideError as error:
        print(f"secguide: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
