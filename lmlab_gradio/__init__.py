"""The Gradio front end of LM Lab: one small module per tab, all over the lmlab core.

Each tab module has `build()` (called inside a gr.Blocks) and plain handler
functions that take and return plain values, so the same functions serve the
browser UI and the named API endpoints used from `gradio_client`.
"""
