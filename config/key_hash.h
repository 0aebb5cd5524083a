#pragma once

// Virtual keys: how they are made and how they are stored. The config holds only the
// sha256 of a key, so a leaked config file leaks no key. Thread-safe, no state.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace edge::config {

// SHA-256 of the bytes, as 64 lowercase hex digits (what keys[].key_sha256 holds).
std::string Sha256Hex(std::string_view bytes);

// A new virtual key: "sk-edge-" followed by 40 base62 characters (~238 bits) from the
// kernel's CSPRNG (getrandom). Aborts if the kernel has no randomness to give: a key made
// from anything weaker must never be printed.
std::string GenerateApiKey();

// The same from a given byte source (fill(buf, n) writes n random bytes); for tests.
std::string GenerateApiKey(const std::function<void(uint8_t*, size_t)>& fill);

}  // namespace edge::config
