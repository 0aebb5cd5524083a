#!/usr/bin/python3
"""A fake OpenAI provider for llm-edge's tests and demo: Python 3 standard library only.

It speaks the real wire format (chat completions as JSON or SSE with usage chunk and
`data: [DONE]`, the Responses API as a response object or typed SSE events, embeddings,
models; also Azure OpenAI's deployment paths with the `api-key` header and `api-version`
query) over fake_http.py's raw asyncio HTTP/1.1 server, optionally TLS. FakeOpenAI is also
the base of the other fakes: switches, control paths and the one streaming loop
(stream_events). Answers are deterministic so tests can assert exact numbers, and faults are switched on by
the model name the node sends upstream (`gpt-4o-mini@429`) or by --fault for every request.
See README.md beside this file.

First stdout line: `LISTENING <port>`.
"""

import asyncio
import json
import os
import re
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_http import Connection, run_fake  # noqa: E402

DEFAULT_CHUNKS = 5
TOOL_PIECES = ['{"location"', ':"Paris"}']   # a streamed tool call's argument pieces
# One SSE comment event of 16 KiB (@comments=N sends N of them before a stream's first event).
COMMENT_EVENT = b": " + b"p" * (16 * 1024 - 4) + b"\n\n"

# Azure OpenAI: {resource}/openai/deployments/{deployment}/{operation}?api-version=...
AZURE_PATH = re.compile(r"^/openai/deployments/([^/]+)/(chat/completions|embeddings)$")

# A test's per-request marker in a request body (any provider's wire format carries the prompt
# text): counted per marker, so a test can tell which requests reached this fake.
MARKER = re.compile(rb"edge-marker:([A-Za-z0-9_.-]{1,64})")

STATS_KEYS = ("connections_opened", "connections_active", "requests", "active_streams",
              "streams_completed", "streams_cancelled", "streams_broken")


class Faults:
    """Switches parsed from `model@sw@sw=v...` plus the --fault defaults."""

    def __init__(self, spec=""):
        self.status = 0          # answer with this error status
        self.slow_ms = 0         # delay before the response head
        self.delay_ms = 0        # delay between stream chunks
        self.chunks = DEFAULT_CHUNKS
        self.break_after = -1    # reset the connection after N content chunks
        self.reset = False       # close the connection without answering
        self.hang = False        # never answer
        self.close = False       # answer, then close the connection
        self.tool = False        # answer with a tool call
        self.cached = 0          # prompt_tokens_details.cached_tokens
        self.azure_filter = False   # first stream chunk: Azure's prompt_filter_results chunk
        self.retry_ms = 0        # Azure 429: only `retry-after-ms: N`, no Retry-After
        self.comments = 0        # SSE comment events (16 KiB each) before a stream's first event
        self.apply(spec)

    def apply(self, spec):
        for sw in filter(None, spec.replace(",", "@").split("@")):
            name, _, value = sw.partition("=")
            if name.isdigit():
                self.status = int(name)
            elif name == "status":
                self.status = int(value)
            elif name == "slow":
                self.slow_ms = int(value)
            elif name == "delay":
                self.delay_ms = int(value)
            elif name == "chunks":
                self.chunks = max(0, int(value))
            elif name == "break":
                self.break_after = int(value)
            elif name in ("reset", "hang", "close", "tool", "azure_filter"):
                setattr(self, name, True)
            elif name == "cached":
                self.cached = int(value)
            elif name == "retry_ms":
                self.retry_ms = int(value)
            elif name == "comments":
                self.comments = max(0, int(value))
            else:
                raise ValueError("unknown fault switch %r" % sw)
        return self


def split_model(model, default_faults):
    """'gpt-4o-mini@429@delay=5' -> ('gpt-4o-mini', Faults)."""
    base, _, switches = model.partition("@")
    faults = Faults(default_faults)
    faults.apply(switches)
    return base, faults


def words(value):
    """Whitespace-separated words in a message content (string or list of parts)."""
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        n = 0
        for part in value:
            if isinstance(part, str):
                n += len(part.split())
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                n += len(part["text"].split())
        return n
    return 0


def sse_data(obj):
    """One `data:` SSE event of compact JSON."""
    return ("data: " + json.dumps(obj, separators=(",", ":")) + "\n\n").encode()


def sse_event(kind, obj):
    """One SSE event with an `event:` line, as Anthropic and the Responses API send them."""
    return ("event: %s\ndata: %s\n\n" % (kind, json.dumps(obj, separators=(",", ":")))).encode()


