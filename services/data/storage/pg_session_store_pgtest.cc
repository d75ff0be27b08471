// PgSessionStore against a real PostgreSQL: CRUD, pagination and every
// isolation rule (users, tenants, admins, pooled connections).
#include "services/data/storage/pg_session_store.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/data/storage/store_test_support.h"

namespace bastion::data::storage {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

v1::CreateSessionRequest NewSession(const std::string& id,
                                    const std::string& component = "a1") {
  v1::CreateSessionRequest r;
  r.set_session_id(id);
  r.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
  r.set_component_id(component);
  r.set_name("n-" + id);
  r.set_state_json(R"({"k": "v"})");
  return r;
}

v1::GetSessionRequest Get(const std::string& id) {
  v1::GetSessionRequest r;
  r.set_session_id(id);
  return r;
}

std::vector<std::string> Ids(const v1::ListSessionsResponse& r) {
  std::vector<std::string> ids;
  for (const auto& s : r.sessions()) ids.push_back(s.session_id());
  return ids;
}

class PgSessionStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgSessions>(*pool_);
    ASSERT_THAT(store_->CreateSession(alice_, NewSession("s-alice")), IsOk());
    ASSERT_THAT(store_->CreateSession(bob_, NewSession("s-bob")), IsOk());
    ASSERT_THAT(store_->CreateSession(carol_, NewSession("s-carol")), IsOk());
  }

  std::vector<std::string> List(const Caller& p,
                                const std::string& user_filter = "") {
    v1::ListSessionsRequest r;
    r.set_user_id(user_filter);
    r.set_sort_order(v1::SORT_ORDER_ASC);
    auto out = store_->ListSessions(p, r);
    EXPECT_THAT(out, IsOk());
    return out.ok() ? Ids(*out) : std::vector<std::string>{"<error>"};
  }

  std::unique_ptr<PgSessions> store_;
};

TEST_F(PgSessionStoreTest, CreateAndGet) {
  auto got = store_->GetSession(alice_, Get("s-alice"));
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->user_id(), "alice");
  EXPECT_EQ(got->tenant_id(), "t1");
  EXPECT_EQ(got->component_type(), common::v1::COMPONENT_TYPE_AGENT);
  EXPECT_EQ(got->name(), "n-s-alice");
  EXPECT_EQ(got->state_json(), R"({"k": "v"})");
  EXPECT_GT(got->created_at_unix_micros(), 0);
}

TEST_F(PgSessionStoreTest, ServerGeneratesIdsWhenMissing) {
  auto created = store_->CreateSession(alice_, NewSession(""));
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->session_id().size(), 36u);
  EXPECT_THAT(store_->GetSession(alice_, Get(created->session_id())), IsOk());
}

TEST_F(PgSessionStoreTest, OtherUsersSessionIsNotFound) {
  EXPECT_THAT(store_->GetSession(bob_, Get("s-alice")),
              StatusIs(absl::StatusCode::kNotFound));
  v1::UpdateSessionRequest update;
  update.set_session_id("s-alice");
  update.set_update_name(true);
  update.set_name("pwned");
  EXPECT_THAT(store_->UpdateSession(bob_, update),
              StatusIs(absl::StatusCode::kNotFound));
  v1::DeleteSessionRequest del;
  del.set_session_id("s-alice");
  EXPECT_THAT(store_->DeleteSession(bob_, del),
              StatusIs(absl::StatusCode::kNotFound));
  v1::DeleteSessionsRequest many;
  many.add_session_ids("s-alice");
  many.add_session_ids("s-bob");
  auto deleted = store_->DeleteSessions(bob_, many);
  ASSERT_THAT(deleted, IsOk());
  EXPECT_EQ(deleted->deleted_count(), 1);  // Only bob's own.
  auto still = store_->GetSession(alice_, Get("s-alice"));
  ASSERT_THAT(still, IsOk());
  EXPECT_EQ(still->name(), "n-s-alice");
  // A missing id looks exactly like a foreign one.
  auto missing = store_->GetSession(bob_, Get("s-nobody"));
  auto foreign = store_->GetSession(bob_, Get("s-alice"));
  EXPECT_EQ(missing.status(), foreign.status());
}

