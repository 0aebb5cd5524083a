#!/usr/bin/python3
"""A fake Gemini API (generativelanguage v1beta) for llm-edge's tests: Python 3 stdlib only.

It speaks the real wire format (generateContent; streamGenerateContent as SSE with
`?alt=sse`, else as one JSON array; every stream chunk carries the CUMULATIVE usageMetadata;
batchEmbedContents; models) and validates requests the way the real API does where
translation bugs would show: the x-goog-api-key header (or ?key=), unknown members refused
as protobuf JSON does ("Unknown name"), roles user/model only, non-empty parts with exactly
one kind of data, base64 inlineData, named functionResponses, parameters and
parametersJsonSchema never both. The HTTP/1.1 machinery, the fault switches and the
/_fake/ control paths are fake_openai.py's, imported. See README.md.

First stdout line: `LISTENING <port>`.
"""

import base64
import binascii
import json
import os
import re
import sys
import urllib.parse

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_openai import FakeOpenAI, Faults, run_fake  # noqa: E402

# /v1beta/models/{model}:{method}; also tunedModels/ and the v1 surface.
MODEL_PATH = re.compile(r"^/(v1beta|v1)/((?:models|tunedModels)/[^/:]+):([A-Za-z]+)$")

# Fault status -> google.rpc status name, as the API reports them.
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED",
                500: "INTERNAL", 501: "NOT_IMPLEMENTED", 503: "UNAVAILABLE",
                504: "DEADLINE_EXCEEDED"}
