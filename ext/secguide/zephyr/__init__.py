"""The Zephyr tree: layout, twister scenarios, hardening lists."""
