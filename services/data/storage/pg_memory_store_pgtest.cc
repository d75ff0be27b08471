// PgMemoryStore against a real PostgreSQL: CRUD, topic/text search and
// isolation.
#include "services/data/storage/pg_memory_store.h"

#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/data/storage/store_test_support.h"

namespace bastion::data::storage {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

v1::CreateMemoryRequest NewMemory(const std::string& id,
                                  const std::string& text,
                                  std::vector<std::string> topics = {}) {
  v1::CreateMemoryRequest r;
  r.set_memory_id(id);
  r.set_text(text);
  for (auto& t : topics) r.add_topics(t);
  return r;
}

class PgMemoryStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgMemories>(*pool_);
    ASSERT_THAT(store_->CreateMemory(
                    alice_, NewMemory("m-a1", "Likes green TEA", {"food"})),
                IsOk());
    ASSERT_THAT(store_->CreateMemory(
                    alice_, NewMemory("m-a2", "Works at \"Acme\"\n", {"work"})),
                IsOk());
    ASSERT_THAT(store_->CreateMemory(
                    bob_, NewMemory("m-b1", "Likes tea too", {"food"})),
                IsOk());
  }

  std::vector<std::string> List(const Caller& p,
                                const std::string& topic,
                                const std::string& query,
                                const std::string& user = "") {
    v1::ListMemoriesRequest r;
    r.set_topic(topic);
    r.set_text_query(query);
    r.set_user_id(user);
    r.set_sort_order(v1::SORT_ORDER_ASC);
    auto out = store_->ListMemories(p, r);
    EXPECT_THAT(out, IsOk());
    std::vector<std::string> ids;
    if (out.ok()) {
      for (const auto& m : out->memories()) ids.push_back(m.memory_id());
    }
    return ids;
  }

  std::unique_ptr<PgMemories> store_;
};

TEST_F(PgMemoryStoreTest, RoundTripsTextAndTopics) {
  v1::GetMemoryRequest get;
  get.set_memory_id("m-a2");
  auto m = store_->GetMemory(alice_, get);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->text(), "Works at \"Acme\"\n");
  ASSERT_EQ(m->topics_size(), 1);
  EXPECT_EQ(m->topics(0), "work");
  EXPECT_EQ(m->user_id(), "alice");
}

TEST_F(PgMemoryStoreTest, SearchesOnlyOwnMemories) {
  EXPECT_EQ(List(alice_, "food", ""), std::vector<std::string>{"m-a1"});
  EXPECT_EQ(List(alice_, "", "tea"), std::vector<std::string>{"m-a1"});
  EXPECT_EQ(List(bob_, "", "tea"), std::vector<std::string>{"m-b1"});
  EXPECT_EQ(List(bob_, "", "", "alice"), std::vector<std::string>{"m-b1"});
  EXPECT_EQ(List(alice_, "", "%"), std::vector<std::string>{});
  EXPECT_EQ(List(t1_admin_, "food", ""),
            (std::vector<std::string>{"m-a1", "m-b1"}));
  EXPECT_EQ(List(carol_, "", ""), std::vector<std::string>{});
}

TEST_F(PgMemoryStoreTest, OtherUsersMemoryIsNotFound) {
  v1::GetMemoryRequest get;
  get.set_memory_id("m-a1");
  EXPECT_THAT(store_->GetMemory(bob_, get),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetMemory(t2_admin_, get),
              StatusIs(absl::StatusCode::kNotFound));
  v1::UpdateMemoryRequest update;
  update.set_memory_id("m-a1");
  update.set_update_text(true);
  update.set_text("forged");
  EXPECT_THAT(store_->UpdateMemory(bob_, update),
              StatusIs(absl::StatusCode::kNotFound));
  v1::DeleteMemoryRequest del;
  del.set_memory_id("m-a1");
  EXPECT_THAT(store_->DeleteMemory(carol_, del),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->CreateMemory(bob_, NewMemory("m-a1", "mine now")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  auto still = store_->GetMemory(alice_, get);
  ASSERT_THAT(still, IsOk());
  EXPECT_EQ(still->text(), "Likes green TEA");
}

TEST_F(PgMemoryStoreTest, UpdateAndDelete) {
  v1::UpdateMemoryRequest update;
  update.set_memory_id("m-a1");
  update.set_update_topics(true);
  update.add_topics("drinks");
  update.add_topics("food");
  auto m = store_->UpdateMemory(alice_, update);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->text(), "Likes green TEA");
  EXPECT_EQ(m->topics_size(), 2);
  v1::DeleteMemoryRequest del;
  del.set_memory_id("m-a1");
  EXPECT_THAT(store_->DeleteMemory(alice_, del), IsOk());
  EXPECT_THAT(store_->DeleteMemory(alice_, del),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgMemoryStoreTest, RejectsBadInput) {
  EXPECT_THAT(store_->CreateMemory(alice_, NewMemory("m-x", "")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->CreateMemory(alice_, NewMemory("m-x", "t", {""})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      store_->CreateMemory(alice_, NewMemory("m-x", std::string(16385, 'a'))),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::data::storage
