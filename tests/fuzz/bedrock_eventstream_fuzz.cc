// Bedrock's event-stream decoder and ConverseStream decoder on arbitrary bytes cut at
// arbitrary points. The first byte picks the split pattern and the input's form:
// - raw (bit 0x40 clear): the rest is fed as it is, so framing, lengths and CRCs are fuzzed;
// - framed (bit 0x40 set): the rest is split on 0x1e into records, each framed with valid
//   CRCs as one message (its first byte picks the event type, or an exception), so that the
//   JSON payloads behind the CRCs are fuzzed too.
// Checks: never crashes; split and whole feeding agree message for message and delta for
// delta, on errors and on what the decoder still holds.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "providers/bedrock/adapter.h"
#include "providers/bedrock/eventstream.h"

namespace {

using edge::Status;
using edge::providers::StreamDelta;
using edge::providers::bedrock::EncodeEventMessage;
using edge::providers::bedrock::EventMessage;
using edge::providers::bedrock::EventStreamDecoder;

void Check(bool ok) {
  if (!ok) std::abort();
}

constexpr size_t kLimit = 4096;  // small, so that the over-limit path is reached too

struct Frames {
  std::vector<std::string> messages;  // headers and payload, flattened
  bool ok = true;
  size_t pending = 0;
};

std::string Flatten(const EventMessage& m) {
  std::string s;
  for (const auto& h : m.headers) {
    s.append(h.name).push_back('\0');
    s.push_back(static_cast<char>(h.type));
    s.append(h.bytes).append(std::to_string(h.number)).push_back('\0');
  }
  return s.append("|").append(m.payload);
}

// Feeds `in` in pieces whose sizes cycle through `steps`.
Frames DecodeFrames(std::string_view in, const std::vector<size_t>& steps) {
  EventStreamDecoder decoder(kLimit);
  Frames f;
  size_t pos = 0, k = 0;
  while (pos < in.size() && f.ok) {
    const size_t n = std::min(in.size() - pos, steps[k++ % steps.size()]);
    f.ok = decoder
               .Feed(in.substr(pos, n),
                     [&](const EventMessage& m) {
                       f.messages.push_back(Flatten(m));
                       return Status::Ok();
                     })
               .ok();
    pos += n;
  }
  f.pending = decoder.pending();
  return f;
}

std::string Describe(const StreamDelta& d) {
  return std::to_string(static_cast<int>(d.kind)) + "/" + std::to_string(d.index) + "/" + d.text +
         "/" + d.tool_id + "/" + d.tool_name + "/" + d.finish_reason + "/" +
         std::to_string(d.usage.input_tokens) + "/" + std::to_string(d.usage.output_tokens) + "/" +
         std::to_string(d.usage.cached_input_tokens);
}

std::string Stream(std::string_view in, const std::vector<size_t>& steps) {
  auto decoder = edge::providers::bedrock::BedrockAdapter().NewStreamDecoder();
  std::vector<StreamDelta> deltas;
  Status status;
  size_t pos = 0, k = 0;
  while (pos < in.size() && status.ok()) {
    const size_t n = std::min(in.size() - pos, steps[k++ % steps.size()]);
    status = decoder->Feed(in.substr(pos, n), &deltas);
    pos += n;
  }
  if (status.ok()) status = decoder->Finish(&deltas);
  std::string out = status.ok() ? "ok" : "failed";
  for (const StreamDelta& d : deltas) out.append("\n").append(Describe(d));
  if (decoder->error()) {
    const auto& e = *decoder->error();
    out.append("\nerror ").append(std::to_string(e.status)).append(e.type).append(e.message);
    Check(!e.message.empty() && e.status >= 400);
  }
  return out;
}

// Framed mode: each record becomes one valid message.
std::string FrameRecords(std::string_view in) {
  static const char* const kTypes[] = {"messageStart",     "contentBlockStart", "contentBlockDelta",
                                       "contentBlockStop", "messageStop",       "metadata",
                                       "somethingNew"};
  std::string out;
  size_t pos = 0;
  while (pos <= in.size()) {
    size_t end = in.find('\x1e', pos);
    if (end == std::string_view::npos) end = in.size();
    std::string_view rec = in.substr(pos, end - pos);
    pos = end + 1;
    if (rec.empty()) continue;
    const uint8_t pick = static_cast<uint8_t>(rec[0]) % 9;
    // Cut so that every message stays under kLimit: these frames must all decode.
    const std::string payload(rec.substr(1, pick == 8 ? 200 : 2048));
    if (pick == 7) {
      out += EncodeEventMessage(
          {{":exception-type", "throttlingException"}, {":message-type", "exception"}}, payload);
    } else if (pick == 8) {
      out += EncodeEventMessage({{":message-type", "error"}, {":error-code", payload}}, "");
    } else {
      out +=
          EncodeEventMessage({{":event-type", kTypes[pick]}, {":message-type", "event"}}, payload);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string framed = (mode & 0x40) ? FrameRecords(rest) : std::string();
  const std::string_view in = (mode & 0x40) ? std::string_view(framed) : rest;
  const std::vector<size_t> whole = {in.size() + 1};
  const std::vector<size_t> steps = {static_cast<size_t>(mode % 7) + 1, 1,
                                     static_cast<size_t>((mode >> 3) & 7) * 5 + 2};

  Frames a = DecodeFrames(in, whole);
  Frames b = DecodeFrames(in, steps);
  Check(a.ok == b.ok && a.messages == b.messages);
  if (a.ok) Check(a.pending == b.pending);
  if (mode & 0x40) Check(a.ok && a.pending == 0);  // frames we built ourselves are valid

  Check(Stream(in, whole) == Stream(in, steps));
  return 0;
}
