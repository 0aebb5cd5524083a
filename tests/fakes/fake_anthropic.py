#!/usr/bin/python3
"""A fake Anthropic Messages API for llm-edge's tests: Python 3 standard library only.

It speaks the real wire format (a Message as JSON, or the SSE event sequence message_start,
content_block_start/delta/stop, ping, message_delta with the final usage, message_stop) and
validates requests the way the real API does where translation bugs would show: auth and
anthropic-version headers, max_tokens required, no system role inside messages, user and
assistant turns alternating, non-empty content, every tool_result answering a tool_use of
the previous turn, no unknown top-level members. The HTTP/1.1 machinery, the fault
switches and the /_fake/ control paths are fake_openai.py's, imported. See README.md.

First stdout line: `LISTENING <port>`.
"""

import json
import os
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_http import run_fake  # noqa: E402
from fake_openai import TOOL_PIECES, FakeOpenAI, Faults, sse_event  # noqa: E402

# Fault status -> (Anthropic error type, message), as the API names them.
ERRORS = {
    400: ("invalid_request_error", "There was an issue with the format or content of your "
                                   "request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified "
                              "resource."),
    404: ("not_found_error", "The requested resource could not be found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "This request would exceed your organization's rate limit. "
                              "Please try again later."),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}

# The Messages API refuses members it does not know ("Extra inputs are not permitted").
KNOWN_MEMBERS = {"model", "messages", "max_tokens", "system", "metadata", "stop_sequences",
                 "stream", "temperature", "top_p", "top_k", "tools", "tool_choice", "thinking",
                 "service_tier", "container", "mcp_servers", "output_config", "output_format",
                 "context_management"}

class AnthropicFaults(Faults):
    """fake_openai's switches plus @overloaded_in_stream."""

    def __init__(self, spec=""):
        self.overloaded_in_stream = False
        super().__init__(spec)

    def apply(self, spec):
        rest = []
        for sw in filter(None, spec.replace(",", "@").split("@")):
            if sw == "overloaded_in_stream":
                self.overloaded_in_stream = True
            else:
                rest.append(sw)
        return super().apply("@".join(rest))


class Invalid(Exception):
    """A request the real API would refuse: (status, error type, message)."""


def words(value):
    """Whitespace-separated words in a string or in content blocks (text, tool results)."""
    if isinstance(value, str):
        return len(value.split())
    n = 0
    if isinstance(value, list):
        for block in value:
            if isinstance(block, dict):
                if isinstance(block.get("text"), str):
                    n += len(block["text"].split())
                if block.get("type") == "tool_result":
                    n += words(block.get("content"))
    return n


def check_content(content, where):
    """Content must be a non-empty string or a list of blocks with non-empty text."""
    if isinstance(content, str):
        if not content:
            raise Invalid(where + ": all messages must have non-empty content except for the "
                          "optional final assistant message")
        return []
    if not isinstance(content, list) or not content:
        raise Invalid(where + ": content must be a non-empty string or list of content blocks")
    for j, block in enumerate(content):
        at = "%s.content.%d" % (where, j)
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise Invalid(at + ": content blocks must be objects with a type")
        if block["type"] == "text" and (not isinstance(block.get("text"), str)
                                        or not block["text"]):
            raise Invalid(at + ": text content blocks must be non-empty")
        if block["type"] == "image":
            source = block.get("source")
            if not isinstance(source, dict) or source.get("type") not in ("base64", "url"):
                raise Invalid(at + ".source: expected base64 or url source")
    return content


def validate(body):
    """Raises Invalid as the real API would for a malformed Messages request."""
    for key in body:
        if key not in KNOWN_MEMBERS:
            raise Invalid("%s: Extra inputs are not permitted" % key)
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise Invalid("model: Field required")
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        raise Invalid("max_tokens: Field required")
    if max_tokens < 1:
        raise Invalid("max_tokens: Input should be greater than or equal to 1")
    system = body.get("system")
    if system is not None and not isinstance(system, (str, list)):
        raise Invalid("system: Input should be a valid string or list of text blocks")
    temperature = body.get("temperature")
    if temperature is not None and not (isinstance(temperature, (int, float))
                                        and 0 <= temperature <= 1):
        raise Invalid("temperature: Input should be less than or equal to 1")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Invalid("messages: Field required")
    validate_turns(messages)


