#include "node/routing/deployment_state.h"

#include <algorithm>

namespace edge::routing {

std::string_view HealthName(Health h) {
  switch (h) {
    case Health::kHealthy: return "healthy";
    case Health::kCoolingDown: return "cooling_down";
    case Health::kProbing: return "probing";
  }
  return "healthy";
}

Health DeploymentState::HealthAt(int64_t now_ms) const {
  int64_t until = cooldown_until_.load(std::memory_order_relaxed);
  if (until == 0) return Health::kHealthy;
  return now_ms < until ? Health::kCoolingDown : Health::kProbing;
}

bool DeploymentState::TakeProbe() {
  bool expected = false;
  return probe_taken_.compare_exchange_strong(expected, true, std::memory_order_relaxed);
}

bool DeploymentState::OnResult(bool failed, int64_t retry_after_ms, bool probe, int allowed_fails,
                               int64_t cooldown_ms, int64_t now_ms) {
  if (!failed) {
    if (probe) {  // the probe succeeded: healthy again
      cooldown_until_.store(0, std::memory_order_relaxed);
      window_fails_.store(0, std::memory_order_relaxed);
      probe_taken_.store(false, std::memory_order_relaxed);
    }
    return false;
  }
  int64_t cool_for = 0;
  if (retry_after_ms > 0) {
    cool_for = retry_after_ms;  // the upstream said how long
  } else if (probe) {
    cool_for = cooldown_ms;  // the probe failed: cool down again
  } else {
    int64_t start = window_start_.load(std::memory_order_relaxed);
    if (now_ms - start > kFailureWindowMs &&
        window_start_.compare_exchange_strong(start, now_ms, std::memory_order_relaxed)) {
      window_fails_.store(0, std::memory_order_relaxed);
    }
    int32_t fails = window_fails_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (fails >= std::max(allowed_fails, 1)) cool_for = cooldown_ms;
  }
  if (probe) probe_taken_.store(false, std::memory_order_relaxed);
  if (cool_for <= 0) return false;
  int64_t until = now_ms + cool_for;
  int64_t current = cooldown_until_.load(std::memory_order_relaxed);
  // Only ever extended: two workers failing at once enter one cooldown, counted once.
  bool entered = current == 0 || current <= now_ms;
  while (until > current &&
         !cooldown_until_.compare_exchange_weak(current, until, std::memory_order_relaxed)) {
  }
  window_fails_.store(0, std::memory_order_relaxed);
  if (entered) cooldowns.fetch_add(1, std::memory_order_relaxed);
  return entered;
}

void DeploymentState::Roll(int64_t now_ms) {
  int64_t minute = now_ms / 60000;
  int64_t seen = minute_.load(std::memory_order_relaxed);
  if (seen == minute) return;
  if (minute_.compare_exchange_strong(seen, minute, std::memory_order_relaxed)) {
    minute_requests_.store(0, std::memory_order_relaxed);
    minute_failures_.store(0, std::memory_order_relaxed);
    minute_tokens_.store(0, std::memory_order_relaxed);
  }
}

void DeploymentState::CountRequest(int64_t now_ms) {
  Roll(now_ms);
  minute_requests_.fetch_add(1, std::memory_order_relaxed);
}

void DeploymentState::CountFailure(int64_t now_ms) {
  Roll(now_ms);
  minute_failures_.fetch_add(1, std::memory_order_relaxed);
}

void DeploymentState::CountTokens(uint64_t tokens, int64_t now_ms) {
  Roll(now_ms);
  minute_tokens_.fetch_add(tokens, std::memory_order_relaxed);
}

DeploymentState::Minute DeploymentState::ThisMinute(int64_t now_ms) const {
  if (minute_.load(std::memory_order_relaxed) != now_ms / 60000) return {};
  return {minute_requests_.load(std::memory_order_relaxed),
          minute_failures_.load(std::memory_order_relaxed),
          minute_tokens_.load(std::memory_order_relaxed)};
}

void DeploymentState::RecordLatency(double ms) {
  size_t i = 0;
  while (i < kLatencyBucketsMs.size() && ms > kLatencyBucketsMs[i]) ++i;
  latency_buckets[i].fetch_add(1, std::memory_order_relaxed);
  latency_count.fetch_add(1, std::memory_order_relaxed);
  latency_sum_us.fetch_add(static_cast<uint64_t>(std::max(0.0, ms) * 1000), std::memory_order_relaxed);
}

}  // namespace edge::routing
