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

from secguide import __version__
from secguide.diagnostics import SecguideError

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "secguide.cli.kconfig",
    "secguide.cli.check",
    "secguide.cli.review",
    "secguide.cli.drift",
    "secguide.cli.coverage",
    "secguide.cli.export",
    "secguide.cli.evidence",
    "secguide.cli.board",
    "secguide.cli.audit",
    "secguide.cli.hardening",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's default exits 2 as well
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")



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
