"""``west secguide COMMAND ...``: the secguide command line inside a west workspace.

west has already set ``ZEPHYR_BASE`` for its commands (``-z``, the environment, the
``zephyr.base`` option or the manifest's ``zephyr`` project, in west's own order), so
the workspace's Zephyr tree is secguide's default tree as it is ``west build``'s.
``audit`` and ``evidence`` given no build take the build folder as ``west build``
names it: ``-d/--build-dir``, else the ``build.dir-fmt`` option without placeholders,
else ``build``. Everything after the command is secguide's own arguments.

secguide is imported from this module's checkout (``ext/``), so the workspace runs the
revision its manifest pins; its dependencies come from west's Python environment.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

from west.commands import WestCommand

#: this module's checkout: scripts/west_commands/ is two levels below it
CHECKOUT = Path(__file__).resolve().parents[2]
#: secguide commands that take build folders as positional arguments
BUILD_COMMANDS = ("audit", "evidence")
DESCRIPTION = """\
Run a secguide command in this west workspace: the workspace's Zephyr tree is the
default tree (as for west build), and audit / evidence given no build read the build
folder (-d before the command, default: build). Example:

    west secguide audit --format junit -o audit.xml
    west secguide board nrf5340dk/nrf5340/cpuapp
    west secguide evidence --out evidence
    west secguide check
"""


class Secguide(WestCommand):
    def __init__(self) -> None:
        super().__init__("secguide", "audit builds and boards against the Zephyr Security "
                         "Guide", DESCRIPTION)

    def do_add_parser(self, parser_adder: argparse._SubParsersAction
                      ) -> argparse.ArgumentParser:
        parser = parser_adder.add_parser(self.name, help=self.help, description=self.description,
                                         formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("-d", "--build-dir", metavar="DIR",
                            help="build folder for audit and evidence (default: build, "
                                 "or the build.dir-fmt option)")
        parser.add_argument("command", metavar="COMMAND",
                            help="a secguide command: audit, board, evidence, check, ...")
        parser.add_argument("arguments", nargs=argparse.REMAINDER,
                            help="the command's own arguments (secguide COMMAND --help)")
        return parser

    def do_run(self, args: argparse.Namespace, unknown: list[str]) -> None:
        main, build_parser = _secguide()
        argv = [args.command, *args.arguments]
        if args.command in BUILD_COMMANDS and not _names_a_build(build_parser, argv):
            argv.append(str(self._build_dir(args)))
        code = main(argv)
        if code:
            sys.exit(code)

    def _build_dir(self, args: argparse.Namespace) -> Path:
        if args.build_dir:
            return Path(args.build_dir)
        configured = self.config.get("build.dir-fmt") if self.config else None
        # placeholders ({board}, {app}) need west build's own knowledge of the build
        return Path(configured if configured and "{" not in configured else "build")


def _secguide():  # -> (main, build_parser); untyped: secguide is imported here
    if str(CHECKOUT / "ext") not in sys.path:
        sys.path.insert(0, str(CHECKOUT / "ext"))
    from secguide.cli.main import build_parser, main

    return main, build_parser


def _names_a_build(build_parser, argv: list[str]) -> bool:
    """Whether ``argv`` already names a build: secguide's own parser decides.

    Help requests and usage errors count as naming one, so secguide itself answers them.
    """
    if "-h" in argv or "--help" in argv:
        return True
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser(argv).parse_args(argv)
        except SystemExit:
            return False
    return True