def validate_turns(messages):
    previous_role, pending_tool_uses = None, set()
    for i, msg in enumerate(messages):
        where = "messages.%d" % i
        if not isinstance(msg, dict):
            raise Invalid(where + ": Input should be a valid dictionary")
        role = msg.get("role")
        if role == "system":
            raise Invalid('messages: Unexpected role "system". The Messages API accepts a '
                          'top-level `system` parameter, not "system" as an input message role.')
        if role not in ("user", "assistant"):
            raise Invalid(where + ".role: Input should be 'user' or 'assistant'")
        if role == previous_role:
            raise Invalid('messages: roles must alternate between "user" and "assistant", but '
                          'found multiple "%s" roles in a row' % role)
        blocks = check_content(msg.get("content"), where)
        results = {b.get("tool_use_id") for b in blocks if b["type"] == "tool_result"}
        if role == "user" and pending_tool_uses - results:
            raise Invalid("messages.%d: `tool_use` ids were found without `tool_result` blocks "
                          "immediately after: %s. Each `tool_use` block must have a "
                          "corresponding `tool_result` block in the next message."
                          % (i - 1, ", ".join(sorted(pending_tool_uses - results))))
        if results - pending_tool_uses:
            raise Invalid("%s: unexpected `tool_use_id` found in `tool_result` blocks: %s. "
                          "Each `tool_result` block must have a corresponding `tool_use` block "
                          "in the previous message." % (where, ", ".join(
                              sorted(str(r) for r in results - pending_tool_uses))))
        pending_tool_uses = {b.get("id") for b in blocks if b["type"] == "tool_use"}
        previous_role = role


