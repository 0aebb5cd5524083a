#pragma once

// One routing audit record: how one request was placed and routed, never what it said.
// It carries no prompt or completion content and no key (the key's configured id only).
// The node fills it at the end of a request; the audit chain (audit_chain.h) numbers it,
// applies audit.caller_ip to the caller's address, encodes it and links it into the chain.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edge::ledger {

// audit.caller_ip: what of the caller's address the log keeps.
enum class CallerIpMode {
  kFull,      // the address as seen
  kTruncate,  // IPv4 to its /24, IPv6 to its /48
  kHash,      // "sha256:" + hex SHA-256(salt || address); the salt never leaves the store
};

std::string_view CallerIpModeName(CallerIpMode mode);
// "full" | "truncate" | "hash" (config.h's strings); false for anything else.
bool ParseCallerIpMode(std::string_view name, CallerIpMode* mode);

// A deployment the request could have gone to, and why it could not (if it could not).
struct AuditCandidate {
  std::string deployment;    // deployment id
  std::string jurisdiction;  // the endpoint's jurisdiction; "" = unknown
  std::string excluded;      // why it was not eligible; "" = eligible
  bool operator==(const AuditCandidate&) const = default;
};

// The outcome of an attempt that sent nothing (the request could not be expressed for that
// provider): the only attempt that is not a transfer of the request's data.
inline constexpr std::string_view kNothingSentOutcome = "not_expressible";

// One call to an upstream deployment: the request's data was sent there (but see
// kNothingSentOutcome).
struct AuditAttempt {
  std::string deployment;
  std::string jurisdiction;  // the endpoint's jurisdiction; "" = unknown
  std::string outcome;       // "ok", or why it failed ("http_529", "timeout", "unavailable", ...)
  int status = 0;            // the upstream's HTTP status; 0 when none arrived
  int64_t latency_ms = 0;    // from the attempt's start to its end
  bool operator==(const AuditAttempt&) const = default;
};

struct AuditRecord {
  int64_t time_us = 0;  // wall clock (µs since the Unix epoch, UTC) when the request ended
  std::string request_id;
  std::string node;    // node.id
  std::string key_id;  // keys[].id; "" when the request had no valid key
  // Before the chain: the address as the node saw it. In a stored record: after
  // audit.caller_ip ("85.214.0.0/24", "sha256:...").
  std::string caller;
  CallerIpMode caller_ip = CallerIpMode::kFull;
  std::string country;              // ISO 3166-1 alpha-2; "" = not placed
  std::string jurisdiction;         // the caller's; "" = none
  std::string jurisdiction_source;  // key | ip | node | header
  std::string residency;            // the jurisdiction the data was pinned to; "" = not pinned
  std::string model;                // the alias asked for
  std::vector<AuditCandidate> candidates;
  std::vector<AuditAttempt> attempts;
  int status = 0;       // the HTTP status sent to the client; 0 = none (client gone first)
  std::string outcome;  // "ok", or the node's error code name ("Unavailable", "Cancelled", ...)
  bool operator==(const AuditRecord&) const = default;
};

// The same record as views into its owner's data, so that a worker encodes a request's record
// straight from the request (AuditChain::EncodeTail) instead of copying every string into an
// AuditRecord first. The views must stay valid until the record is encoded.
struct AuditCandidateRef {
  std::string_view deployment, jurisdiction, excluded;
};
struct AuditAttemptRef {
  std::string_view deployment, jurisdiction, outcome;
  int status = 0;
  int64_t latency_ms = 0;
};
struct AuditRecordRef {
  int64_t time_us = 0;
  std::string_view request_id, node, key_id, caller;
  CallerIpMode caller_ip = CallerIpMode::kFull;
  std::string_view country, jurisdiction, jurisdiction_source, residency, model;
  std::span<const AuditCandidateRef> candidates;
  std::span<const AuditAttemptRef> attempts;
  int status = 0;
  std::string_view outcome;
};

// The caller's address as audit.caller_ip keeps it. Non-IP text (a Unix socket, empty) is
// kept only in kFull mode, and "" otherwise. IPv4-mapped IPv6 counts as IPv4.
std::string ApplyCallerIpMode(std::string_view address, CallerIpMode mode, std::string_view salt);

}  // namespace edge::ledger