TEST_F(PgSessionStoreTest, OtherTenantIsUnreachableEvenForItsAdmin) {
  for (const auto* p : {&carol_, &t2_admin_}) {
    EXPECT_THAT(store_->GetSession(*p, Get("s-alice")),
                StatusIs(absl::StatusCode::kNotFound));
    v1::DeleteSessionRequest del;
    del.set_session_id("s-alice");
    EXPECT_THAT(store_->DeleteSession(*p, del),
                StatusIs(absl::StatusCode::kNotFound));
  }
  EXPECT_EQ(List(t2_admin_), std::vector<std::string>{"s-carol"});
  EXPECT_EQ(List(t2_admin_, "alice"), std::vector<std::string>{});
}

TEST_F(PgSessionStoreTest, TakenIdIsAlreadyExistsRevealingNothing) {
  auto dup = store_->CreateSession(bob_, NewSession("s-alice", "other"));
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(dup.status().message().find("alice"), std::string_view::npos);
  EXPECT_EQ(dup.status().message().find("t1"), std::string_view::npos);
  // Own duplicate answers the same.
  EXPECT_THAT(store_->CreateSession(alice_, NewSession("s-alice")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Another tenant's ids are independent.
  EXPECT_THAT(store_->CreateSession(carol_, NewSession("s-alice")), IsOk());
  auto mine = store_->GetSession(alice_, Get("s-alice"));
  ASSERT_THAT(mine, IsOk());
  EXPECT_EQ(mine->user_id(), "alice");
}

TEST_F(PgSessionStoreTest, UserFilterIsHonouredOnlyForAdmins) {
  EXPECT_EQ(List(bob_, "alice"), std::vector<std::string>{"s-bob"});
  EXPECT_EQ(List(alice_), std::vector<std::string>{"s-alice"});
  EXPECT_EQ(List(t1_admin_), (std::vector<std::string>{"s-alice", "s-bob"}));
  EXPECT_EQ(List(t1_admin_, "alice"), std::vector<std::string>{"s-alice"});
  EXPECT_EQ(List(platform_),
            (std::vector<std::string>{"s-alice", "s-bob", "s-carol"}));
}

TEST_F(PgSessionStoreTest, TenantAdminReachesTenantByIdAndIsAudited) {
  auto got = store_->GetSession(t1_admin_, Get("s-bob"));
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->user_id(), "bob");
  EXPECT_EQ(SuperuserScalar(
                "SELECT count(*) FROM bastion_data.audit_events"
                " WHERE user_id = 'admin1' AND action = 'sessions.get'"
                " AND resource_id = 's-bob' AND admin_level = 'tenant'"),
            "1");
  // Non-admin calls are not audit events.
  ASSERT_THAT(store_->GetSession(alice_, Get("s-alice")), IsOk());
  EXPECT_EQ(SuperuserScalar("SELECT count(*) FROM bastion_data.audit_events"
                            " WHERE user_id = 'alice'"),
            "0");
}

TEST_F(PgSessionStoreTest, AdminCreatesAsItself) {
  auto created = store_->CreateSession(t1_admin_, NewSession("s-admin"));
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->user_id(), "admin1");
}

