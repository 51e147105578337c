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
