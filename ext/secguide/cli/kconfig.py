"""``secguide kconfig show|search``: look symbols up in a Zephyr tree."""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from typing import Any

from secguide.cli.common import add_format_option, add_tree_options
from secguide.diagnostics import SecguideError
from secguide.zephyr.expr import shown
from secguide.zephyr.kconfig.cache import encode_symbol, load_symbol_db
from secguide.zephyr.kconfig.symbols import (
    ChoiceFacts,
    ConditionalValue,
    KconfigSymbol,
    SymbolDB,
    unknown_symbol_message,
)
from secguide.zephyr.tree import resolve_tree


def register(subparsers: argparse._SubParsersAction) -> None:
    kconfig = subparsers.add_parser("kconfig", help="look up Kconfig symbols in a Zephyr tree")
    commands = kconfig.add_subparsers(dest="kconfig_command", metavar="ACTION")
    commands.required = True

    show = commands.add_parser("show", help="everything the tree says about one symbol")
    show.add_argument("symbol", help="symbol name, with or without CONFIG_, in any case")
    add_tree_options(show)
    add_format_option(show)
    show.set_defaults(handler=_show)

    info = commands.add_parser("info", help="which tree: version, hardware model, fingerprint")
    info.add_argument("--warnings", action="store_true",
                      help="also list kconfiglib's warnings about the tree's Kconfig files")
    add_tree_options(info)
    add_format_option(info)
    info.set_defaults(handler=_info)

    search = commands.add_parser("search", help="symbols whose name or prompt matches a regex")
    search.add_argument("pattern", help="regular expression (case-insensitive)")
    add_tree_options(search)
    add_format_option(search)
    search.set_defaults(handler=_search)


def load_db(args: argparse.Namespace) -> SymbolDB:
    db, _report = load_symbol_db(args.zephyr_base, cache_dir=args.cache_dir,
                                 use_cache=not args.no_cache)
    return db


def _choice_as_json(facts: ChoiceFacts | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    return {"name": facts.label, "prompt": facts.prompt, "options": list(facts.options),
            "depends_on": shown(facts.depends_on), "optional": facts.optional}


def symbol_as_json(symbol: KconfigSymbol, db: SymbolDB) -> dict[str, Any]:
    encoded = encode_symbol(symbol)
    for key in ("defaults", "selects", "implies", "ranges"):
        encoded[key] = [[shown(value), shown(cond) if cond else cond, *rest]
                        for value, cond, *rest in encoded[key]]
    encoded |= {"depends_on": shown(symbol.depends_on),
                "choice": symbol.choice_facts.label if symbol.choice_facts else None,
                "choice_facts": _choice_as_json(symbol.choice_facts)}
    return {"name": symbol.name, **encoded,
            "zephyr_version": db.zephyr_version, "tree_fingerprint": db.fingerprint}


def _values(entries: tuple[ConditionalValue, ...], with_site: bool = True) -> list[str]:
    lines = []
    for entry in entries:
        text = shown(entry.value + (f" if {entry.condition}" if entry.condition else ""))
        lines.append(f"{text}  ({entry.loc})" if with_site else text)
    return lines


def format_symbol(symbol: KconfigSymbol, db: SymbolDB) -> str:
    out = [f"CONFIG_{symbol.name}  [{symbol.type}]  (Zephyr {db.zephyr_version})"]

    def section(title: str, lines: list[str]) -> None:
        if lines:
            out.append(f"{title}:")
            out.extend(f"  {line}" for line in lines)

    section("prompt", list(symbol.prompts) or ["(none: not settable in prj.conf)"])
    if symbol.deprecated:
        out.append("deprecated: yes")
    facts = symbol.choice_facts
    if facts is not None:
        kind = "an optional choice" if facts.optional else "a choice"
        out.append(f"option of: {facts.label} ({kind}; options: {', '.join(facts.options)})")
        if facts.depends_on != "y":
            out.append(f"  the choice depends on: {shown(facts.depends_on)}")
    out.append(f"depends on: {shown(symbol.depends_on)}")
    section("defaults", _values(symbol.defaults))
    section("ranges", _values(symbol.ranges))
    section("selects", _values(symbol.selects))
    section("implies", _values(symbol.implies))
    section("selected by", list(symbol.selected_by))
    section("implied by", list(symbol.implied_by))
    section("defined at", [str(loc) for loc in symbol.definitions])
    section("configdefault at", [str(loc) for loc in symbol.configdefault_sites])
    section("help", textwrap.dedent(symbol.help).splitlines() if symbol.help else ["(none)"])
    return "\n".join(out)


def _show(args: argparse.Namespace) -> int:
    if not args.symbol.strip().removeprefix("CONFIG_"):
        raise SecguideError("kconfig show: name a symbol, e.g. CONFIG_STACK_CANARIES")
    db = load_db(args)
    symbol = db.get_any_case(args.symbol)
    if symbol is None:
        raise SecguideError(unknown_symbol_message(args.symbol, db), exit_code=1)
    if args.format == "json":
        print(json.dumps(symbol_as_json(symbol, db), indent=2, sort_keys=True))
    else:
        print(format_symbol(symbol, db))
    return 0


def _info(args: argparse.Namespace) -> int:
    tree = resolve_tree(args.zephyr_base)
    db, report = load_symbol_db(tree, cache_dir=args.cache_dir,
                                use_cache=not args.no_cache)
    facts = {
        "tree": str(tree.root),
        "zephyr_version": db.zephyr_version,
        "hardware_model": db.hardware_model,
        "symbols": len(db),
        "tree_fingerprint": db.fingerprint,
        "kconfig_warnings": len(db.warnings),
        "loaded_from": report.source,
        "load_seconds": round(report.seconds, 3),
    }
    if args.format == "json":
        if args.warnings:
            facts["warnings"] = [inert(warning) for warning in db.warnings]
        print(json.dumps(facts, indent=2))
    else:
        for key, value in facts.items():
            print(f"{key + ':':<18} {value}")
        if args.warnings:
            for warning in db.warnings:
                print(inert(warning))
    return 0


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def inert(text: str) -> str:
    """Tree text for a terminal: control characters (escape sequences) shown as ``?``."""
    return _CONTROL.sub("?", text)


def _search(args: argparse.Namespace) -> int:
    db = load_db(args)
    try:
        found = db.search(args.pattern)
    except re.error as error:
        raise SecguideError(f"bad regular expression {args.pattern!r}: {error}") from None
    if args.format == "json":
        print(json.dumps([{"name": s.name, "type": s.type, "prompts": list(s.prompts),
                           "definitions": [str(loc) for loc in s.definitions]}
                          for s in found], indent=2))
    else:
        for symbol in found:
            prompt = symbol.prompts[0] if symbol.prompts else "(no prompt)"
            print(f"CONFIG_{symbol.name:<40} {symbol.type:<9} {prompt}")
        print(f"{len(found)} symbol(s) match in Zephyr {db.zephyr_version}", file=sys.stderr)
    return 0 if found else 1
