#!/usr/bin/python3
"""Writes the golden ConverseStream bodies beside this file (run it to regenerate them).

Framing by Python's struct and zlib.crc32, independently of the C++ encoder; event shapes as
in the Bedrock API reference (ConverseStream: MessageStartEvent, ContentBlockStartEvent,
ContentBlockDeltaEvent, ContentBlockStopEvent, MessageStopEvent, ConverseStreamMetadataEvent,
and the ThrottlingException exception event), each payload with its `p` padding member.
"""

import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def message(headers, payload):
    block = b""
    for name, value in headers:
        n, v = name.encode(), value.encode()
        block += struct.pack(">B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v
    prelude = struct.pack(">II", 12 + len(block) + len(payload) + 4, len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    msg = prelude + block + payload
    return msg + struct.pack(">I", zlib.crc32(msg))


def event(kind, body, pad="abcdefghijklmnopqrstuvwxyzABCDEF"):
    body = dict(body, p=pad[:len(kind)])
    return message([(":event-type", kind), (":content-type", "application/json"),
                    (":message-type", "event")], json.dumps(body).encode())


TEXT = [
    event("messageStart", {"role": "assistant"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hello"}}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": ", \u00e9\u4e2d world"}}),
    event("contentBlockStop", {"contentBlockIndex": 0}),
    event("messageStop", {"stopReason": "end_turn"}),
    event("metadata", {"usage": {"inputTokens": 12, "outputTokens": 4, "totalTokens": 16},
                       "metrics": {"latencyMs": 412}}),
]

TOOL = [
    event("messageStart", {"role": "assistant"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Let me look."}}),
    event("contentBlockStop", {"contentBlockIndex": 0}),
    event("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {
        "toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "name": "top_song"}}}),
    event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"sign\":"}}}),
    event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": " \"WZPZ\"}"}}}),
    event("contentBlockStop", {"contentBlockIndex": 1}),
    event("messageStop", {"stopReason": "tool_use"}),
    event("metadata", {"usage": {"inputTokens": 375, "outputTokens": 57, "totalTokens": 1432,
                                 "cacheReadInputTokens": 1000}, "metrics": {"latencyMs": 1089}}),
]

EXCEPTION = [
    event("messageStart", {"role": "assistant"}),
    message([(":exception-type", "throttlingException"), (":content-type", "application/json"),
             (":message-type", "exception")],
            json.dumps({"message": "Too many requests, please wait before trying again."}).encode()),
]


def write(name, frames):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(b"".join(frames))


write("converse_stream_text.bin", TEXT)
write("converse_stream_tool.bin", TOOL)
write("converse_stream_exception.bin", EXCEPTION)
bad = bytearray(TEXT[1])
bad[-6] ^= 0x01          # a payload byte: the message CRC no longer matches
write("converse_stream_bad_crc.bin", [TEXT[0], bytes(bad)] + TEXT[2:])
