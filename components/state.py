"""Session-state and widget keys in one place.

Stable keys let a page's settings be written to and read from the URL later
(a teacher shares the exact view) without touching the pages.
"""

LANGUAGE = "ui_language"


def model_key(task: str) -> str:
    return f"model_{task}"


# Generation page
GEN_PROMPT = "gen_prompt"
GEN_MAX_NEW_TOKENS = "gen_max_new_tokens"
GEN_STRATEGY = "gen_strategy"
GEN_TEMPERATURE = "gen_temperature"
GEN_TOP_K = "gen_top_k"
GEN_TOP_P = "gen_top_p"
GEN_SEED = "gen_seed"
GEN_OUTPUT = "gen_output"
GEN_RUN = "gen_run"

# Decoding lab (generation page)
GEN_MODE = "gen_mode"
GEN_BEAMS = "gen_num_beams"
GEN_REPETITION = "gen_repetition_penalty"
GEN_NUM_RETURN = "gen_num_return_sequences"
GEN_COLOUR = "gen_colour_tokens"
GEN_COMPARE = "gen_compare_strategies"
GEN_COMPARE_RUN = "gen_compare_run"
GEN_COMPARE_OUTPUT = "gen_compare_output"

# Chat page
CHAT_HISTORY = "chat_history"
CHAT_SYSTEM = "chat_system_prompt"
CHAT_INPUT = "chat_input"
CHAT_PENDING = "chat_pending_reply"
CHAT_STOP = "chat_stop"
CHAT_REGENERATE = "chat_regenerate"
CHAT_CLEAR = "chat_clear"
CHAT_NOTICE = "chat_notice"
CHAT_MAX_NEW_TOKENS = "chat_max_new_tokens"
CHAT_TEMPERATURE = "chat_temperature"
CHAT_SEED = "chat_seed"

# Next-token explorer
NEXT_PROMPT = "next_prompt"
NEXT_TEMPERATURE = "next_temperature"
NEXT_TOP_K = "next_top_k"
NEXT_CHART = "next_chart"
NEXT_LOGITS = "next_logits_cache"
NEXT_BACK = "next_back"

# Token probability lens
LENS_TEXT = "lens_text"
LENS_RUN = "lens_run"
LENS_OUTPUT = "lens_output"
