// SQL values (pure): JSON string arrays and component types.
#include "services/data/storage/sql_values.h"

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion::data::storage {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

TEST(JsonTest, QuotesAndParsesBack) {
  std::vector<std::string> in = {
      "plain", "quo\"te", "back\\slash", "nl\n", std::string("ctl\x01", 4),
      "ünï"};
  auto out = ParseJsonStringArray(JsonStringArray(in));
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(*out, in);
}

TEST(ComponentTypeParamTest, UnspecifiedIsAnyOtherwiseTheText) {
  EXPECT_EQ(ComponentTypeParam(common::v1::COMPONENT_TYPE_UNSPECIFIED),
            std::nullopt);
  EXPECT_EQ(ComponentTypeParam(common::v1::COMPONENT_TYPE_TEAM), "team");
  EXPECT_EQ(ComponentTypeFromText("workflow"),
            common::v1::COMPONENT_TYPE_WORKFLOW);
}

}  // namespace
}  // namespace bastion::data::storage
