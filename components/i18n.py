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
        "Chat": "聊天",
        "Next token": "下一个词元",
        "Token probabilities": "词元概率",
        "Beams": "束宽",
        "Repetition penalty": "重复惩罚",
        "Outputs": "输出数量",
        "System prompt": "系统提示词",
        "Regenerate": "重新生成",
        "Clear": "清空",
        "Message": "消息",
        "Score": "评分",
        "Text": "文本",
        "Perplexity": "困惑度",
        "Entropy": "熵",
        "Compare strategies": "比较解码策略",
        "One strategy": "单一策略",
        "Strategies": "策略",
        "Run all": "全部运行",
        "Colour tokens by probability": "按概率给词元着色",
        "Back": "后退",
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
        "Leave out the first token": "不看第一个词元",
        # Training lab
        "Training lab": "训练实验室",
        "Train a model": "训练一个模型",
        "LSTM vs Transformer": "LSTM 对比 Transformer",
        "Pretrain, then fine-tune": "先预训练，再微调",
        "Masked LM": "掩码语言模型",
        "Section": "部分",
        "Corpus": "语料",
        "Corpus A (pretraining)": "语料 A（预训练）",
        "Corpus B (fine-tuning)": "语料 B（微调）",
        "Your text": "你的文本",
        "Plain text file": "纯文本文件",
        "Model size": "模型大小",
        "Tokens": "词元",
        "Characters": "字符",
        "Words": "单词",
        "Learning rate": "学习率",
        "Steps": "步数",
        "Fine-tuning steps": "微调步数",
        "Train": "训练",
        "Train both": "同时训练两个",
        "Train the masked model": "训练掩码模型",
        "Parameters": "参数量",
        "Validation loss": "验证损失",
        "Unigram baseline": "一元基线",
        "Show": "显示",
        "Loss": "损失",
        "Sample": "生成样例",
        "Try the model": "试试这个模型",
        "Start of the text": "文本开头",
        "Fill in [MASK]": "填写 [MASK]",
        "Sentence with one [MASK]": "含一个 [MASK] 的句子",
        "Pretrained model beside yours": "与你的模型对比的预训练模型",
        "Fill in": "填空",
        "Pick a corpus and a model, then press the button to start training.":
            "选择语料和模型，然后按下按钮开始训练。",
        "Waiting for a free training slot: other people are training right now…":
            "正在等待空闲的训练位置：其他人正在训练……",
        # Attention math
        "Attention math": "注意力的计算",
        "Model family": "模型类别",
        "Cell math": "单格计算",
        "Positional encoding": "位置编码",
        "Ablation": "消融实验",
        "Toy example": "玩具示例",
        "Compute": "计算",
        "Query token": "查询词元",
        "Key token": "键词元",
        "Positions": "位置数",
        "Encoding width": "编码维度",
        "Download CSV": "下载 CSV",
        "Knock out": "移除",
        "Try every head of this layer": "逐个移除本层的每个头",
        "Top next token": "最可能的下一个词元",
        "Causal mask": "因果掩码",
        "Reset": "重置",
        "Translate": "翻译",
        "Summarize": "摘要",
        "Source language": "源语言",
        "Target language": "目标语言",
        "Swap": "交换",
        "Text to translate": "要翻译的文本",
        "Translation": "译文",
        "Text to summarize": "要摘要的文本",
        "Summary": "摘要结果",
        "Summary length (words)": "摘要长度（词）",
        "Chunk size (tokens)": "分块大小（词元）",
        "Beam width": "束宽",
        "Reference": "参考文本",
        "Cross-attention": "交叉注意力",
        "Compression": "压缩比",
    },
}


def current_language() -> str:
    return st.session_state.get(state.LANGUAGE, "en")


def t(text: str) -> str:
    return LABELS.get(current_language(), {}).get(text, text)
