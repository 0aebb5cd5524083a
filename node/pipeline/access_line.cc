#include "node/pipeline/access_line.h"

#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>

namespace edge::pipeline {
namespace {

// RapidJSON's output stream over the worker's buffer: bytes go straight into it.
struct BufferStream {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};
using JsonWriter = rapidjson::Writer<BufferStream>;

void Str(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void Key(JsonWriter& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

// "2026-12-06T11:40:00.123Z", the date and time part cached for the second (this thread's).
std::string_view WallTime(char (&buf)[32]) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  thread_local time_t cached_second = -1;
  thread_local char cached[24];
  if (ts.tv_sec != cached_second) {
    tm utc;
    gmtime_r(&ts.tv_sec, &utc);
    strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &utc);
    cached_second = ts.tv_sec;
  }
  size_t n = std::char_traits<char>::length(cached);
  std::memcpy(buf, cached, n);
  int ms = static_cast<int>(ts.tv_nsec / 1000000);
  buf[n++] = '.';
  buf[n++] = static_cast<char>('0' + ms / 100);
  buf[n++] = static_cast<char>('0' + ms / 10 % 10);
  buf[n++] = static_cast<char>('0' + ms % 10);
  buf[n++] = 'Z';
  return {buf, n};
}

// Microseconds as milliseconds with three decimals, written as a JSON number.
void Millis(JsonWriter& w, int64_t us) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), us / 1000);
  int frac = static_cast<int>(us % 1000);
  *end++ = '.';
  *end++ = static_cast<char>('0' + frac / 100);
  *end++ = static_cast<char>('0' + frac / 10 % 10);
  *end++ = static_cast<char>('0' + frac % 10);
  w.RawValue(buf, static_cast<size_t>(end - buf), rapidjson::kNumberType);
}

// Micro-dollars as dollars, exactly ("0.000013").
void Dollars(JsonWriter& w, int64_t micros) {
  char buf[40];
  char* p = buf;
  if (micros < 0) {
    *p++ = '-';
    micros = -micros;
  }
  auto [end, ec] = std::to_chars(p, buf + sizeof(buf), micros / 1000000);
  *end++ = '.';
  int64_t frac = micros % 1000000;
  for (int64_t div = 100000; div > 0; div /= 10) *end++ = static_cast<char>('0' + frac / div % 10);
  w.RawValue(buf, static_cast<size_t>(end - buf), rapidjson::kNumberType);
}

std::string_view ApiName(Api api) {
  switch (api) {
    case Api::kChatCompletions:
      return "chat.completions";
    case Api::kEmbeddings:
      return "embeddings";
    case Api::kModels:
      return "models";
    case Api::kMessages:
      return "messages";
    case Api::kResponses:
      return "responses";
  }
  return "";
}

// X-Edge-Tags as validated ("k=v,k2=v2", at most 16 pairs) as an object; a name given twice
// keeps its first value (a JSON object's names should be unique).
void FreeTags(JsonWriter& w, std::string_view tags) {
  constexpr size_t kMaxNames = 32;
  std::string_view names[kMaxNames];
  size_t n = 0;
  w.StartObject();
  while (!tags.empty() && n < kMaxNames) {
    size_t comma = tags.find(',');
    std::string_view pair = tags.substr(0, comma);
    tags = comma == std::string_view::npos ? std::string_view() : tags.substr(comma + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = pair.substr(0, eq);
    if (std::find(names, names + n, name) != names + n) continue;
    names[n++] = name;
    Key(w, name);
    Str(w, pair.substr(eq + 1));
  }
  w.EndObject();
}

}  // namespace

void AppendAccessLine(const RequestContext& ctx, const runtime::RequestRecord& r,
                      std::string& out) {
  BufferStream stream{&out};
  JsonWriter w(stream);
  char time_buf[32];
  w.StartObject();
  Key(w, "time");
  Str(w, WallTime(time_buf));
  Key(w, "request_id");
  Str(w, ctx.request_id);
  Key(w, "key_id");
  Str(w, ctx.key != nullptr ? std::string_view(ctx.key->id) : std::string_view());
  Key(w, "team");
  Str(w, ctx.tags.team);
  Key(w, "feature");
  Str(w, ctx.tags.feature);
  Key(w, "env");
  Str(w, ctx.tags.env);
  Key(w, "tags");
  FreeTags(w, ctx.tags.extra);
  Key(w, "api");
  Str(w, ApiName(ctx.api));
  Key(w, "stream");
  w.Bool(ctx.request.stream);
  Key(w, "model");
  Str(w, r.model);
  Key(w, "deployment");
  Str(w, r.deployment);
  Key(w, "provider");
  Str(w, ctx.deployment != nullptr ? std::string_view(ctx.deployment->provider) : "");
  Key(w, "jurisdiction");
  Str(w, ctx.jurisdiction.name);
  Key(w, "jurisdiction_source");
  Str(w, ctx.jurisdiction.source);
  Key(w, "status");
  w.Int(r.status);
  Key(w, "outcome");
  Str(w, runtime::kOutcomeNames[static_cast<size_t>(r.outcome)]);
  Key(w, "upstream_status");
  w.Int(ctx.upstream_status);
  Key(w, "attempts");
  w.Int(ctx.attempts);
  const providers::Usage none;
  const providers::Usage& u = ctx.usage ? *ctx.usage : none;
  Key(w, "input_tokens");
  w.Int64(u.input_tokens);
  Key(w, "output_tokens");
  w.Int64(u.output_tokens);
  Key(w, "cached_input_tokens");
  w.Int64(u.cached_input_tokens);
  Key(w, "tokens_estimated");
  w.Bool(ctx.usage.has_value() && !u.reported);
  Key(w, "cost_usd");
  Dollars(w, r.cost_micros);
  Key(w, "cost_micro_usd");
  w.Int64(r.cost_micros);
  Key(w, "latency_ms");
  Millis(w, std::max<int64_t>(r.total_us, 0));
  Key(w, "ttfb_ms");
  if (r.first_byte_us >= 0) {
    Millis(w, r.first_byte_us);
  } else {
    w.Null();
  }
  Key(w, "overhead_us");
  w.Int64(std::max<int64_t>(r.overhead_us, 0));
  w.EndObject();
  out.push_back('\n');
}

}  // namespace edge::pipeline
