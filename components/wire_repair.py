"""Lone surrogates from the browser must not freeze a session.

A browser text box can hold a lone UTF-16 surrogate (pasted, or set by a
script). Streamlit's frontend encodes it as the bytes ED A0-BF 80-BF, which is
not UTF-8, so the server cannot parse that message: it logs a decode error and
closes the connection, the browser reconnects and sends the same widget state
again, and every later interaction of that session is lost until a reload.
Messages that fail to parse are repaired before Streamlit reads them: each such
sequence becomes U+FFFD (EF BF BD, also three bytes, so every length prefix in
the message stays right) and the text arrives with a visible replacement mark.
"""

from __future__ import annotations

import re

_SURROGATE_BYTES = re.compile(rb"\xed[\xa0-\xbf][\x80-\xbf]")
_REPLACEMENT = "\ufffd".encode("utf-8")


def repair(data: bytes) -> bytes:
    """`data` with every UTF-8-encoded surrogate replaced by U+FFFD (same length)."""
    return _SURROGATE_BYTES.sub(_REPLACEMENT, data)


def _parses(data: bytes) -> bool:
    from google.protobuf.message import DecodeError
    from streamlit.proto.BackMsg_pb2 import BackMsg

    try:
        BackMsg().ParseFromString(data)
        return True
    except DecodeError:
        return False


def install_surrogate_repair() -> None:
    """Patch the websocket receive used by Streamlit's server once per process."""
    from starlette.websockets import WebSocket

    original = WebSocket.receive_bytes
    if getattr(original, "lmlab_repairs_surrogates", False):
        return

    async def receive_bytes(self) -> bytes:
        data = await original(self)
        if _SURROGATE_BYTES.search(data) and not _parses(data):
            data = repair(data)
        return data

    receive_bytes.lmlab_repairs_surrogates = True
    WebSocket.receive_bytes = receive_bytes
