"""A lone surrogate sent by a browser is repaired before Streamlit parses the message."""

from __future__ import annotations

import asyncio
import concurrent.futures

from streamlit.proto.BackMsg_pb2 import BackMsg

from components.wire_repair import _parses, install_surrogate_repair, repair


def browser_bytes_with_a_lone_surrogate() -> bytes:
    """What Streamlit's frontend sends for the text 'king \\ud800 queen' in a text box."""
    msg = BackMsg()
    widget = msg.rerun_script.widget_states.widgets.add()
    widget.id, widget.string_value = "glove_expr", "king \u4e00 queen"
    data = msg.SerializeToString()
    return data.replace("\u4e00".encode(), b"\xed\xa0\x80")  # U+D800 the way the JS encodes it


def test_repair_makes_the_message_parse_with_a_replacement_mark():
    data = browser_bytes_with_a_lone_surrogate()
    assert not _parses(data)
    fixed = repair(data)
    assert len(fixed) == len(data) and _parses(fixed)
    msg = BackMsg()
    msg.ParseFromString(fixed)
    assert msg.rerun_script.widget_states.widgets[0].string_value == "king \ufffd queen"


def _run_alone(coroutine):
    """Run a coroutine on its own loop in its own thread: a browser test earlier in the same
    process may leave an event loop running on this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_the_websocket_hands_streamlit_repaired_bytes_and_leaves_good_ones_alone():
    from starlette.websockets import WebSocket

    install_surrogate_repair()
    install_surrogate_repair()  # once per process, however many runs call it
    assert WebSocket.receive_bytes.lmlab_repairs_surrogates
    bad, good = browser_bytes_with_a_lone_surrogate(), BackMsg(app_heartbeat=True).SerializeToString()
    frames = [{"type": "websocket.receive", "bytes": bad},
              {"type": "websocket.receive", "bytes": good}]

    async def receive():
        return frames.pop(0)

    async def send(message):
        pass

    socket = WebSocket({"type": "websocket", "path": "/", "headers": []}, receive, send)
    socket.client_state = socket.application_state = type(socket.client_state).CONNECTED
    first = _run_alone(socket.receive_bytes())
    second = _run_alone(socket.receive_bytes())
    assert _parses(first) and b"\xef\xbf\xbd" in first
    assert second == good
