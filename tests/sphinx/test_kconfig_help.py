"""Kconfig help text reflowed into paragraphs (the source's line breaks are wrapping)."""

from __future__ import annotations

from docutils import nodes

from secguide.sphinx.kconfig import help_paragraphs


def test_wrapped_lines_join_and_blank_lines_split() -> None:
    text = "Enables the\nthing, with\ncare.\n\nSecond\nparagraph.\n"
    found = help_paragraphs(text)
    assert [type(node) for node in found] == [nodes.paragraph, nodes.paragraph]
    assert [node.astext() for node in found] == ["Enables the thing, with care.",
                                                 "Second paragraph."]


def test_lists_and_indented_blocks_keep_their_lines() -> None:
    text = "Options:\n- first\n- second\n\nCode:\n    x = 1\n    y = 2"
    found = help_paragraphs(text)
    assert all(isinstance(node, nodes.literal_block) for node in found)
    assert found[0].astext() == "Options:\n- first\n- second"
    assert found[1].astext() == "Code:\n    x = 1\n    y = 2"


def test_empty_help_gives_nothing() -> None:
    assert help_paragraphs("\n  \n") == []
