#include "node/runtime/log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace edge::log {
namespace {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

void Timestamp(char (&buf)[32]) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc;
  gmtime_r(&ts.tv_sec, &utc);
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(buf + n, sizeof buf - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void Key(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void Str(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  char ts[32];
  Timestamp(ts);
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  Key(w, "ts");
  Str(w, ts);
  Key(w, "level");
  Str(w, LevelName(level));
  Key(w, "msg");
  Str(w, msg);
  for (const auto& [k, v] : fields) {
    Key(w, k);
    Str(w, v);
  }
  w.EndObject();
  sb.Put('\n');
  const char* p = sb.GetString();
  size_t left = sb.GetSize();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone; nothing better to do with a log line
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace edge::log
