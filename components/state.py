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

# Training lab
TRAIN_SECTION = "train_section"
TRAIN_JOB = "train_job"  # the session's one training job: {"section": ..., "job": ..., ...}
TRAIN_CORPUS = "train_corpus"
TRAIN_PASTE = "train_paste"
TRAIN_UPLOAD = "train_upload"
TRAIN_ARCH = "train_architecture"
TRAIN_SIZE = "train_size"
TRAIN_LEVEL = "train_level"
TRAIN_LR = "train_lr"
TRAIN_STEPS = "train_steps"
TRAIN_METRIC = "train_metric"
TRAIN_RUN = "train_run"
TRAIN_STOP = "train_stop"
TRAIN_PROMPT = "train_prompt"
TRAIN_SAMPLE = "train_sample"
TRAIN_SAMPLE_OUTPUT = "train_sample_output"
TRAIN_CORPUS_A = "train_corpus_a"
TRAIN_CORPUS_B = "train_corpus_b"
TRAIN_FT_STEPS = "train_finetune_steps"
TRAIN_MASK_SENTENCE = "train_mask_sentence"
TRAIN_MASK_MODEL = "train_mask_model"
TRAIN_MASK_FILL = "train_mask_fill"
TRAIN_MASK_OUTPUT = "train_mask_output"

# Attention math page
AM_FAMILY = "am_family"
AM_TEXT = "am_text"
AM_COMPUTE = "am_compute"
AM_CAPTURE = "am_capture"  # {"model": id, "text": ..., "capture": Capture}
AM_LAYER = "am_layer"
AM_HEAD = "am_head"
AM_QUERY = "am_query"
AM_KEY = "am_key"
AM_POS_N = "am_pos_positions"
AM_POS_D = "am_pos_width"
AM_ABL_TEXT = "am_ablation_text"
AM_ABL_LAYER = "am_ablation_layer"
AM_ABL_HEAD = "am_ablation_head"
AM_ABL_RUN = "am_ablation_run"
AM_ABL_RESULT = "am_ablation_result"
AM_ABL_SWEEP = "am_ablation_sweep"
AM_ABL_SWEEP_RESULT = "am_ablation_sweep_result"
AM_TOY_CAUSAL = "am_toy_causal"
AM_TOY_RESET = "am_toy_reset"


def am_toy_key(token: int, feature: int) -> str:
    return f"am_toy_{token}_{feature}"

# Attention page
ATT_FAMILY = "att_family"
ATT_TEXT = "att_text"
ATT_CONTINUE = "att_continue_tokens"
ATT_VIEW = "att_bertviz_view"
ATT_THEME = "att_theme"
ATT_FIRST_LAYER = "att_first_layer"
ATT_LAYER = "att_layer"
ATT_HEAD = "att_head"
ATT_ROLLOUT_LAYER = "att_rollout_layer"
ATT_ROLLOUT_TOKEN = "att_rollout_token"
ATT_ROLLOUT_SKIP_FIRST = "att_rollout_skip_first"
ATT_CACHE = "att_cache"  # captures and bertviz pages per input, this session only

# Embedding projector page
EMB_SOURCE = "emb_source"
EMB_PRESET = "emb_preset"
EMB_ITEMS = "emb_items"
EMB_METHOD = "emb_method"
EMB_DIMS = "emb_dims"
EMB_LAYER = "emb_layer"
EMB_CHART = "emb_chart"
EMB_FOCUS = "emb_focus"
EMB_LAST_CLICK = "emb_last_click"
EMB_CACHE = "emb_cache"  # last embeddings and projection of this session

# GloVe page
GLOVE_EXAMPLE = "glove_example"
GLOVE_EXPR = "glove_expr"
GLOVE_TOPK = "glove_topk"
GLOVE_NEIGHBOUR_WORD = "glove_neighbour_word"
GLOVE_SIM_A = "glove_sim_a"
GLOVE_SIM_B = "glove_sim_b"
GLOVE_CORPUS = "glove_corpus"
GLOVE_CORPUS_TEXT = "glove_corpus_text"
GLOVE_WINDOW = "glove_window"
GLOVE_DISTANCE = "glove_distance"
GLOVE_VOCAB = "glove_vocab"
GLOVE_SHOW_WORDS = "glove_show_words"
GLOVE_XMAX = "glove_xmax"
GLOVE_ALPHA = "glove_alpha"
GLOVE_DIM = "glove_dim"
GLOVE_EPOCHS = "glove_epochs"
GLOVE_OPTIMIZER = "glove_optimizer"
GLOVE_LR = "glove_lr"
GLOVE_TRAIN = "glove_train"
GLOVE_TRAINED = "glove_trained"  # the last training result of this session
GLOVE_PROBE = "glove_probe"

# Translate page
TR_SOURCE_LANG = "tr_source_lang"
TR_TARGET_LANG = "tr_target_lang"
TR_SWAP = "tr_swap"
TR_TEXT = "tr_text"
TR_BEAMS = "tr_beams"
TR_MAX_NEW_TOKENS = "tr_max_new_tokens"
TR_RUN = "tr_run"
TR_OUTPUT = "tr_output"  # the last translation of this session
TR_REFERENCE = "tr_reference"
TR_XATTN_CHUNK = "tr_xattn_chunk"
TR_XATTN_LAYER = "tr_xattn_layer"
TR_XATTN_HEAD = "tr_xattn_head"

# Summarize page
SUM_TEXT = "sum_text"
SUM_WORDS = "sum_words"
SUM_CHUNK_TOKENS = "sum_chunk_tokens"
SUM_BEAMS = "sum_beams"
SUM_RUN = "sum_run"
SUM_OUTPUT = "sum_output"  # the last summary of this session
SUM_REFERENCE = "sum_reference"
SUM_XATTN_LAYER = "sum_xattn_layer"
SUM_XATTN_HEAD = "sum_xattn_head"


def engine_key(task: str) -> str:
    """The model chosen on the translate/summarize pages (encoder-decoder or fallback)."""
    return f"engine_{task}"
