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
from typing import Any, TextIO

from secguide import __version__
from secguide.cli.common import resolve_default_threatmodel
from secguide.diagnostics import SecguideError
from secguide.untrusted import inert

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "secguide.cli.kconfig",
    "secguide.cli.check",
    "secguide.cli.review",
    "secguide.cli.diff",
    "secguide.cli.drift",
    "secguide.cli.coverage",
    "secguide.cli.export",
    "secguide.cli.evidence",
    "secguide.cli.product",
    "secguide.cli.board",
    "secguide.cli.audit",
    "secguide.cli.hardening",
    "secguide.cli.init",
)
#: Command name -> the module that registers it, so that one command imports only
#: its own module (and what that needs) instead of every command's dependencies.
COMMANDS = {module.rsplit(".", 1)[1]: module for module in COMMAND_MODULES} | {
    "boards": "secguide.cli.board"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's default exits 2 as well
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")



def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of the command ``argv`` names.

    ``--help``, a usage error before the command, or an unknown command name need
    the full list, so they get every command.
    """
    parser = _Parser(prog="secguide",
                     description="Check and publish the Zephyr Security Guide threat model.")
    parser.add_argument("--version", action="version", version=f"secguide {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND",
                                       parser_class=_Parser)
    subparsers.required = True
    named = next((arg for arg in argv or () if not arg.startswith("-")), None)
    modules = [COMMANDS[named]] if named in COMMANDS else COMMAND_MODULES
    for module_name in modules:
        importlib.import_module(module_name).register(subparsers)
    return parser


class _InertStream:
    """A text stream that writes control characters as visible escapes.

    Whatever a command prints (a report, a title, a value from a ``.config``, an error)
    may carry text from untrusted files; an ESC sequence or a bidi override in it must
    not reach the terminal raw (:func:`secguide.untrusted.inert`).
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(inert(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _InertStream(sys.stdout), _InertStream(sys.stderr)
    try:
        return _run(argv)
    finally:
        sys.stdout, sys.stderr = saved


def _run(argv: list[str]) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    resolve_default_threatmodel(args)
    try:
        return int(args.handler(args))
    except SecguideError as error:
        print(f"secguide: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
