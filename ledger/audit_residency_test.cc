#include "ledger/audit_residency.h"

#include <gtest/gtest.h>

#include "ledger/audit_test_util.h"

namespace edge::ledger {
namespace {

using testing::SampleRecord;

TEST(ResidencyTally, CountsServedRefusedAndViolations) {
  ResidencyTally t;
  t.Add(1, SampleRecord(1));  // two EU attempts, 200
  AuditRecord refused = SampleRecord(2);
  refused.status = 503;
  refused.outcome = "Unavailable";
  t.Add(2, refused);
  AuditRecord none = SampleRecord(3);  // refused before any attempt
  none.attempts.clear();
  none.status = 503;
  t.Add(3, none);
  AuditRecord unpinned = SampleRecord(4);
  unpinned.residency = "";
  unpinned.attempts.push_back({"us-primary", "US", "ok", 200, 1});
  t.Add(4, unpinned);  // not pinned: not counted anywhere
  AuditRecord crossed = SampleRecord(5);
  crossed.attempts.insert(crossed.attempts.begin(), {"us-primary", "US", "timeout", 0, 9});
  t.Add(5, crossed);
  AuditRecord unknown = SampleRecord(6);
  unknown.attempts = {{"somewhere", "", "ok", 200, 1}};
  t.Add(6, unknown);
  AuditRecord nothing_sent = SampleRecord(7);
  nothing_sent.attempts.insert(nothing_sent.attempts.begin(),
                               {"us-primary", "US", std::string(kNothingSentOutcome), 0, 0});
  t.Add(7, nothing_sent);
  AuditRecord us = SampleRecord(8);
  us.residency = "US";
  us.attempts = {{"us-primary", "US", "ok", 200, 1}};
  t.Add(8, us);

  EXPECT_FALSE(t.ok());
  EXPECT_EQ(t.Report(),
            "EU pinned=6 served_in=2 refused=2 violations=2\n"
            "US pinned=1 served_in=1 refused=0 violations=0\n"
            "violation: record 5 request_id req5: pinned to EU, sent to us-primary (US)\n"
            "violation: record 6 request_id req6: pinned to EU, sent to somewhere (unknown)\n");
}

TEST(ResidencyTally, EmptyIsOk) {
  ResidencyTally t;
  EXPECT_TRUE(t.ok());
  EXPECT_EQ(t.Report(), "");
}

}  // namespace
}  // namespace edge::ledger
