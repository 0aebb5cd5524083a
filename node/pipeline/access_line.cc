#include "node/pipeline/access_line.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>

namespace edge::pipeline {
namespace {

// Lines are appended as literals and plain values; RapidJSON's writer spells only the strings
// that need escaping (the audit log's encoder does the same: audit_codec.cc). Most values are
// config names and validated tags, which never do.
bool Plain(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F || c == '"' || c == '\\') return false;
  }
  return true;
}

// A JSON string: quoted as is when plain, else escaped by RapidJSON (its writer is kept by the
// thread, so no allocation once warm).
void Str(std::string& out, std::string_view s) {
  if (Plain(s)) {
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return;
  }
  thread_local rapidjson::StringBuffer sb;
  thread_local rapidjson::Writer<rapidjson::StringBuffer> w;
  sb.Clear();
  w.Reset(sb);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  out.append(sb.GetString(), sb.GetSize());
}

void Int(std::string& out, int64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), n);
  out.append(buf, end);
}

// "2026-12-06T11:40:00.123Z", the date and time part cached for the second (this thread's).
void WallTime(std::string& out) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  thread_local time_t cached_second = -1;
  thread_local char cached[24];
  thread_local size_t cached_len = 0;
  if (ts.tv_sec != cached_second) {
    tm utc;
    gmtime_r(&ts.tv_sec, &utc);
    cached_len = strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &utc);
    cached_second = ts.tv_sec;
  }
  const int ms = static_cast<int>(ts.tv_nsec / 1000000);
  const char tail[6] = {'.',
                        static_cast<char>('0' + ms / 100),
                        static_cast<char>('0' + ms / 10 % 10),
                        static_cast<char>('0' + ms % 10),
                        'Z',
                        '"'};
  out.push_back('"');
  out.append(cached, cached_len);
  out.append(tail, sizeof tail);
}

// Microseconds as milliseconds with three decimals.
void Millis(std::string& out, int64_t us) {
  Int(out, us / 1000);
  const int frac = static_cast<int>(us % 1000);
  const char digits[4] = {'.', static_cast<char>('0' + frac / 100),
                          static_cast<char>('0' + frac / 10 % 10),
                          static_cast<char>('0' + frac % 10)};
  out.append(digits, sizeof digits);
}

// Micro-dollars as dollars, exactly ("0.000013").
void Dollars(std::string& out, int64_t micros) {
  if (micros < 0) {
    out.push_back('-');
    micros = -micros;
  }
  Int(out, micros / 1000000);
  char frac[7] = {'.'};
  int64_t f = micros % 1000000;
  for (int i = 6; i >= 1; --i, f /= 10) frac[i] = static_cast<char>('0' + f % 10);
  out.append(frac, sizeof frac);
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
void FreeTags(std::string& out, std::string_view tags) {
  constexpr size_t kMaxNames = 32;
  std::string_view names[kMaxNames];
  size_t n = 0;
  out.push_back('{');
  while (!tags.empty() && n < kMaxNames) {
    size_t comma = tags.find(',');
    std::string_view pair = tags.substr(0, comma);
    tags = comma == std::string_view::npos ? std::string_view() : tags.substr(comma + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = pair.substr(0, eq);
    if (std::find(names, names + n, name) != names + n) continue;
    if (n > 0) out.push_back(',');
    names[n++] = name;
    Str(out, name);
    out.push_back(':');
    Str(out, pair.substr(eq + 1));
  }
  out.push_back('}');
}

}  // namespace

void AppendAccessLine(const RequestContext& ctx, const runtime::RequestRecord& r,
                      std::string& out) {
  out.append("{\"time\":");
  WallTime(out);
  out.append(",\"request_id\":");
  Str(out, ctx.request_id);
  out.append(",\"key_id\":");
  Str(out, ctx.key != nullptr ? std::string_view(ctx.key->id) : std::string_view());
  out.append(",\"team\":");
  Str(out, ctx.tags.team);
  out.append(",\"feature\":");
  Str(out, ctx.tags.feature);
  out.append(",\"env\":");
  Str(out, ctx.tags.env);
  out.append(",\"tags\":");
  FreeTags(out, ctx.tags.extra);
  out.append(",\"api\":\"").append(ApiName(ctx.api));
  out.append(ctx.request.stream ? "\",\"stream\":true" : "\",\"stream\":false");
  out.append(",\"model\":");
  Str(out, r.model);
  out.append(",\"deployment\":");
  Str(out, r.deployment);
  out.append(",\"provider\":");
  Str(out, ctx.deployment != nullptr ? std::string_view(ctx.deployment->provider) : "");
  out.append(",\"jurisdiction\":");
  Str(out, ctx.jurisdiction.name);
  out.append(",\"jurisdiction_source\":");
  Str(out, ctx.jurisdiction.source);
  out.append(",\"status\":");
  Int(out, r.status);
  out.append(",\"outcome\":\"").append(runtime::kOutcomeNames[static_cast<size_t>(r.outcome)]);
  out.append("\",\"upstream_status\":");
  Int(out, ctx.upstream_status);
  out.append(",\"attempts\":");
  Int(out, ctx.attempts);
  const providers::Usage none;
  const providers::Usage& u = ctx.usage ? *ctx.usage : none;
  out.append(",\"input_tokens\":");
  Int(out, u.input_tokens);
  out.append(",\"output_tokens\":");
  Int(out, u.output_tokens);
  out.append(",\"cached_input_tokens\":");
  Int(out, u.cached_input_tokens);
  out.append(ctx.usage.has_value() && !u.reported ? ",\"tokens_estimated\":true"
                                                  : ",\"tokens_estimated\":false");
  out.append(",\"cost_usd\":");
  Dollars(out, r.cost_micros);
  out.append(",\"cost_micro_usd\":");
  Int(out, r.cost_micros);
  out.append(",\"latency_ms\":");
  Millis(out, std::max<int64_t>(r.total_us, 0));
  out.append(",\"ttfb_ms\":");
  if (r.first_byte_us >= 0) {
    Millis(out, r.first_byte_us);
  } else {
    out.append("null");
  }
  out.append(",\"overhead_us\":");
  Int(out, std::max<int64_t>(r.overhead_us, 0));
  out.append("}\n");
}

}  // namespace edge::pipeline
