"""Figure builders: pure functions from numbers to plotly figures or HTML.

Each module draws one part of the lab (attention, embeddings, tokens ...); none
runs a model, so Streamlit, Gradio, notebooks and the tests call the same code.
"""