MESSAGES = {
    429: "You exceeded your current quota, please check your plan and billing details. For "
         "more information on this error, head to: https://ai.google.dev/gemini-api/docs/"
         "rate-limits.",
    500: "An internal error has occurred. Please retry or report in "
         "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}

REQUEST_MEMBERS = {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig",
                   "safetySettings", "cachedContent"}
GENERATION_MEMBERS = {"stopSequences", "responseMimeType", "responseSchema",
                      "responseJsonSchema", "responseModalities", "candidateCount",
                      "maxOutputTokens", "temperature", "topP", "topK", "seed",
                      "presencePenalty", "frequencyPenalty", "responseLogprobs", "logprobs",
                      "enableEnhancedCivicAnswers", "speechConfig", "thinkingConfig",
                      "mediaResolution"}
PART_KINDS = {"text", "inlineData", "functionCall", "functionResponse", "fileData",
              "executableCode", "codeExecutionResult"}
PART_MEMBERS = PART_KINDS | {"thought", "thoughtSignature", "videoMetadata"}
DECLARATION_MEMBERS = {"name", "description", "parameters", "parametersJsonSchema", "response",
                       "responseJsonSchema", "behavior"}
TOOL_ARGS = {"location": "Paris"}
# @signatures: the thoughtSignature of the fake's function calls (standard base64, with the
# '+', '/' and '=' that a gateway must carry faithfully).
SIGNATURE = "CiQB0e2Kb+xT/9aK3Vq8YwQ1Zm9vYmFy++++Qgk="


class GeminiFaults(Faults):
    """fake_openai's switches plus @thoughts=K, @unavailable_in_stream and @signatures."""

    def __init__(self, spec=""):
        self.thoughts = 0                  # usageMetadata.thoughtsTokenCount
        self.unavailable_in_stream = False  # an UNAVAILABLE error event after the first chunk
        self.signatures = False            # Gemini 3: signed function calls, required back
        super().__init__(spec)

    def apply(self, spec):
        rest = []
        for sw in filter(None, spec.replace(",", "@").split("@")):
            name, _, value = sw.partition("=")
            if name == "thoughts":
                self.thoughts = int(value)
            elif name == "unavailable_in_stream":
                self.unavailable_in_stream = True
            elif name == "signatures":
                self.signatures = True
            else:
                rest.append(sw)
        return super().apply("@".join(rest))


class Invalid(Exception):
    """A request the real API would refuse with 400 INVALID_ARGUMENT."""


def unknown(name):
    return Invalid('Invalid JSON payload received. Unknown name "%s": Cannot find field.' % name)


def check_members(obj, allowed, where):
    if not isinstance(obj, dict):
        raise Invalid("%s must be an object" % (where or "the request"))
    for k in obj:
        if k not in allowed:
            raise unknown(k)


def check_parts(parts, where):
    if not isinstance(parts, list) or not parts:
        raise Invalid("%s.parts must not be empty" % where)
    for part in parts:
        check_members(part, PART_MEMBERS, "")
        kinds = [k for k in part if k in PART_KINDS]
        if len(kinds) != 1:
            raise Invalid("%s: a part must hold exactly one kind of data, got %s" % (where, kinds))
        kind = kinds[0]
        value = part[kind]
        if kind == "text" and not isinstance(value, str):
            raise Invalid("%s: text must be a string" % where)
        if kind == "inlineData":
            if not isinstance(value, dict) or not value.get("mimeType"):
                raise Invalid("%s: inlineData needs mimeType and data" % where)
            try:
                base64.b64decode(value.get("data") or "", validate=True)
            except (binascii.Error, ValueError):
                raise Invalid("%s: inlineData.data is not valid base64" % where)
        if kind == "functionCall" and (not isinstance(value, dict) or not value.get("name")
                                       or not isinstance(value.get("args", {}), dict)):
            raise Invalid("%s: functionCall needs a name and object args" % where)
        if kind == "functionResponse" and (not isinstance(value, dict) or not value.get("name")
                                           or not isinstance(value.get("response"), dict)):
            raise Invalid("%s: functionResponse needs a name and an object response" % where)


def check_function_turns(contents):
    """Every function-call turn is answered by the next turn, one response per call."""
    for i, content in enumerate(contents):
        calls = sum(1 for p in content["parts"] if "functionCall" in p)
        if not calls or i + 1 == len(contents):
            continue
        responses = sum(1 for p in contents[i + 1]["parts"] if "functionResponse" in p)
        if responses != calls:
            raise Invalid("Please ensure that the number of function response parts is equal "
                          "to the number of function call parts of the function call turn.")


def check_signatures(contents):
    """As Gemini 3: in the current turn (after the last user content with text), the first
    functionCall part of every model content must carry the signature it was given."""
    start = 0
    for i, content in enumerate(contents):
        if content.get("role", "user") == "user" and any("text" in p for p in content["parts"]):
            start = i
    for i in range(start, len(contents)):
        calls = [p for p in contents[i]["parts"] if "functionCall" in p]
        if contents[i].get("role") != "model" or not calls:
            continue
        signature = calls[0].get("thoughtSignature")
        if signature is None:
            raise Invalid("Function call is missing a thought_signature in functionCall parts. "
                          "This is required for tools to work correctly, and missing "
                          "thought_signature may lead to degraded model performance. Additional "
                          "data, function call `default_api:%s` , position %d. Please refer to "
                          "https://ai.google.dev/gemini-api/docs/thought-signatures for more "
                          "details." % (calls[0]["functionCall"]["name"], i + 1))
        if signature != SIGNATURE:
            raise Invalid("Corrupted thought signature.")


def validate(body):
    check_members(body, REQUEST_MEMBERS, "")
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise Invalid("* GenerateContentRequest.contents: contents is not specified")
    for i, content in enumerate(contents):
        check_members(content, {"role", "parts"}, "")
        if content.get("role", "user") not in ("user", "model"):
            raise Invalid("Please use a valid role: user, model.")
        check_parts(content.get("parts"), "contents[%d]" % i)
    check_function_turns(contents)
    if "systemInstruction" in body:
        check_members(body["systemInstruction"], {"role", "parts"}, "")
        check_parts(body["systemInstruction"].get("parts"), "systemInstruction")
    if "generationConfig" in body:
        check_members(body["generationConfig"], GENERATION_MEMBERS, "")
    for tool in body.get("tools") or []:
        check_members(tool, {"functionDeclarations", "googleSearch", "codeExecution",
                             "urlContext", "googleSearchRetrieval"}, "")
        for decl in tool.get("functionDeclarations") or []:
            check_members(decl, DECLARATION_MEMBERS, "")
            if not decl.get("name"):
                raise Invalid("* GenerateContentRequest.tools[0].function_declarations[0].name: "
                              "[FIELD_INVALID] Invalid function name.")
            if "parameters" in decl and "parametersJsonSchema" in decl:
                raise Invalid("parameters and parametersJsonSchema are mutually exclusive")


def words(value):
    return len(value.split()) if isinstance(value, str) else 0


def prompt_words(body):
    n = 0
    contents = list(body.get("contents") or [])
    if isinstance(body.get("systemInstruction"), dict):
        contents.append(body["systemInstruction"])
    for content in contents:
        for part in content.get("parts") or []:
            if isinstance(part, dict):
                n += words(part.get("text"))
                response = (part.get("functionResponse") or {}).get("response")
                if isinstance(response, dict):   # tool results count, as in fake_openai
                    n += words(response.get("content"))
    return n


def error_body(status, message, details=None):
    err = {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}
    if details:
        err["details"] = details
    return {"error": err}


class FakeGemini(FakeOpenAI):
    def __init__(self, default_faults):
        super().__init__(default_faults)
        self.stats["streams_errored"] = 0   # @unavailable_in_stream: ended by an error event

    def error(self, conn, status, message, keep, details=None):
        conn.send(status, error_body(status, message, details), keep_alive=keep)
        return keep

    def control(self, conn, req, path, keep):
        if path == "/_fake/reset" and req.method == "POST":
            self.stats["streams_errored"] = 0
        return super().control(conn, req, path, keep)

    async def handle(self, conn, req):
        """Answers one request; returns whether the connection stays open."""
        path, _, query = req.path.partition("?")
        params = urllib.parse.parse_qs(query)
        keep = req.keep_alive()
        if path.startswith("/_fake/"):
            return self.control(conn, req, path, keep)
        self.stats["requests"] += 1
        self.record(req)
        key = (req.header("x-goog-api-key") or params.get("key", [""])[0]).strip()
        if not key:
            return self.error(conn, 403, "Method doesn't allow unregistered callers (callers "
                              "without established identity). Please use API Key or other "
                              "form of API consumer identity to call this API.", keep)
        if path in ("/v1beta/models", "/v1/models") and req.method == "GET":
            conn.send(200, self.models(), keep_alive=keep)
            return keep
        m = MODEL_PATH.match(path)
        if not m or req.method != "POST" or m.group(3) not in (
                "generateContent", "streamGenerateContent", "batchEmbedContents"):
            return self.error(conn, 404, "Not found: %s %s" % (req.method, path), keep)
        model_name = urllib.parse.unquote(m.group(2))   # "models/gemini-2.5-flash@429"
        model_id = model_name.split("/", 1)[1]
        base, _, switches = model_id.partition("@")
        try:
            body = json.loads(req.body)
            faults = GeminiFaults(self.default_faults).apply(switches)
            if m.group(3) == "batchEmbedContents":
                vectors = self.embed(body, model_name)
            else:
                validate(body)
                if faults.signatures:
                    check_signatures(body["contents"])
        except (ValueError, Invalid, AttributeError, TypeError) as e:
            return self.error(conn, 400, str(e) or "Invalid request", keep)
        return await self.answer(conn, req, m.group(3), params, body, model_id, base, faults,
                                 keep, vectors if m.group(3) == "batchEmbedContents" else None)

    async def answer(self, conn, req, method, params, body, model, base, faults, keep, vectors):
        keep = keep and not faults.close
        if not await self.before_answer(conn, faults):
            return False
        if faults.status:
            details = None
            if faults.status == 429:   # Gemini says when to retry in the body, not a header
                details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                            "retryDelay": "1s"}]
            return self.error(conn, faults.status,
                              MESSAGES.get(faults.status, "Request failed."), keep, details)
        if method == "batchEmbedContents":
            conn.send(200, {"embeddings": [{"values": v} for v in vectors]}, keep_alive=keep)
            return keep
        if method == "streamGenerateContent":
            return await self.stream(conn, req, params, body, model, base, faults, keep)
        chunks = list(self.chunks(body, model, base, faults, self.next_id("resp")))
        conn.send(200, self.merge(chunks), keep_alive=keep)
        return keep

    # ---- answers ----

    def embed(self, body, model_name):
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise Invalid("* BatchEmbedContentsRequest.requests: requests is not specified")
        vectors = []
        for i, r in enumerate(requests):
            check_members(r, {"model", "content", "taskType", "title", "outputDimensionality"},
                          "")
            if r.get("model") != model_name.partition("@")[0] and r.get("model") != model_name:
                raise Invalid("Model name in request (%s) does not match the model in the URL "
                              "(%s)." % (r.get("model"), model_name))
            check_parts((r.get("content") or {}).get("parts"), "requests[%d].content" % i)
            dims = r.get("outputDimensionality") or 8
            vectors.append([round(((i + 1) * (d + 1) % 17) / 17 - 0.5, 6) for d in range(dims)])
        return vectors

    def usage(self, body, output, faults):
        prompt = prompt_words(body)
        u = {"promptTokenCount": prompt, "totalTokenCount": prompt + output + faults.thoughts,
             "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}]}
        if output:
            u["candidatesTokenCount"] = output
        if faults.thoughts:
            u["thoughtsTokenCount"] = faults.thoughts
        if faults.cached:
            u["cachedContentTokenCount"] = faults.cached
        return u

    def chunks(self, body, model, base, faults, resp_id):
        """The stream's GenerateContentResponse chunks, each with cumulative usage."""
        if faults.tool:
            pieces = [{"functionCall": {"name": "get_weather", "args": TOOL_ARGS}}]
            if faults.signatures:
                pieces[0]["thoughtSignature"] = SIGNATURE
        else:
            pieces = [{"text": t} for t in self.pieces(model, faults.chunks)]
        if not pieces:
            pieces = [{"text": ""}]
        for i, part in enumerate(pieces):
            candidate = {"content": {"parts": [part], "role": "model"}, "index": 0}
            if i == len(pieces) - 1:
                candidate["finishReason"] = "STOP"
            output = i + 1 if faults.chunks or faults.tool else 0
            yield {"candidates": [candidate], "usageMetadata": self.usage(body, output, faults),
                   "modelVersion": base, "responseId": resp_id}

    @staticmethod
    def merge(chunks):
        """The non-stream answer: every chunk's parts, the last chunk's usage and finish."""
        parts = []
        for c in chunks:
            parts += c["candidates"][0]["content"]["parts"]
        text = "".join(p.get("text", "") for p in parts if "text" in p)
        calls = [p for p in parts if "functionCall" in p]
        last = dict(chunks[-1])
        last["candidates"] = [{"content": {"parts": calls or [{"text": text}], "role": "model"},
                               "finishReason": "STOP", "index": 0}]
        return last

    def stream_frames(self, sse, body, model, base, faults):
        """The stream's body, as (is_content, bytes): SSE events, or the pieces of one JSON
        array; with @unavailable_in_stream an error event after the first chunk ends it."""
        def frame(obj, first):
            text = json.dumps(obj, separators=(",", ":"))
            if sse:
                return ("data: " + text + "\r\n\r\n").encode()
            return (("[" if first else ",\r\n") + text).encode()

        for i, chunk in enumerate(self.chunks(body, model, base, faults, self.next_id("resp"))):
            if i > 0 and faults.unavailable_in_stream:
                yield False, frame(error_body(503, MESSAGES[503]), False)
                break
            yield True, frame(chunk, i == 0)
        if not sse:
            yield False, b"]"

    async def stream(self, conn, req, params, body, model, base, faults, keep):
        sse = params.get("alt", [""])[0] == "sse"
        # No lead: @break=0 resets before the first chunk.
        return await self.stream_events(
            conn, req, self.stream_frames(sse, body, model, base, faults), faults, keep,
            content_type="text/event-stream" if sse else "application/json; charset=UTF-8",
            lead=0, outcome_if_whole="streams_errored" if faults.unavailable_in_stream
            else "streams_completed")

    @staticmethod
    def models():
        ids = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-embedding-001"]
        return {"models": [{"name": "models/" + m, "displayName": m, "version": "001",
                            "supportedGenerationMethods": ["generateContent", "countTokens"]}
                           for m in ids]}


if __name__ == "__main__":
    run_fake(lambda args: FakeGemini(args.fault), GeminiFaults, "'429' or 'delay=20@chunks=50'")
