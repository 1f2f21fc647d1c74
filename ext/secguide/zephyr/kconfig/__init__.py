"""Kconfig of a Zephyr tree: the only subpackage that imports kconfiglib."""