TEST_F(PgSessionStoreTest, UpdateAndDelete) {
  v1::UpdateSessionRequest update;
  update.set_session_id("s-alice");
  update.set_update_state(true);
  update.set_state_json(R"({"step": 2})");
  auto updated = store_->UpdateSession(alice_, update);
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->state_json(), R"({"step": 2})");
  EXPECT_EQ(updated->name(), "n-s-alice");  // Unchanged.
  EXPECT_GT(updated->updated_at_unix_micros(),
            updated->created_at_unix_micros());
  v1::DeleteSessionRequest del;
  del.set_session_id("s-alice");
  EXPECT_THAT(store_->DeleteSession(alice_, del), IsOk());
  EXPECT_THAT(store_->GetSession(alice_, Get("s-alice")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteSession(alice_, del),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgSessionStoreTest, RejectsBadInput) {
  EXPECT_THAT(store_->CreateSession(alice_, NewSession("bad id")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto no_type = NewSession("x1");
  no_type.set_component_type(common::v1::COMPONENT_TYPE_UNSPECIFIED);
  EXPECT_THAT(store_->CreateSession(alice_, no_type),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto bad_json = NewSession("x2");
  bad_json.set_state_json("{not json");
  EXPECT_THAT(store_->CreateSession(alice_, bad_json),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto array = NewSession("x3");
  array.set_state_json("[1]");
  EXPECT_THAT(store_->CreateSession(alice_, array),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ListSessionsRequest list;
  list.mutable_page()->set_limit(1001);
  EXPECT_THAT(store_->ListSessions(alice_, list),
              StatusIs(absl::StatusCode::kInvalidArgument));
  list.mutable_page()->set_limit(10);
  list.mutable_page()->set_cursor("garbage");
  EXPECT_THAT(store_->ListSessions(alice_, list),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Caller anonymous = MakeCaller("t1", "");
  EXPECT_THAT(store_->GetSession(anonymous, Get("s-alice")),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(PgSessionStoreTest, PagesThroughInEveryOrder) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_THAT(store_->CreateSession(alice_, NewSession("p" + std::to_string(i),
                                                         i % 2 ? "odd" : "even")),
                IsOk());
  }
  for (auto field : {v1::SORT_FIELD_CREATED_AT, v1::SORT_FIELD_UPDATED_AT}) {
    for (auto order : {v1::SORT_ORDER_ASC, v1::SORT_ORDER_DESC}) {
      v1::ListSessionsRequest r;
      r.set_sort_field(field);
      r.set_sort_order(order);
      r.mutable_page()->set_limit(3);
      std::vector<std::string> all;
      int pages = 0;
      do {
        auto page = store_->ListSessions(alice_, r);
        ASSERT_THAT(page, IsOk());
        for (const auto& s : page->sessions()) all.push_back(s.session_id());
        r.mutable_page()->set_cursor(page->page().next_cursor());
        ++pages;
      } while (!r.page().cursor().empty() && pages < 10);
      EXPECT_EQ(all.size(), 8u);
      EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 8u);
      EXPECT_EQ(pages, 3);
    }
  }
  v1::ListSessionsRequest filtered;
  filtered.set_component_id("odd");
  auto odd = store_->ListSessions(alice_, filtered);
  ASSERT_THAT(odd, IsOk());
  EXPECT_EQ(odd->sessions_size(), 3);
}

TEST_F(PgSessionStoreTest, PooledConnectionNeverShowsThePreviousPrincipal) {
  // Pool size 1: alice's and bob's calls alternate on one connection.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(List(alice_), std::vector<std::string>{"s-alice"});
    EXPECT_EQ(List(bob_), std::vector<std::string>{"s-bob"});
    EXPECT_THAT(store_->GetSession(bob_, Get("s-alice")),
                StatusIs(absl::StatusCode::kNotFound));
  }
  // After a failed call too.
  EXPECT_THAT(store_->CreateSession(alice_, NewSession("s-bob")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(List(bob_), std::vector<std::string>{"s-bob"});
  EXPECT_EQ(pool_->OpenConnections(), 1);
}

TEST_F(PgSessionStoreTest, ServiceRoleWithoutPrincipalSettingsSeesNothing) {
  // What any code path that forgot the principal transaction would get.
  auto lease = pool_->Acquire();
  ASSERT_THAT(lease, IsOk());
  auto rows = (*lease)->Execute(
      {"SELECT count(*) FROM bastion_data.sessions", {}});
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(rows->Get(0, 0), "0");
  EXPECT_EQ(SuperuserScalar("SELECT count(*) FROM bastion_data.sessions"), "3");
  auto deleted = (*lease)->Execute({"DELETE FROM bastion_data.sessions", {}});
  ASSERT_THAT(deleted, IsOk());
  EXPECT_EQ(deleted->affected_rows(), 0);
}

class PgSessionStoreConcurrencyTest : public PgSessionStoreTest {
 protected:
  int PoolSize() const override { return 4; }
};

TEST_F(PgSessionStoreConcurrencyTest, ManyUsersSeeOnlyTheirOwn) {
  constexpr int kUsers = 12;
  std::atomic<int> leaks{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int u = 0; u < kUsers; ++u) {
    threads.emplace_back([&, u] {
      const auto me = MakeCaller("t" + std::to_string(u % 3),
                                    "user" + std::to_string(u));
      for (int i = 0; i < 5; ++i) {
        if (!store_->CreateSession(me, NewSession("u" + std::to_string(u) +
                                                  "-" + std::to_string(i)))
                 .ok()) {
          ++errors;
        }
        v1::ListSessionsRequest r;
        r.mutable_page()->set_limit(100);
        auto page = store_->ListSessions(me, r);
        if (!page.ok()) {
          ++errors;
          continue;
        }
        for (const auto& s : page->sessions()) {
          if (s.user_id() != me.principal.subject() ||
              s.tenant_id() != me.principal.tenant_id()) {
            ++leaks;
          }
        }
        if (page->sessions_size() != i + 1) ++leaks;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(leaks.load(), 0);
}

}  // namespace
}  // namespace bastion::data::storage
