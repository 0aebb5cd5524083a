// Calls a running llm-edge node with an official SDK and prints what the SDK understood, as
// one JSON line, for the end-to-end tests (tests/e2e/sdk_test.cc) to check.
//
//   node client.mjs <openai-chat|openai-responses|anthropic-messages> <base_url> <key> <model> [stream]
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";

const [kind, baseURL, apiKey, model, mode] = process.argv.slice(2);
const stream = mode === "stream";
const prompt = "Say hello to the edge";
const tools = process.env.EDGE_SDK_TOOLS === "1";

async function openaiChat() {
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey, maxRetries: 0 });
  const params = { model, messages: [{ role: "user", content: prompt }] };
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

async function openaiResponses() {
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey, maxRetries: 0 });
  const params = { model, input: prompt, instructions: "Be brief.", max_output_tokens: 200 };
  if (!stream) {
    const r = await client.responses.create(params);
    return { text: r.output_text, status: r.status,
             input_tokens: r.usage?.input_tokens, output_tokens: r.usage?.output_tokens };
  }
  const s = await client.responses.create({ ...params, stream: true });
  let text = "", usage = null, types = [];
  for await (const ev of s) {
    types.push(ev.type);
    if (ev.type === "response.output_text.delta") text += ev.delta;
    if (ev.type === "response.completed") usage = ev.response.usage;
  }
  return { text, events: [...new Set(types)], input_tokens: usage?.input_tokens, output_tokens: usage?.output_tokens };
}

async function anthropicMessages() {
  const client = new Anthropic({ baseURL, apiKey, maxRetries: 0 });
  const params = { model, max_tokens: 256, system: "Be brief.", messages: [{ role: "user", content: prompt }] };
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

const run = { "openai-chat": openaiChat, "openai-responses": openaiResponses,
              "anthropic-messages": anthropicMessages }[kind];
try {
  console.log(JSON.stringify({ ok: true, ...(await run()) }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, status: e.status ?? null, error: String(e?.message ?? e) }));
  process.exitCode = 1;
}
