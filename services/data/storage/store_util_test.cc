// Store helpers (pure): ids, page sizes, cursors, page parameters,
// component types, JSON, owner filters.
#include "services/data/storage/store_util.h"

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion::data::storage {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

TEST(CheckIdTest, AcceptsOnlyTheIdAlphabet) {
  EXPECT_THAT(CheckId("abc-DEF_1.2:3", "id"), IsOk());
  EXPECT_THAT(CheckId(std::string(128, 'a'), "id"), IsOk());
  for (const char* bad : {"", "a b", "a/b", "a'b", "é", "a\n"}) {
    EXPECT_THAT(CheckId(bad, "id"), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(CheckId(std::string(129, 'a'), "id"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PageSizeTest, DefaultAndBounds) {
  common::v1::PageRequest page;
  EXPECT_EQ(*PageSize(page), kDefaultPageSize);
  page.set_limit(1000);
  EXPECT_EQ(*PageSize(page), 1000);
  page.set_limit(1001);
  EXPECT_THAT(PageSize(page), StatusIs(absl::StatusCode::kInvalidArgument));
  page.set_limit(-1);
  EXPECT_THAT(PageSize(page), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CursorTest, RoundTripsAndIsBoundToItsOrdering) {
  const std::string text = EncodeCursor("x.created.asc", {1234567, "s-1"});
  auto back = DecodeCursor("x.created.asc", text);
  ASSERT_THAT(back, IsOk());
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->micros, 1234567);
  EXPECT_EQ((*back)->id, "s-1");
  EXPECT_THAT(DecodeCursor("x.created.desc", text),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeCursor("x.created.asc", "!!!"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto empty = DecodeCursor("x.created.asc", "");
  ASSERT_THAT(empty, IsOk());
  EXPECT_FALSE(empty->has_value());
}

TEST(PageTest, ParamsEndWithCursorAndOneExtraRow) {
  common::v1::PageRequest request;
  request.set_limit(5);
  auto first = PageOf("x.created.asc", request);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->limit, 5);
  EXPECT_FALSE(first->after.has_value());
  EXPECT_EQ(PageParams(*first, {"t1", std::nullopt}),
            (std::vector<pg::Param>{"t1", std::nullopt, std::nullopt,
                                    std::nullopt, "6"}));
  request.set_cursor(EncodeCursor("x.created.asc", {42, "s-9"}));
  auto next = PageOf("x.created.asc", request);
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(PageParams(*next, {"t1", "alice"}),
            (std::vector<pg::Param>{"t1", "alice", "42", "s-9", "6"}));
  EXPECT_THAT(PageOf("x.created.desc", request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request.set_limit(-1);
  EXPECT_THAT(PageOf("x.created.asc", request),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ComponentTest, FilterIsOptionalButNeverUnknown) {
  auto any = ComponentTypeFilter(common::v1::COMPONENT_TYPE_UNSPECIFIED);
  ASSERT_THAT(any, IsOk());
  EXPECT_EQ(*any, std::nullopt);
  auto team = ComponentTypeFilter(common::v1::COMPONENT_TYPE_TEAM);
  ASSERT_THAT(team, IsOk());
  EXPECT_EQ(*team, "team");
  EXPECT_THAT(ComponentTypeFilter(static_cast<common::v1::ComponentType>(99)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ComponentTest, NewRowsNeedATypeAndAnId) {
  auto agent = CheckComponent(common::v1::COMPONENT_TYPE_AGENT, "echo");
  ASSERT_THAT(agent, IsOk());
  EXPECT_EQ(*agent, "agent");
  EXPECT_THAT(CheckComponent(common::v1::COMPONENT_TYPE_WORKFLOW, std::string(256, 'w')),
              IsOk());
  EXPECT_THAT(CheckComponent(common::v1::COMPONENT_TYPE_UNSPECIFIED, "echo"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckComponent(common::v1::COMPONENT_TYPE_AGENT, ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckComponent(common::v1::COMPONENT_TYPE_AGENT, std::string(257, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonTest, QuotesAndParsesBack) {
  std::vector<std::string> in = {"plain", "quo\"te", "back\\slash", "nl\n",
                                 std::string("ctl\x01", 4), "ünï"};
  auto out = ParseJsonStringArray(JsonStringArray(in));
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(*out, in);
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

TEST(OwnerFilterTest, NonAdminIsPinnedToItself) {
  pg::PrincipalScope user{"t1", "alice", pg::AdminLevel::kNone};
  OwnerFilter f = ListFilter(user, "bob");
  EXPECT_EQ(f.tenant_id, "t1");
  EXPECT_EQ(f.user_id, "alice");
  f = ByIdFilter(user);
  EXPECT_EQ(f.user_id, "alice");
  pg::PrincipalScope admin{"t1", "root", pg::AdminLevel::kTenant};
  f = ListFilter(admin, "bob");
  EXPECT_EQ(f.tenant_id, "t1");
  EXPECT_EQ(f.user_id, "bob");
  f = ListFilter(admin, "");
  EXPECT_EQ(f.user_id, std::nullopt);
  pg::PrincipalScope platform{"t0", "root", pg::AdminLevel::kPlatform};
  f = ListFilter(platform, "");
  EXPECT_EQ(f.tenant_id, std::nullopt);
  f = ByIdFilter(platform);
  EXPECT_EQ(f.tenant_id, "t0");
}

}  // namespace
}  // namespace bastion::data::storage
