"""Command-line face of secguide: ``secguide.cli.main:main`` is the entry point."""
