#pragma once

// SHA-256 values of the audit log (record hashes, chain heads, digest hashes) and their
// 64-lowercase-hex spelling in stored and exported lines. Pure functions; thread-safe.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edge::ledger {

using Sha256 = std::array<uint8_t, 32>;

// The chain's start: the `prev` of record 1 and of digest 1.
inline constexpr Sha256 kZeroHash{};

Sha256 Sha256Of(std::string_view bytes);
// SHA-256(prev || bytes): the hash chain's link (prev as its 32 raw bytes).
Sha256 ChainHash(const Sha256& prev, std::string_view bytes);

std::string ToHex(const uint8_t* bytes, size_t n);
inline std::string ToHex(const Sha256& h) { return ToHex(h.data(), h.size()); }
// 64 lowercase hex digits -> hash; nullopt for anything else (upper case included, so that
// one hash has one spelling).
std::optional<Sha256> HashFromHex(std::string_view hex);
// Any even number of lowercase hex digits -> bytes.
std::optional<std::string> BytesFromHex(std::string_view hex);

}  // namespace edge::ledger
