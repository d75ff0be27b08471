// Tests the suite's resource id grammar.
#include "common/ids/resource_id.h"

#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

TEST(ResourceIdTest, AcceptsTheAlphabetUpTo128Bytes) {
  for (const std::string& id : std::vector<std::string>{
           "a", "s-1", "A.b_c:d-9", "tenant:user:42", std::string(128, 'z')}) {
    EXPECT_TRUE(IsValidResourceId(id)) << id;
    EXPECT_THAT(CheckResourceId(id, "session_id"), IsOk());
  }
}

TEST(ResourceIdTest, RefusesEverythingElseNamingTheField) {
  for (const std::string& id : std::vector<std::string>{
           "", std::string(129, 'a'), "a b", "a\"b", "a'b", "a/b", "a*",
           std::string("a\0b", 3), "caf\xc3\xa9", "a\nb"}) {
    EXPECT_FALSE(IsValidResourceId(id)) << id;
    absl::Status status = CheckResourceId(id, "memory_id");
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(status.message(), "memory_id must match [A-Za-z0-9._:-]{1,128}");
  }
}

}  // namespace
}  // namespace bastion