def error_body(message, etype, code=None, param=None):
    return {"error": {"message": message, "type": etype, "param": param, "code": code}}


def azure_error_body(code, message):
    """Azure OpenAI's own error shape (its gateway's errors: auth, quota, deployments)."""
    return {"error": {"code": str(code), "message": message}}


# The content-filter annotations Azure adds to prompts and choices (default filtering on).
AZURE_FILTER_RESULTS = {k: {"filtered": False, "severity": "safe"}
                        for k in ("hate", "self_harm", "sexual", "violence")}
AZURE_PROMPT_FILTER = [{"prompt_index": 0, "content_filter_results": AZURE_FILTER_RESULTS}]


ERRORS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", None),
    503: ("server_error", None),
    529: ("overloaded_error", None),
}

class FakeOpenAI:
    def __init__(self, default_faults):
        self.default_faults = default_faults
        self.stats = dict.fromkeys(STATS_KEYS, 0)
        self.last_request = None
        self.recent = []          # the last 100 requests, oldest first
        self.markers = {}         # edge-marker:<m> in request bodies -> requests that carried it
        self.counter = 0
        self.response_ids = {}    # the Responses API ids given out (previous_response_id)

    async def on_connection(self, reader, writer):
        self.stats["connections_opened"] += 1
        self.stats["connections_active"] += 1
        try:
            await Connection(self, reader, writer).serve()
        finally:
            self.stats["connections_active"] -= 1

    def record(self, req):
        body = req.body.decode("utf-8", "replace")
        entry = {"method": req.method, "path": req.path,
                 "headers": {k.lower(): v for k, v in req.headers}, "body": body}
        self.last_request = entry
        self.recent.append(entry)
        del self.recent[:-100]
        for m in MARKER.findall(req.body):
            m = m.decode()
            self.markers[m] = self.markers.get(m, 0) + 1

    async def handle(self, conn, req):
        """Answers one request; returns whether the connection stays open."""
        path = req.path.split("?")[0]
        keep = req.keep_alive()
        if path.startswith("/_fake/"):
            return self.control(conn, req, path, keep)
        self.stats["requests"] += 1
        self.record(req)
        azure = AZURE_PATH.match(path)
        if azure:
            return await self.handle_azure(conn, req, azure, keep)
        auth = req.header("authorization") or ""
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            conn.send(401, error_body("Incorrect API key provided.", "invalid_request_error",
                                      "invalid_api_key"), keep_alive=keep)
            return keep
        if path == "/v1/models" and req.method == "GET":
            conn.send(200, self.models(), keep_alive=keep)
            return keep
        if path not in ("/v1/chat/completions", "/v1/embeddings", "/v1/responses"):
            conn.send(404, error_body("Unknown request URL: %s %s" % (req.method, path),
                                      "invalid_request_error", "unknown_url"), keep_alive=keep)
            return keep
        if req.method != "POST":
            conn.send(405, error_body("Method not allowed", "invalid_request_error"),
                      keep_alive=keep)
            return keep
        body = self.read_json(conn, req, keep)
        if body is None:
            return keep
        model = body.get("model")
        if not isinstance(model, str) or not model:
            conn.send(400, error_body("you must provide a model parameter",
                                      "invalid_request_error"), keep_alive=keep)
            return keep
        return await self.answer_openai(conn, req, path, body, model, keep)

    async def handle_azure(self, conn, req, match, keep):
        """Azure OpenAI: the deployment in the path (fault switches on it), `api-key` auth."""
        if not (req.header("api-key") or "").strip():
            conn.send(401, azure_error_body(401, "Access denied due to invalid subscription key "
                                            "or wrong API endpoint. Make sure to provide a valid "
                                            "key for an active subscription and use a correct "
                                            "regional API endpoint for your resource."),
                      keep_alive=keep)
            return keep
        query = urllib.parse.parse_qs(req.path.partition("?")[2])
        if not query.get("api-version", [""])[0]:
            conn.send(400, azure_error_body("BadRequest", "Missing required query parameter "
                                            "'api-version'."), keep_alive=keep)
            return keep
        if req.method != "POST":
            conn.send(405, azure_error_body(405, "Method not allowed"), keep_alive=keep)
            return keep
        body = self.read_json(conn, req, keep)
        if body is None:
            return keep
        deployment = urllib.parse.unquote(match.group(1))
        return await self.answer_openai(conn, req, "/v1/" + match.group(2), body, deployment,
                                        keep, azure=True)

    @staticmethod
    def read_json(conn, req, keep):
        """The request body as a JSON object, or None once a 400 was sent."""
        try:
            body = json.loads(req.body)
            if not isinstance(body, dict):
                raise ValueError("not an object")
            return body
        except ValueError as e:
            conn.send(400, error_body("We could not parse the JSON body of your request. (%s)"
                                      % e, "invalid_request_error"), keep_alive=keep)
            return None

    async def answer_openai(self, conn, req, path, body, model, keep, azure=False):
        """Chat or embeddings for `model` (with its fault switches)."""
        try:
            base, faults = split_model(model, self.default_faults)
        except ValueError as e:
            conn.send(400, error_body(str(e), "invalid_request_error"), keep_alive=keep)
            return keep
        keep = keep and not faults.close
        if not await self.before_answer(conn, faults):
            return False
        if faults.status:
            self.send_fault(conn, faults, base, keep, azure)
            return keep
        if path == "/v1/embeddings":
            conn.send(200, self.embeddings(body, base), keep_alive=keep)
            return keep
        if path == "/v1/responses":
            return await self.answer_responses(conn, req, body, model, base, faults, keep)
        if body.get("stream") is True:
            return await self.stream(conn, req, body, model, base, faults, keep, azure)
        conn.send(200, self.completion(body, model, base, faults, azure), keep_alive=keep)
        return keep

    @staticmethod
    async def before_answer(conn, faults):
        """The switches that act before any answer (@hang, @slow, @reset); False when the
        connection is finished with."""
        if faults.hang:
            while await conn.fill():   # never answer; just notice when the client goes away
                pass
            return False
        if faults.slow_ms:
            await asyncio.sleep(faults.slow_ms / 1000)
        if faults.reset:
            conn.reset()
            return False
        return True

    @staticmethod
    def send_fault(conn, faults, base, keep, azure):
        status = faults.status
        extra = [("Retry-After", "1")] if status == 429 else []
        if azure:
            if status == 429:
                # Azure sends both; @retry_ms=N makes it send only the milliseconds.
                extra = ([("retry-after-ms", str(faults.retry_ms))] if faults.retry_ms
                         else extra + [("retry-after-ms", "1000")])
                message = ("Requests to the ChatCompletions_Create Operation under Azure OpenAI "
                           "API have exceeded call rate limit of your current OpenAI S0 pricing "
                           "tier. Please retry after 1 second.")
            else:
                message = "The server had an error while processing your request."
            conn.send(status, azure_error_body(status, message), extra=extra, keep_alive=keep)
            return
        etype, code = ERRORS.get(status, ("server_error", None))
        message = ("Rate limit reached for %s. Please try again in 1s." % base
                   if status == 429 else
                   "The server had an error while processing your request.")
        conn.send(status, error_body(message, etype, code), extra=extra, keep_alive=keep)

    def control(self, conn, req, path, keep):
        if path == "/_fake/stats":
            conn.send(200, self.stats, keep_alive=keep)
        elif path == "/_fake/last_request":
            conn.send(200, self.last_request or {}, keep_alive=keep)
        elif path == "/_fake/requests":
            conn.send(200, self.recent, keep_alive=keep)
        elif path == "/_fake/markers":
            conn.send(200, self.markers, keep_alive=keep)
        elif path == "/_fake/reset" and req.method == "POST":
            for k in STATS_KEYS:
                if k not in ("connections_active", "active_streams"):
                    self.stats[k] = 0
            self.last_request = None
            self.recent = []
            self.markers = {}
            conn.send(200, {"ok": True}, keep_alive=keep)
        elif path == "/_fake/fault" and req.method == "POST":
            # The --fault switches from now on (the body, e.g. "529" or "429" or ""), so a
            # test can make a running deployment fail, change how, and recover.
            spec = req.body.decode("utf-8", "replace").strip()
            try:
                Faults(spec)
            except ValueError as e:
                conn.send(400, error_body(str(e), "invalid_request_error"), keep_alive=keep)
                return keep
            self.default_faults = spec
            conn.send(200, {"ok": True, "fault": spec}, keep_alive=keep)
        else:
            conn.send(404, error_body("no such control path", "invalid_request_error"),
                      keep_alive=keep)
        return keep

    # ---- answers ----

    def next_id(self, prefix):
        self.counter += 1
        return "%s-fake%d" % (prefix, self.counter)

    def item_id(self, prefix):
        """A Responses API id (`resp_...`, `msg_...`, `fc_...`)."""
        self.counter += 1
        return "%s_fake%d" % (prefix, self.counter)

    @staticmethod
    def pieces(model, n):
        """The reply, one piece per content chunk; completion_tokens = n."""
        return (["model=%s" % model] + [" tok%d" % i for i in range(1, n)])[:n]

    @staticmethod
    def usage(body, completion, faults):
        prompt = sum(words(m.get("content")) for m in body.get("messages") or []
                     if isinstance(m, dict))
        return {"prompt_tokens": prompt, "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": faults.cached, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                              "accepted_prediction_tokens": 0,
                                              "rejected_prediction_tokens": 0}}

    def completion(self, body, model, base, faults, azure=False):
        pieces = self.pieces(model, faults.chunks)
        message = {"role": "assistant", "content": "".join(pieces), "refusal": None}
        finish = "stop"
        if faults.tool:
            message["content"] = None
            message["tool_calls"] = [{"id": "call_fake1", "type": "function", "function": {
                "name": "get_weather", "arguments": "{\"location\":\"Paris\"}"}}]
            finish = "tool_calls"
        answer = {"id": self.next_id("chatcmpl"), "object": "chat.completion",
                  "created": int(time.time()), "model": base,
                  "choices": [{"index": 0, "message": message, "logprobs": None,
                               "finish_reason": finish}],
                  "usage": self.usage(body, len(pieces), faults),
                  "system_fingerprint": "fp_fake"}
        if azure:
            answer["prompt_filter_results"] = AZURE_PROMPT_FILTER
            answer["choices"][0]["content_filter_results"] = AZURE_FILTER_RESULTS
        return answer

    def embeddings(self, body, model):
        inputs = body.get("input")
        if not isinstance(inputs, list) or (inputs and isinstance(inputs[0], int)):
            inputs = [inputs]
        dims = body.get("dimensions") if isinstance(body.get("dimensions"), int) else 8
        dims = max(1, min(dims, 3072))  # as OpenAI's largest; a huge number must not hang the fake
        data, prompt = [], 0
        for i, text in enumerate(inputs):
            n = len(text) if isinstance(text, list) else words(text)
            prompt += n
            data.append({"object": "embedding", "index": i,
                         "embedding": [round(((i + 1) * (d + 1) % 17) / 17 - 0.5, 6)
                                       for d in range(dims)]})
        return {"object": "list", "data": data, "model": model,
                "usage": {"prompt_tokens": prompt, "total_tokens": prompt}}

    @staticmethod
    def models():
        ids = ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"]
        return {"object": "list", "data": [{"id": m, "object": "model", "created": 1700000000,
                                            "owned_by": "fake"} for m in ids]}

    # ---- Responses API ----

    @staticmethod
    def responses_input_words(body):
        """Words in `instructions` and `input` (a string or items: messages with string or
        part content, function_call_output items' `output`)."""
        n = words(body.get("instructions"))
        items = body.get("input")
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, str):
                n += words(item)
            elif isinstance(item, dict):
                n += words(item.get("content")) + words(item.get("output"))
        return n

    def responses_usage(self, body, output, faults):
        prompt = self.responses_input_words(body)
        return {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": faults.cached},
                "output_tokens": output, "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": prompt + output}

    def response_object(self, body, base, resp_id, status, output, usage):
        """A Responses API `response` object as OpenAI returns it (request settings echoed)."""
        return {"id": resp_id, "object": "response", "created_at": int(time.time()),
                "status": status, "background": False, "error": None,
                "incomplete_details": None, "instructions": body.get("instructions"),
                "max_output_tokens": body.get("max_output_tokens"), "model": base,
                "output": output, "parallel_tool_calls": True,
                "previous_response_id": body.get("previous_response_id"),
                "reasoning": {"effort": None, "summary": None},
                "store": body.get("store", True) is not False,
                "temperature": body.get("temperature", 1.0),
                "text": {"format": {"type": "text"}}, "tool_choice": "auto",
                "tools": body.get("tools") or [], "top_p": 1.0, "truncation": "disabled",
                "usage": usage, "user": None, "metadata": body.get("metadata") or {}}

    def response_output(self, model, faults):
        """(the whole output items, the pieces streamed): a message with one output_text
        part, or with @tool one function_call item."""
        if faults.tool:
            return [{"type": "function_call", "id": self.item_id("fc"), "call_id": "call_fake1",
                     "name": "get_weather", "arguments": "".join(TOOL_PIECES),
                     "status": "completed"}], TOOL_PIECES
        pieces = self.pieces(model, faults.chunks)
        part = {"type": "output_text", "annotations": [], "logprobs": [],
                "text": "".join(pieces)}
        return [{"type": "message", "id": self.item_id("msg"), "status": "completed",
                 "role": "assistant", "content": [part]}], pieces

    async def answer_responses(self, conn, req, body, model, base, faults, keep):
        """POST /v1/responses. A `previous_response_id` must name a response this fake gave
        (else 400, as OpenAI answers an unknown one); the body is in last_request."""
        previous = body.get("previous_response_id")
        if previous is not None and previous not in self.response_ids:
            conn.send(400, error_body("Previous response with id '%s' not found." % previous,
                                      "invalid_request_error", "previous_response_not_found",
                                      "previous_response_id"), keep_alive=keep)
            return keep
        resp_id = self.item_id("resp")
        self.response_ids[resp_id] = True
        while len(self.response_ids) > 1000:
            del self.response_ids[next(iter(self.response_ids))]
        output, pieces = self.response_output(model, faults)
        usage = self.responses_usage(body, len(pieces), faults)
        if body.get("stream") is not True:
            conn.send(200, self.response_object(body, base, resp_id, "completed", output, usage),
                      keep_alive=keep)
            return keep
        events = self.responses_events(body, base, resp_id, output, pieces, usage)
        # response.created and response.in_progress go out before any @break.
        return await self.stream_events(conn, req, events, faults, keep, lead=2)

    def responses_events(self, body, base, resp_id, output, pieces, usage):
        """The typed SSE events of one streamed response, as (is_content, bytes)."""
        seq = iter(range(1 << 30))

        def ev(kind, **members):
            return sse_event(kind, dict(type=kind, sequence_number=next(seq), **members))

        item = output[0]
        started = dict(item, status="in_progress")
        where = {"item_id": item["id"], "output_index": 0}
        yield False, ev("response.created", response=self.response_object(
            body, base, resp_id, "in_progress", [], None))
        yield False, ev("response.in_progress", response=self.response_object(
            body, base, resp_id, "in_progress", [], None))
        if item["type"] == "function_call":
            yield False, ev("response.output_item.added", output_index=0,
                            item=dict(started, arguments=""))
            for piece in pieces:
                yield True, ev("response.function_call_arguments.delta", delta=piece, **where)
            yield False, ev("response.function_call_arguments.done",
                            arguments=item["arguments"], **where)
        else:
            part = item["content"][0]
            yield False, ev("response.output_item.added", output_index=0,
                            item=dict(started, content=[]))
            yield False, ev("response.content_part.added", content_index=0,
                            part=dict(part, text=""), **where)
            for piece in pieces:
                yield True, ev("response.output_text.delta", content_index=0, delta=piece,
                               logprobs=[], **where)
            yield False, ev("response.output_text.done", content_index=0, text=part["text"],
                            logprobs=[], **where)
            yield False, ev("response.content_part.done", content_index=0, part=part, **where)
        yield False, ev("response.output_item.done", output_index=0, item=item)
        yield False, ev("response.completed", response=self.response_object(
            body, base, resp_id, "completed", output, usage))

    def chat_events(self, body, model, base, faults, azure=False):
        """The SSE chunks of one streamed chat completion, in order, as (is_content, bytes)."""
        options = body.get("stream_options") or {}
        with_usage = isinstance(options, dict) and options.get("include_usage") is True
        cid, created = self.next_id("chatcmpl"), int(time.time())

        def event(choices, usage=None):
            c = {"id": cid, "object": "chat.completion.chunk", "created": created,
                 "model": base, "system_fingerprint": "fp_fake", "choices": choices}
            if with_usage:
                c["usage"] = usage
            return sse_data(c)

        def choice(delta, finish=None):
            c = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            if azure:
                c["content_filter_results"] = AZURE_FILTER_RESULTS if delta else {}
            return [c]

        if faults.azure_filter:
            # Azure's first chunk: no choices, no id or model, the prompt's filter results.
            yield False, sse_data({"choices": [], "created": 0, "id": "", "model": "",
                                   "object": "", "prompt_filter_results": AZURE_PROMPT_FILTER})
        pieces = self.pieces(model, faults.chunks)
        if faults.tool:
            yield False, event(choice({"role": "assistant", "content": None, "tool_calls": [
                {"index": 0, "id": "call_fake1", "type": "function",
                 "function": {"name": "get_weather", "arguments": ""}}]}))
            pieces = TOOL_PIECES
        else:
            yield False, event(choice({"role": "assistant", "content": "", "refusal": None}))
        for piece in pieces:
            delta = ({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
                     if faults.tool else {"content": piece})
            yield True, event(choice(delta))
        yield False, event(choice({}, "tool_calls" if faults.tool else "stop"))
        if with_usage:
            yield False, event([], self.usage(body, len(pieces), faults))
        yield False, b"data: [DONE]\n\n"

    async def stream(self, conn, req, body, model, base, faults, keep, azure=False):
        events = self.chat_events(body, model, base, faults, azure)
        # The role chunk (after Azure's filter chunk) goes out before any @break.
        return await self.stream_events(conn, req, events, faults, keep,
                                        lead=2 if faults.azure_filter else 1)

    async def stream_events(self, conn, req, events, faults, keep,
                            content_type="text/event-stream; charset=utf-8", extra=(), lead=1,
                            outcome_if_whole="streams_completed"):
        """Sends `events` ((is_content, bytes) pairs, in order) as the body of a 200 answer,
        chunked for HTTP/1.1 and close-delimited for HTTP/1.0, and counts the stream in the
        stats: `outcome_if_whole` when all went out, streams_cancelled when the client went
        away (noticed between events), streams_broken for @break. Every fake's streams go
        through here, so the switches act alike: @delay=MS waits before each content event;
        @break=N resets the connection after N content events (all of them if there are
        fewer, so before any closing events, or at the very end), but never before the first
        `lead` events. @comments=N sends N SSE comment events of 16 KiB before the first event
        (SSE streams only). `extra` adds (name, value) headers. Returns whether the connection
        stays open."""
        events = list(events)
        chunked = req.version == "HTTP/1.1"
        keep = keep and chunked
        head = ["HTTP/1.1 200 OK", "Content-Type: " + content_type]
        if content_type.startswith("text/event-stream"):
            head.append("Cache-Control: no-cache")
        head += ["%s: %s" % kv for kv in extra]
        head.append("Connection: " + ("keep-alive" if keep else "close"))
        if chunked:
            head.append("Transfer-Encoding: chunked")
        conn.writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        break_at = -1
        if faults.break_after >= 0:
            break_at = min(faults.break_after, sum(1 for c, _ in events if c))
        # Watch for the client going away while we stream (it sends nothing meanwhile).
        watcher = asyncio.ensure_future(conn.fill())
        self.stats["active_streams"] += 1
        outcome = "streams_cancelled"
        try:
            if content_type.startswith("text/event-stream"):
                for _ in range(faults.comments):
                    if watcher.done() and (conn.eof or watcher.exception()):
                        raise ConnectionResetError
                    conn.writer.write(b"%x\r\n%s\r\n" % (len(COMMENT_EVENT), COMMENT_EVENT)
                                      if chunked else COMMENT_EVENT)
                    await conn.writer.drain()
            sent = 0   # content events
            for i, (is_content, data) in enumerate(events):
                if i >= lead and sent == break_at:
                    break
                if is_content:
                    if faults.delay_ms:
                        await asyncio.sleep(faults.delay_ms / 1000)
                    sent += 1
                if watcher.done() and (conn.eof or watcher.exception()):
                    raise ConnectionResetError
                conn.writer.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                await conn.writer.drain()
            if break_at >= 0:
                outcome = "streams_broken"
                conn.reset()
                return False
            if chunked:
                conn.writer.write(b"0\r\n\r\n")
            await conn.writer.drain()
            outcome = outcome_if_whole
            return keep
        except (ConnectionError, asyncio.CancelledError):
            outcome = "streams_cancelled"
            raise
        finally:
            self.stats["active_streams"] -= 1
            self.stats[outcome] += 1
            if not watcher.done():
                # Wait for the cancellation to land: the reader allows one waiter only.
                watcher.cancel()
                await asyncio.wait([watcher])
            if not watcher.cancelled():
                watcher.exception()   # retrieved, so asyncio does not log it


if __name__ == "__main__":
    run_fake(lambda args: FakeOpenAI(args.fault), Faults, "'500' or 'delay=20@chunks=50'")
