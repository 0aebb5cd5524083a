#pragma once

// Phi-accrual failure detection (Hayashibara, Défago, Yared, Katayama 2004, "The phi accrual
// failure detector"), in Cassandra's form (FailureDetector.ArrivalWindow): heartbeats reach a
// node through gossip, whose arrival times are far from normal, so the inter-arrival times are
// modelled as exponential:
//
//   P_later(t) = exp(-t / mean)      phi(t) = -log10(P_later(t)) = t / (mean * ln 10)
//
// where t is the time since the last heartbeat arrived and mean the mean of the last `window`
// inter-arrival times. As in Cassandra, the window starts with one interval of
// 2 x the gossip interval (erring towards "alive" before there is data), and intervals longer
// than max_interval (a pause, the member's own downtime) are left out of the mean, so that one
// long silence does not make the detector slow for the next thousand heartbeats.

#include <cstddef>
#include <cstdint>
#include <deque>

namespace edge::federation {

class PhiAccrual {
 public:
  // initial_interval_us seeds the window; intervals above max_interval_us are not sampled.
  PhiAccrual(int64_t initial_interval_us, int64_t max_interval_us, size_t window = 1000);

  // A newer heartbeat of the member arrived at now_us.
  void Heartbeat(int64_t now_us);
  // Suspicion level at now_us: 0 right after a heartbeat, +1 for every tenfold drop of the
  // probability that a heartbeat would still come. 0 before the first heartbeat.
  double Phi(int64_t now_us) const;

  double mean_us() const;
  int64_t last_us() const { return last_us_; }
  size_t samples() const { return intervals_.size(); }

 private:
  int64_t initial_interval_us_, max_interval_us_;
  size_t window_;
  std::deque<int64_t> intervals_;
  int64_t sum_ = 0;
  int64_t last_us_ = -1;
};

}  // namespace edge::federation
