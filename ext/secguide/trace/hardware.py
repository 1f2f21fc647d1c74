"""Whether a build's board target has the hardware a recommendation needs (``applies_to.hardware``).

Only facts the product cannot change count: capability symbols the architecture
or SoC selects (``CPU_HAS_MPU``) and the devicetree facts a ``.config`` records
(``DT_HAS_<compatible>_ENABLED``). A symbol the build itself switches on, such as
``ENTROPY_HAS_DRIVER`` (which exists only once ``ENTROPY_GENERATOR=y``), shows
hardware when set but proves nothing when missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from secguide.zephyr.dotconfig import DotConfig
from secguide.zephyr.kconfig.symbols import SymbolDB

#: Capability symbols the architecture or SoC selects; missing means the CPU lacks it.
CAPABILITY_SYMBOLS: dict[str, tuple[str, ...]] = {
    "mpu": ("CPU_HAS_MPU",),
    "mmu": ("CPU_HAS_MMU", "MMU"),
    "fpu": ("CPU_HAS_FPU",),
}
#: Set only when the build enabled the driver, or the devicetree chose an entropy node.
_ENTROPY_SHOWN_BY = ("ENTROPY_HAS_DRIVER", "CSPRNG_AVAILABLE")
_DT_HAS = re.compile(r"\bDT_HAS_\w+_ENABLED\b")
_RANDOM_WORDS = re.compile(r"RNG|RAND|ENTROPY|DRBG")


@dataclass(frozen=True, slots=True)
class HardwareAnswer:
    """``present`` True/False, or None when the ``.config`` cannot tell; ``fact`` says why."""

    present: bool | None
    fact: str


def entropy_compatibles(db: SymbolDB) -> frozenset[str]:
    """The ``DT_HAS_*_ENABLED`` symbols of the tree's entropy drivers (those selecting
    ``ENTROPY_HAS_DRIVER`` and depending on a devicetree node)."""
    marker = db.get("ENTROPY_HAS_DRIVER")
    found: set[str] = set()
    for name in marker.selected_by if marker is not None else ():
        driver = db.get(name)
        if driver is not None:
            found.update(_DT_HAS.findall(driver.depends_on))
    return frozenset(found)


def _entropy(config: DotConfig, db: SymbolDB) -> HardwareAnswer:
    for name in _ENTROPY_SHOWN_BY:
        if (found := config.get(name)) is not None and found.is_set:
            return HardwareAnswer(True, f"CONFIG_{name}={found.value}")
    compatibles = entropy_compatibles(db)
    enabled = sorted(name for name, value in config.values.items()
                     if name.startswith("DT_HAS_") and value.is_set)
    sources = [name for name in enabled if name in compatibles]
    if sources:
        return HardwareAnswer(True, f"CONFIG_{sources[0]}=y (an entropy driver's devicetree "
                                    "node)")
    if not enabled:
        return HardwareAnswer(None, "the .config records no devicetree facts (CONFIG_DT_HAS_*), "
                                    "so whether the board has an entropy source is not known")
    # A compatible no Kconfig of the tree mentions drives no entropy driver of the tree,
    # but a later release may have one: a name that reads like a random source stays open.
    unknown = [name for name in enabled if name not in db and _RANDOM_WORDS.search(name)]
    if unknown:
        return HardwareAnswer(None, f"its devicetree enables CONFIG_{unknown[0]}, which no "
                                    f"Kconfig file of Zephyr {db.zephyr_version} (the tree) "
                                    "mentions, so an entropy source cannot be ruled out")
    return HardwareAnswer(False, f"its devicetree enables none of the {len(compatibles)} "
                                 f"entropy-driver nodes Zephyr {db.zephyr_version} knows "
                                 "(no CONFIG_DT_HAS_*_ENABLED of an entropy driver, no "
                                 "CONFIG_CSPRNG_AVAILABLE)")


def hardware_answer(kind: str, config: DotConfig, db: SymbolDB) -> HardwareAnswer:
    """Whether the build's target has hardware ``kind`` (an ``applies_to.hardware`` value)."""
    if kind == "entropy-source":
        return _entropy(config, db)
    symbols = CAPABILITY_SYMBOLS.get(kind)
    if symbols is None:
        return HardwareAnswer(None, f"secguide cannot tell {kind} from a .config")
    for name in symbols:
        if (found := config.get(name)) is not None and found.is_set:
            return HardwareAnswer(True, f"CONFIG_{name}={found.value}")
    return HardwareAnswer(False, f"no {' or '.join('CONFIG_' + s for s in symbols)}")


def lacking_hardware(kinds: tuple[str, ...], config: DotConfig, db: SymbolDB) -> str | None:
    """Why the target has none of ``kinds`` when that is known, else None (it has one, or
    the ``.config`` cannot tell: then the recommendation is judged, never skipped)."""
    if not kinds:
        return None
    answers = [(kind, hardware_answer(kind, config, db)) for kind in kinds]
    if any(answer.present is not False for _, answer in answers):
        return None
    facts = "; ".join(f"{kind}: {answer.fact}" for kind, answer in answers)
    return f"needs {' or '.join(kinds)} hardware, which this board target lacks ({facts})"


def unknown_hardware(kinds: tuple[str, ...], config: DotConfig, db: SymbolDB) -> str | None:
    """Why the ``.config`` cannot tell whether the target has ``kinds`` (None if it can)."""
    # Kinds no .config shows (speculative execution) are the guide's prose, not a doubt.
    answers = [hardware_answer(kind, config, db) for kind in kinds
               if kind == "entropy-source" or kind in CAPABILITY_SYMBOLS]
    if any(answer.present for answer in answers):
        return None
    unknown = [answer.fact for answer in answers if answer.present is None]
    return unknown[0] if unknown else None
