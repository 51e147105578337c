"""UI labels through one small table: a language switch is a lookup.

Labels are written in English in the code and wrapped in t(); other languages
map the English text to theirs. Missing entries fall back to English.
"""

from __future__ import annotations

import streamlit as st

from components import state

LANGUAGES = {"en": "English", "zh": "中文"}

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "Home": "首页",
        "Text generation": "文本生成",
        "Model": "模型",
        "Device": "设备",
        "Language": "语言",
        "Prompt": "提示词",
        "Generate": "生成",
        "Stop": "停止",
        "Max new tokens": "最大新词元数",
        "Decoding": "解码方式",
        "Temperature": "温度",
        "Seed": "随机种子",
        "Lesson": "课程",
        "License": "许可证",
        "Source": "来源",
        "Attention": "注意力",
        "Look inside": "看看模型内部",
        "Model type": "模型类型",
        "Heatmaps": "热力图",
        "Head habits": "注意力头的习惯",
        "Rollout": "注意力传递（Rollout）",
        "View": "视图",
        "Theme": "主题",
        "First layer": "起始层",
        "Layer": "层",
        "Head": "注意力头",
        "Through layer": "累计到第几层",
        "Token": "词元",
    },
}


def current_language() -> str:
    return st.session_state.get(state.LANGUAGE, "en")


def t(text: str) -> str:
    return LABELS.get(current_language(), {}).get(text, text)
