// Keyset pages (pure): cursors and the parameters of a page.
#include "services/data/storage/paging.h"

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion::data::storage {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

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
  Page first;
  first.ordering = "x.created.asc";
  first.limit = 5;
  EXPECT_EQ(PageParams(first, {"t1", std::nullopt}),
            (std::vector<pg::Param>{"t1", std::nullopt, std::nullopt,
                                    std::nullopt, "6"}));
  Page next = first;
  next.after = Cursor{42, "s-9"};
  EXPECT_EQ(PageParams(next, {"t1", "alice"}),
            (std::vector<pg::Param>{"t1", "alice", "42", "s-9", "6"}));
}

}  // namespace
}  // namespace bastion::data::storage
