// ChatStreamRelay: the chat completion SSE stream from upstream to client.

#include <simdjson.h>

#include <functional>

#include "providers/openai/internal.h"
#include "providers/openai/openai.h"
#include "providers/json_text.h"

namespace edge::providers::openai {
namespace {

using simdjson::SUCCESS;
namespace ondemand = simdjson::ondemand;

// What the relay needs to know of one chunk.
struct ChunkFacts {
  enum class Choices { kAbsent, kEmpty, kPresent };
  Choices choices = Choices::kAbsent;
  std::optional<Usage> usage;  // `usage` was an object
  size_t output_chars = 0;     // text and tool-call pieces in the choices' deltas
  // Offsets in the data of the '"' that opens each `"usage":null` key and of the end of its
  // null. More than a few would be a hostile upstream; those events pass unchanged.
  static constexpr int kMaxNullUsage = 4;
  int null_usage_count = 0;
  size_t null_usage_key[kMaxNullUsage] = {};
  size_t null_usage_end[kMaxNullUsage] = {};
};

// The length of a string value as sent (escapes count as written: an estimate needs no
// more); 0 for anything else.
size_t StringChars(ondemand::value value) {
  std::string_view token = value.raw_json_token();
  while (!token.empty() && token.back() != '"') token.remove_suffix(1);  // trailing space
  return token.size() >= 2 && token.front() == '"' ? token.size() - 2 : 0;
}

// Characters of output in one choice's delta: content, reasoning, refusal, and tool
// calls' names and argument pieces. Counted so that a stream cut before its usage chunk
// can still be billed.
size_t DeltaChars(ondemand::object choice) {
  ondemand::object delta;
  if (choice.find_field_unordered("delta").get_object().get(delta) != SUCCESS) return 0;
  size_t n = 0;
  for (auto field_result : delta) {
    ondemand::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != SUCCESS ||
        field.unescaped_key().get(key) != SUCCESS) {
      return n;
    }
    if (key == "content" || key == "reasoning_content" || key == "refusal") {
      n += StringChars(field.value());
    } else if (key == "tool_calls") {
      ondemand::array calls;
      if (field.value().get_array().get(calls) != SUCCESS) continue;
      for (auto call_result : calls) {
        ondemand::object function;
        if (call_result.find_field_unordered("function").get_object().get(function) != SUCCESS) {
          continue;
        }
        for (auto fn_field : function) {
          ondemand::field f;
          std::string_view name;
          if (std::move(fn_field).get(f) != SUCCESS || f.unescaped_key().get(name) != SUCCESS) {
            break;
          }
          if (name == "name" || name == "arguments") n += StringChars(f.value());
        }
      }
    }
  }
  return n;
}

// False when data is not a JSON object that could be read to its end; such events pass
// through untouched.
bool ReadChunk(std::string_view data, ChunkFacts* facts) {
  internal::OnDemandLease lease;
  ondemand::document doc;
  if (lease.Iterate(data, &doc) != SUCCESS) return false;
  const char* base = lease.scratch_begin();
  ondemand::object obj;
  if (doc.get_object().get(obj) != SUCCESS) return false;
  for (auto field_result : obj) {
    ondemand::field field;
    if (std::move(field_result).get(field) != SUCCESS) return false;
    const char* key_quote = field.key().raw() - 1;  // before unescaped_key() consumes it
    std::string_view key;
    if (field.unescaped_key().get(key) != SUCCESS) return false;
    if (key == "choices") {
      ondemand::array choices;
      if (field.value().get_array().get(choices) != SUCCESS) continue;  // e.g. null
      size_t count = 0;
      for (auto choice_result : choices) {
        ondemand::object choice;
        if (std::move(choice_result).get_object().get(choice) == SUCCESS) {
          facts->output_chars += DeltaChars(choice);
        }
        ++count;
      }
      facts->choices = count == 0 ? ChunkFacts::Choices::kEmpty : ChunkFacts::Choices::kPresent;
    } else if (key == "usage") {
      ondemand::json_type type;
      if (field.value().type().get(type) != SUCCESS) return false;
      if (type == ondemand::json_type::object) {
        ondemand::object usage;
        if (field.value().get_object().get(usage) != SUCCESS) return false;
        facts->usage = internal::ReadUsage(usage);
      } else if (type == ondemand::json_type::null) {
        bool is_null = false;
        if (field.value().is_null().get(is_null) != SUCCESS || !is_null) return false;
        if (facts->null_usage_count == ChunkFacts::kMaxNullUsage) return false;
        const std::string_view token = field.value().raw_json_token();
        facts->null_usage_key[facts->null_usage_count] = static_cast<size_t>(key_quote - base);
        facts->null_usage_end[facts->null_usage_count] =
            static_cast<size_t>(token.data() - base) + 4;  // "null"
        ++facts->null_usage_count;
      }
    }
  }
  return internal::AtEnd(doc);
}

// Removes the member json[key, end) together with one comma next to it. The parser placed
// key on a member's opening quote, so only whitespace separates it from the ',' or '{'
// before it; anything else means the text is not what the parser said, and nothing is
// changed.
bool RemoveMember(std::string* json, size_t key, size_t end) {
  size_t before = key;
  while (before > 0 && IsJsonSpace((*json)[before - 1])) --before;
  if (before == 0) return false;
  if ((*json)[before - 1] == ',') {  // not the first member: take the comma before it
    json->erase(before - 1, end - (before - 1));
    return true;
  }
  if ((*json)[before - 1] != '{') return false;
  size_t after = end;  // the first member: take the comma after it, if any
  while (after < json->size() && IsJsonSpace((*json)[after])) ++after;
  if (after < json->size() && (*json)[after] == ',') end = after + 1;
  json->erase(key, end - key);
  return true;
}

// Appends `event` with `data` in place of its data.
void AppendEvent(const SseEvent& event, std::string_view data, std::string* out) {
  const char* raw_begin = event.raw.data();
  const char* raw_end = raw_begin + event.raw.size();
  const std::less_equal<const char*> le;  // a total order even for unrelated pointers
  if (le(raw_begin, event.data.data()) && le(event.data.data() + event.data.size(), raw_end)) {
    // One data line: keep the event's own framing around the new data.
    const size_t at = static_cast<size_t>(event.data.data() - raw_begin);
    out->append(event.raw.substr(0, at));
    out->append(data);
    out->append(event.raw.substr(at + event.data.size()));
    return;
  }
  // Several data lines were joined: write the event anew, one data line per line.
  if (!event.id.empty()) out->append("id: ").append(event.id).append("\n");
  size_t pos = 0;
  while (true) {
    const size_t nl = data.find('\n', pos);
    out->append("data: ").append(data.substr(pos, nl - pos)).append("\n");
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  out->append("\n");
}

bool IsJsonObject(std::string_view text) {
  internal::DomLease lease;
  simdjson::dom::element root;
  return lease.Parse(text, &root) == SUCCESS && root.is_object();
}

}  // namespace

void ChatStreamRelay::Feed(std::string_view upstream_bytes, std::string* out) {
  framer_.Feed(upstream_bytes, [this, out](const SseEvent& event) { OnEvent(event, out); });
}

void ChatStreamRelay::Finish(std::string* out) {
  framer_.Finish([this, out](const SseEvent& event) { OnEvent(event, out); });
}

void ChatStreamRelay::OnEvent(const SseEvent& event, std::string* out) {
  const bool is_message = event.event.empty() || event.event == "message";
  if (!event.has_data || !is_message) {
    out->append(event.raw);  // comments, keep-alives, events of other kinds
    return;
  }
  if (event.data == "[DONE]") {
    done_ = true;
    out->append(event.raw);
    return;
  }
  ChunkFacts facts;
  if (!ReadChunk(event.data, &facts)) {
    out->append(event.raw);
    return;
  }
  // On-Demand reads only what it is asked for; before an event's usage is believed (or the
  // event dropped for it), the whole event must be JSON. Once per stream, so cheap.
  if (facts.usage && !IsJsonObject(event.data)) {
    out->append(event.raw);
    return;
  }
  if (facts.usage) usage_ = facts.usage;
  output_chars_ += facts.output_chars;
  const bool usage_chunk = facts.usage && facts.choices != ChunkFacts::Choices::kPresent;
  if (facts.choices == ChunkFacts::Choices::kPresent) content_started_ = true;
  if (client_wants_usage_) {
    out->append(event.raw);
  } else if (usage_chunk) {
    // Dropped: the client did not ask for usage; the node asked on its own behalf.
  } else if (facts.null_usage_count > 0) {
    // OpenAI sends `"usage":null` in every chunk once usage is asked for, so this runs per
    // event: one buffer serves a stream's edits, and the edit is not checked by a second,
    // full parse. It needs none: On-Demand read the object's members to its end, and each
    // cut is a member it read (a key, a colon and `null`) with the comma beside it, so the
    // rest of the text, JSON or not, goes out as it came.
    edited_.assign(event.data);
    bool ok = true;
    // Last first, so earlier offsets stay valid.
    for (int i = facts.null_usage_count - 1; i >= 0 && ok; --i) {
      ok = RemoveMember(&edited_, facts.null_usage_key[i], facts.null_usage_end[i]);
    }
    if (ok) {
      AppendEvent(event, edited_, out);
    } else {
      out->append(event.raw);
    }
  } else {
    out->append(event.raw);
  }
}

}  // namespace edge::providers::openai