class FakeAnthropic(FakeOpenAI):
    def __init__(self, default_faults):
        super().__init__(default_faults)
        self.stats["streams_errored"] = 0   # @overloaded_in_stream: ended by an error event

    def next_id(self, prefix):
        self.counter += 1
        return "%s_fake%d" % (prefix, self.counter)

    def error(self, conn, status, etype, message, keep, extra=()):
        rid = self.next_id("req")
        conn.send(status, {"type": "error", "error": {"type": etype, "message": message},
                           "request_id": rid},
                  extra=[("request-id", rid)] + list(extra), keep_alive=keep)
        return keep

    def control(self, conn, req, path, keep):
        if path == "/_fake/reset" and req.method == "POST":
            self.stats["streams_errored"] = 0
        return super().control(conn, req, path, keep)

    async def handle(self, conn, req):
        """Answers one request; returns whether the connection stays open."""
        path = req.path.split("?")[0]
        keep = req.keep_alive()
        if path.startswith("/_fake/"):
            return self.control(conn, req, path, keep)
        self.stats["requests"] += 1
        self.record(req)
        auth = req.header("authorization") or ""
        key = req.header("x-api-key") or (auth[7:].strip() if auth.startswith("Bearer ") else "")
        if not key:
            return self.error(conn, 401, "authentication_error", "x-api-key header is required",
                              keep)
        if not req.header("anthropic-version"):
            return self.error(conn, 400, "invalid_request_error",
                              "anthropic-version: header is required", keep)
        if path == "/v1/models" and req.method == "GET":
            conn.send(200, self.models(), keep_alive=keep)
            return keep
        if path not in ("/v1/messages", "/v1/messages/count_tokens") or req.method != "POST":
            return self.error(conn, 404, "not_found_error",
                              "Not found: %s %s" % (req.method, path), keep)
        try:
            body = json.loads(req.body)
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError as e:
            return self.error(conn, 400, "invalid_request_error",
                              "There was an issue with the format or content of your request: "
                              "%s" % e, keep)
        model = body.get("model") if isinstance(body.get("model"), str) else ""
        base, _, switches = model.partition("@")
        try:
            faults = AnthropicFaults(self.default_faults).apply(switches)
            if path == "/v1/messages/count_tokens":
                body.setdefault("max_tokens", 1)
            validate(body)
        except (ValueError, Invalid) as e:
            return self.error(conn, 400, "invalid_request_error", str(e), keep)
        if path == "/v1/messages/count_tokens":
            conn.send(200, {"input_tokens": self.input_tokens(body)}, keep_alive=keep)
            return keep
        return await self.answer(conn, req, body, model, base, faults, keep)

    async def answer(self, conn, req, body, model, base, faults, keep):
        keep = keep and not faults.close
        if not await self.before_answer(conn, faults):
            return False
        if faults.status:
            etype, message = ERRORS.get(faults.status, ERRORS[500])
            return self.error(conn, faults.status, etype, message, keep,
                              [("Retry-After", "1")] if faults.status == 429 else [])
        if body.get("stream") is True:
            return await self.stream(conn, req, body, model, base, faults, keep)
        msg = self.message(body, model, base, faults)
        conn.send(200, msg, keep_alive=keep, extra=[("request-id", "req" + msg["id"][3:])])
        return keep

    # ---- answers ----

    @staticmethod
    def input_tokens(body):
        n = words(body.get("system"))
        for msg in body.get("messages") or []:
            if isinstance(msg, dict):
                n += words(msg.get("content"))
        return n

    def usage(self, body, output, faults):
        return {"input_tokens": self.input_tokens(body), "output_tokens": output,
                "cache_creation_input_tokens": 0, "cache_read_input_tokens": faults.cached,
                "service_tier": "standard"}

    def message(self, body, model, base, faults):
        pieces = self.pieces(model, faults.chunks)
        content, stop = [{"type": "text", "text": "".join(pieces)}], "end_turn"
        if faults.tool:
            pieces = TOOL_PIECES
            content = [{"type": "tool_use", "id": "toolu_fake1", "name": "get_weather",
                        "input": json.loads("".join(pieces))}]
            stop = "tool_use"
        return {"id": self.next_id("msg"), "type": "message", "role": "assistant", "model": base,
                "content": content, "stop_reason": stop, "stop_sequence": None,
                "usage": self.usage(body, len(pieces), faults)}

    def message_events(self, body, model, base, faults, msg_id):
        """The SSE events of one answer, in order, as (is_content, bytes)."""
        pieces = TOOL_PIECES if faults.tool else self.pieces(model, faults.chunks)
        usage = self.usage(body, 1, faults)    # output_tokens is provisional here
        yield False, sse_event("message_start", {"type": "message_start", "message": {
            "id": msg_id, "type": "message", "role": "assistant", "model": base, "content": [], "stop_reason": None, "stop_sequence": None, "usage": usage}})
        if faults.overloaded_in_stream:
            yield False, sse_event("error", {"type": "error", "error": {
                "type": "overloaded_error", "message": "Overloaded"}})
            return
        block = {"type": "text", "text": ""}
        if faults.tool:
            block = {"type": "tool_use", "id": "toolu_fake1", "name": "get_weather", "input": {}}
        yield False, sse_event("content_block_start", {"type": "content_block_start", "index": 0,
                                                 "content_block": block})
        yield False, sse_event("ping", {"type": "ping"})
        if faults.tool:   # the API opens a tool's input with an empty piece
            yield False, sse_event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                     "delta": {"type": "input_json_delta",
                                                               "partial_json": ""}})
        for piece in pieces:
            delta = ({"type": "input_json_delta", "partial_json": piece} if faults.tool
                     else {"type": "text_delta", "text": piece})
            yield True, sse_event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                    "delta": delta})
        yield False, sse_event("content_block_stop", {"type": "content_block_stop", "index": 0})
        yield False, sse_event("message_delta", {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use" if faults.tool else "end_turn",
                      "stop_sequence": None},
            "usage": {"output_tokens": len(pieces)}})
        yield False, sse_event("message_stop", {"type": "message_stop"})

    async def stream(self, conn, req, body, model, base, faults, keep):
        msg_id = self.next_id("msg")
        events = self.message_events(body, model, base, faults, msg_id)
        # message_start always goes out before any @break.
        return await self.stream_events(
            conn, req, events, faults, keep, extra=[("request-id", "req" + msg_id[3:])],
            outcome_if_whole="streams_errored" if faults.overloaded_in_stream
            else "streams_completed")

    @staticmethod
    def models():
        ids = ["claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-1"]
        data = [{"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
                for m in ids]
        return {"data": data, "has_more": False, "first_id": ids[0], "last_id": ids[-1]}


if __name__ == "__main__":
    run_fake(lambda args: FakeAnthropic(args.fault), AnthropicFaults,
             "'529' or 'delay=20@chunks=50'")
