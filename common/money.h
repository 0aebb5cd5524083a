#pragma once

#include <cstdint>
#include <string>

namespace edge {

// An amount of US dollars as integer micro-dollars: sums are exact and order-independent,
// which matters when ledgers of several regions are merged.
class Money {
 public:
  constexpr Money() = default;
  static constexpr Money FromMicros(int64_t micros) { return Money(micros); }

  constexpr int64_t micros() const { return micros_; }
  double dollars() const { return static_cast<double>(micros_) / 1e6; }
  // "12.345678": fixed six decimals, no rounding.
  std::string ToString() const;

  constexpr Money operator+(Money o) const { return Money(micros_ + o.micros_); }
  constexpr Money operator-(Money o) const { return Money(micros_ - o.micros_); }
  Money& operator+=(Money o) { micros_ += o.micros_; return *this; }
  constexpr auto operator<=>(const Money&) const = default;

 private:
  constexpr explicit Money(int64_t micros) : micros_(micros) {}
  int64_t micros_ = 0;
};

}  // namespace edge
