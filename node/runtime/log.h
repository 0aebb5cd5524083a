#pragma once

// Structured logs: one JSON object per line on stderr, written with a single write(2) so
// lines from worker threads never interleave.

#include <initializer_list>
#include <string_view>
#include <utility>

namespace edge::log {

enum class Level { kDebug, kInfo, kWarn, kError };

using Field = std::pair<std::string_view, std::string_view>;

// {"ts":"2026-11-25T17:00:00.123Z","level":"info","msg":msg,<fields...>}
void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void Info(std::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, msg, f);
}
inline void Warn(std::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kWarn, msg, f);
}
inline void Error(std::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kError, msg, f);
}

}  // namespace edge::log
