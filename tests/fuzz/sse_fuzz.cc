// SseFramer and ChatStreamRelay on arbitrary bytes cut at arbitrary points. The first byte
// picks the split pattern and whether the client asked for usage. Checks: never crashes;
// split and whole feeding agree event for event; raws concatenate back to the input; the
// relay's output does not depend on the split; and an event the relay rewrote only lost
// bytes, has no null usage left to cut, and, when it was valid JSON, still is and equals the
// input minus its top-level null `usage` members.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "providers/json_tree.h"
#include "providers/openai/openai.h"
#include "providers/sse.h"

namespace {

using edge::providers::SseEvent;
using edge::providers::SseFramer;
using edge::providers::openai::ChatStreamRelay;

constexpr size_t kLimit = 4096;  // small, so that the over-limit path is reached too

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Framed {
  std::vector<std::string> raws, datas;
  bool ok = true;
  size_t dropped = 0;  // the unfinished tail Finish() threw away
};

// Feeds `in` in pieces whose sizes cycle through `steps`.
Framed Frame(std::string_view in, const std::vector<size_t>& steps) {
  SseFramer framer(kLimit);
  Framed f;
  size_t pos = 0, k = 0;
  auto collect = [&](const SseEvent& e) {
    f.raws.emplace_back(e.raw);
    f.datas.emplace_back(e.data);
  };
  while (pos < in.size() && f.ok) {
    const size_t n = std::min(in.size() - pos, steps[k++ % steps.size()]);
    f.ok = framer.Feed(in.substr(pos, n), collect);
    pos += n;
  }
  if (f.ok) f.dropped = framer.Finish(collect);
  return f;
}

std::string Relay(std::string_view in, const std::vector<size_t>& steps, bool wants_usage) {
  ChatStreamRelay relay(wants_usage);
  std::string out;
  size_t pos = 0, k = 0;
  while (pos < in.size()) {
    const size_t n = std::min(in.size() - pos, steps[k++ % steps.size()]);
    relay.Feed(in.substr(pos, n), &out);
    pos += n;
  }
  relay.Finish(&out);
  return out;
}

// `text` as minified JSON with every top-level "usage": null member left out, or "" when it
// is not a JSON object. Duplicates stay, in order, as the relay keeps them.
std::string WithoutNullUsage(std::string_view text) {
  edge::providers::JsonTree tree;
  edge::providers::JsonReadOptions options;
  options.refuse_duplicate_keys = false;
  options.max_depth = 1100;
  if (!tree.Parse(text, options).ok() || !tree.root().IsObject()) return "";
  rapidjson::StringBuffer buf;
  edge::providers::JsonWriter w(buf);
  w.StartObject();
  for (const edge::providers::JsonNode& m : tree.root()) {
    if (m.name() == "usage" && m.IsNull()) continue;
    w.Key(m.name().data(), static_cast<rapidjson::SizeType>(m.name().size()));
    edge::providers::WriteJson(w, m);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// Whether `sub` is `text` with some of its bytes left out.
bool IsSubsequence(std::string_view sub, std::string_view text) {
  size_t i = 0;
  for (char c : text) {
    if (i < sub.size() && sub[i] == c) ++i;
  }
  return i == sub.size();
}

// One event through a fresh relay. An event it rewrote lost bytes and nothing else, at
// least one `"usage":null` member's worth, and has no null usage left that the relay would
// cut; if it was valid JSON before, it still is, and what changed is exactly its top-level
// null usage members. (The relay does not check text it does not read: a rewritten event
// that was not JSON is not JSON afterwards either.)
void CheckRewrite(const std::string& raw, std::string_view data) {
  // Relay() finishes the stream: an event ended by a bare CR is held until then.
  const std::string out = Relay(raw, {raw.size()}, /*wants_usage=*/false);
  if (out == raw) return;  // passed unchanged
  if (out.empty()) {       // dropped: only a usage chunk that is JSON through and through
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    Check(parser.parse(simdjson::padded_string(data)).get(root) == simdjson::SUCCESS &&
          root.is_object());
    return;
  }
  Framed framed = Frame(out, {out.size()});
  Check(framed.ok && framed.datas.size() == 1 && framed.dropped == 0);
  const std::string& cut = framed.datas[0];
  Check(cut.size() + std::string_view("\"usage\":null").size() <= data.size() &&
        IsSubsequence(cut, data));
  Check(Relay(out, {out.size()}, /*wants_usage=*/false) == out);
  const std::string in = WithoutNullUsage(data);
  if (in.empty()) return;
  Check(WithoutNullUsage(cut) == in);  // order-preserving, duplicates included
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::vector<size_t> whole = {in.size() + 1};
  const std::vector<size_t> steps = {static_cast<size_t>(mode % 7) + 1, 1,
                                     static_cast<size_t>(mode >> 3) + 2};

  Framed a = Frame(in, whole);
  Framed b = Frame(in, steps);
  if (a.ok && b.ok) {
    Check(a.raws == b.raws && a.datas == b.datas && a.dropped == b.dropped);
    std::string joined;
    for (const auto& r : a.raws) joined += r;
    Check(joined.size() + a.dropped == in.size() && in.substr(0, joined.size()) == joined);
  }

  const bool wants_usage = mode & 0x80;
  const std::string out_whole = Relay(in, whole, wants_usage);
  Check(Relay(in, steps, wants_usage) == out_whole);
  if (wants_usage && a.ok) {
    std::string joined;
    for (const auto& r : a.raws) joined += r;
    Check(out_whole == joined);  // a client that asked gets every event as it came
  }
  for (size_t i = 0; i < a.raws.size(); ++i) CheckRewrite(a.raws[i], a.datas[i]);
  return 0;
}
