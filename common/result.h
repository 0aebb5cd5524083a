#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "common/status.h"

namespace edge {

// A value or a non-ok Status. Our own because clang 14 (used for fuzzing) lacks std::expected.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // The error; Status::Ok() when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace edge

#define EDGE_CONCAT_INNER_(a, b) a##b
#define EDGE_CONCAT_(a, b) EDGE_CONCAT_INNER_(a, b)
// `EDGE_ASSIGN_OR_RETURN(auto x, Foo());` returns Foo()'s Status when it failed.
#define EDGE_ASSIGN_OR_RETURN(lhs, expr)                                \
  auto EDGE_CONCAT_(edge_result_, __LINE__) = (expr);                   \
  if (!EDGE_CONCAT_(edge_result_, __LINE__).ok())                       \
    return EDGE_CONCAT_(edge_result_, __LINE__).status();               \
  lhs = std::move(EDGE_CONCAT_(edge_result_, __LINE__)).value()
