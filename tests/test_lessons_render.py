"""Lessons render as CommonMark does (Streamlit's markdown): no bold left as raw asterisks."""

from __future__ import annotations

from pathlib import Path

import markdown_it
import pytest

from components.lessons import LESSONS, cjk_safe_markdown, lesson_text

LESSON_FILES = sorted(LESSONS.glob("*/*.md"))
MARKDOWN = markdown_it.MarkdownIt("commonmark")


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_lesson_renders_its_bold(path: Path):
    html = MARKDOWN.render(lesson_text(path.stem, path.parent.name))
    assert "**" not in html, f"{path} shows raw ** in the page"


def test_bold_before_cjk_punctuation_is_repaired():
    written = "**如何使用本实验室：**先在“文本生成”里看模型写作。"
    assert "**" in MARKDOWN.render(written)  # CommonMark leaves this one as text
    fixed = cjk_safe_markdown(written)
    assert fixed == "**如何使用本实验室**：先在“文本生成”里看模型写作。"
    assert "<strong>如何使用本实验室</strong>" in MARKDOWN.render(fixed)


def test_well_formed_bold_is_left_alone():
    text = "**自注意力**让每个词元收集信息：**查询 q**（我在找什么？）、**键 k**。\n\n*i* 行"
    assert cjk_safe_markdown(text) == text
