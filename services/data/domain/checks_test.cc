// Request checks of the data domain (pure): ids, pages, components, JSON.
#include "services/data/domain/checks.h"

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion::data::domain {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

TEST(CheckIdTest, AcceptsOnlyTheIdAlphabet) {
  EXPECT_THAT(CheckId("abc-DEF_1.2:3", "id"), IsOk());
  EXPECT_THAT(CheckId(std::string(128, 'a'), "id"), IsOk());
  for (const char *bad : {"", "a b", "a/b", "a'b", "é", "a\n"}) {
    EXPECT_THAT(CheckId(bad, "id"),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(CheckId(std::string(129, 'a'), "id"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PageOfTest, DefaultBoundsAndCursorOfTheOrdering) {
  common::v1::PageRequest request;
  auto first = PageOf("x.created.asc", request);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->limit, storage::kDefaultPageSize);
  EXPECT_FALSE(first->after.has_value());
  request.set_limit(1000);
  EXPECT_THAT(PageOf("x.created.asc", request), IsOk());
  request.set_limit(1001);
  EXPECT_THAT(PageOf("x.created.asc", request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request.set_limit(5);
  request.set_cursor(storage::EncodeCursor("x.created.asc", {42, "s-9"}));
  auto next = PageOf("x.created.asc", request);
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->limit, 5);
  ASSERT_TRUE(next->after.has_value());
  EXPECT_EQ(next->after->id, "s-9");
  EXPECT_THAT(PageOf("x.created.desc", request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request.set_limit(-1);
  EXPECT_THAT(PageOf("x.created.asc", request),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ComponentTest, FilterIsOptionalButNeverUnknown) {
  EXPECT_THAT(CheckComponentFilter(common::v1::COMPONENT_TYPE_UNSPECIFIED),
              IsOk());
  EXPECT_THAT(CheckComponentFilter(common::v1::COMPONENT_TYPE_TEAM), IsOk());
  EXPECT_THAT(CheckComponentFilter(static_cast<common::v1::ComponentType>(99)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ComponentTest, NewRowsNeedATypeAndAnId) {
  EXPECT_THAT(CheckComponent(common::v1::COMPONENT_TYPE_AGENT, "echo"), IsOk());
  EXPECT_THAT(CheckComponent(common::v1::COMPONENT_TYPE_WORKFLOW,
                             std::string(256, 'w')),
              IsOk());
  EXPECT_THAT(CheckComponent(common::v1::COMPONENT_TYPE_UNSPECIFIED, "echo"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckComponent(common::v1::COMPONENT_TYPE_AGENT, ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      CheckComponent(common::v1::COMPONENT_TYPE_AGENT, std::string(257, 'a')),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CheckSha256HexTest, SixtyFourLowercaseHexDigits) {
  EXPECT_THAT(CheckSha256Hex(std::string(64, 'a'), "h"), IsOk());
  EXPECT_THAT(CheckSha256Hex(std::string(64, 'A'), "h"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckSha256Hex(std::string(63, 'a'), "h"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CheckJsonObjectTest, ShapeAndSize) {
  EXPECT_THAT(CheckJsonObject(" {\"a\":1}", 100, "f"), IsOk());
  EXPECT_THAT(CheckJsonObject("[1]", 100, "f"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckJsonObject("", 100, "f"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckJsonObject("{}", 1, "f"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::data::domain
