// Calls a running llm-edge node with an official SDK and prints what the SDK understood, as
// one JSON line, for the end-to-end tests to check (tests/e2e/harness/sdk.h runs it).
//
//   node client.mjs <openai-chat|openai-responses|openai-responses-chain|anthropic-messages>
//                   <base_url> <key> <model> [stream|whole] [extra params JSON]
//
// The extra params are merged into the SDK call's (e.g. {"previous_response_id":"resp_1"}).
// openai-responses-chain makes a whole response, then a second call (streamed or not) that
// names the first in previous_response_id, and reports the second with `first_id`.
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";

const [kind, baseURL, apiKey, model, mode, extraJson] = process.argv.slice(2);
const stream = mode === "stream";
const extra = extraJson ? JSON.parse(extraJson) : {};
const prompt = "Say hello to the edge";
const tools = process.env.EDGE_SDK_TOOLS === "1";

async function openaiChat() {
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey, maxRetries: 0 });
  const params = { model, messages: [{ role: "user", content: prompt }], ...extra };
  if (tools) {
    params.tools = [{ type: "function", function: { name: "get_weather", description: "Weather",
      parameters: { type: "object", properties: { city: { type: "string" } } } } }];
  }
  if (!stream) {
    const r = await client.chat.completions.create(params);
    const msg = r.choices[0].message;
    return { text: msg.content ?? "", tool_calls: msg.tool_calls ?? [], finish: r.choices[0].finish_reason,
             input_tokens: r.usage?.prompt_tokens, output_tokens: r.usage?.completion_tokens };
  }
  const s = await client.chat.completions.create({ ...params, stream: true,
                                                   stream_options: { include_usage: true } });
  let text = "", finish = null, usage = null, chunks = 0;
  for await (const chunk of s) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta?.content ?? "";
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  return { text, finish, chunks, input_tokens: usage?.prompt_tokens, output_tokens: usage?.completion_tokens };
}

// What a Responses API client sees of one response object.
function responseSummary(r) {
  // output_text is the SDK's own summary of whole responses; streamed ones have only output.
  const text = r.output_text ?? (r.output ?? []).filter(i => i.type === "message")
    .flatMap(i => i.content).filter(c => c.type === "output_text").map(c => c.text).join("");
  return { id: r.id, status: r.status, model: r.model, text,
           previous_response_id: r.previous_response_id ?? null,
           input_tokens: r.usage?.input_tokens, output_tokens: r.usage?.output_tokens,
           total_tokens: r.usage?.total_tokens,
           cached_tokens: r.usage?.input_tokens_details?.cached_tokens,
           reasoning_tokens: r.usage?.output_tokens_details?.reasoning_tokens };
}

async function openaiResponses(more = {}) {
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey, maxRetries: 0 });
  const params = { model, input: prompt, instructions: "Be brief.", max_output_tokens: 200, ...extra, ...more };
  if (!stream) return responseSummary(await client.responses.create(params));
  const s = await client.responses.create({ ...params, stream: true });
  let text = "", completed = null, types = [], seq = [];
  for await (const ev of s) {
    types.push(ev.type);
    seq.push(ev.sequence_number);
    if (ev.type === "response.output_text.delta") text += ev.delta;
    if (ev.type === "response.completed") completed = ev.response;
  }
  // sequence_number counts the events from 0, one by one.
  const seq_ok = seq.every((n, i) => n === i);
  const summary = completed ? responseSummary(completed) : {};
  return { ...summary, text, completed_text: summary.text ?? null, events: [...new Set(types)],
           first_event: types[0], last_event: types[types.length - 1], seq_ok };
}

async function openaiResponsesChain() {
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey, maxRetries: 0 });
  const first = await client.responses.create({ model, input: prompt, instructions: "Be brief." });
  return { first_id: first.id, ...(await openaiResponses({ previous_response_id: first.id,
                                                           input: "And goodbye", instructions: undefined })) };
}

async function anthropicMessages() {
  const client = new Anthropic({ baseURL, apiKey, maxRetries: 0 });
  const params = { model, max_tokens: 256, system: "Be brief.", messages: [{ role: "user", content: prompt }],
                   ...extra };
  if (!stream) {
    const r = await client.messages.create(params);
    return { text: r.content.filter(b => b.type === "text").map(b => b.text).join(""),
             stop_reason: r.stop_reason, input_tokens: r.usage.input_tokens, output_tokens: r.usage.output_tokens };
  }
  const s = client.messages.stream(params);
  const final = await s.finalMessage();
  return { text: final.content.filter(b => b.type === "text").map(b => b.text).join(""),
           stop_reason: final.stop_reason, input_tokens: final.usage.input_tokens,
           output_tokens: final.usage.output_tokens };
}

const run = { "openai-chat": openaiChat, "openai-responses": () => openaiResponses(),
              "openai-responses-chain": openaiResponsesChain, "anthropic-messages": anthropicMessages }[kind];
try {
  console.log(JSON.stringify({ ok: true, ...(await run()) }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, status: e.status ?? null, error: String(e?.message ?? e) }));
  process.exitCode = 1;
}
