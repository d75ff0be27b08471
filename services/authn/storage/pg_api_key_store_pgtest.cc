// PgApiKeyStore against a real PostgreSQL with authn's schema: owner
// scoping (another owner's key is NOT_FOUND), revocation, rotation with a
// grace period, lookup by hash before any principal is known, paging.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/pg/pg_pool.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authn/migrations/migrations.h"
#include "services/authn/storage/pg_api_key_store.h"
#include "tests/pg/test_database.h"

namespace bastion::authn::storage {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;

const absl::Time kT0 = absl::FromUnixSeconds(1900000000);

std::string Hash(char fill) { return std::string(32, fill); }

std::string KeyId(int n) {
  std::string hex = absl::StrCat(absl::Hex(n, absl::kZeroPad8));
  return absl::StrCat("key_", std::string(24, '0'), hex);
}

NewApiKey Key(int n, char hash_fill, absl::Time created = kT0) {
  NewApiKey key;
  key.key_id = KeyId(n);
  key.name = absl::StrCat("key ", n);
  key.scopes = {"agents:read", "sessions:s-1:read"};
  key.secret_hash = Hash(hash_fill);
  key.display_prefix = "bst_abcdefgh";
  key.rate_limit_per_second = 5;
  key.created_at = created;
  key.expires_at = created + absl::Hours(24);
  return key;
}

const ApiKeyOwner kAlice{"t1", "alice"};
const ApiKeyOwner kBob{"t1", "bob"};
const ApiKeyOwner kAliceElsewhere{"t2", "alice"};

class PgApiKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = ::bastion::testing::TestDatabase::Create(AuthnMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    pool_ = std::make_unique<pg::PgPool>(
        pg::PgPoolOptions{db_->service_conninfo(), 2});
    store_ = std::make_unique<PgApiKeyStore>(*pool_);
  }

  std::unique_ptr<::bastion::testing::TestDatabase> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgApiKeyStore> store_;
};

TEST_F(PgApiKeyStoreTest, InsertsAndReturnsTheRecordAsStored) {
  auto record = store_->Insert(kAlice, Key(1, 'a'));
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(record->tenant_id, "t1");
  EXPECT_EQ(record->user_id, "alice");
  EXPECT_EQ(record->key_id, KeyId(1));
  EXPECT_THAT(record->scopes, ElementsAre("agents:read", "sessions:s-1:read"));
  EXPECT_EQ(record->display_prefix, "bst_abcdefgh");
  EXPECT_EQ(record->rate_limit_per_second, 5);
  EXPECT_EQ(record->created_at, kT0);
  EXPECT_EQ(record->expires_at, kT0 + absl::Hours(24));
  EXPECT_FALSE(record->revoked_at.has_value());
  EXPECT_FALSE(record->previous_secret_expires_at.has_value());
}

TEST_F(PgApiKeyStoreTest, DuplicateHashIsAlreadyExists) {
  ASSERT_THAT(store_->Insert(kAlice, Key(1, 'a')), IsOk());
  EXPECT_THAT(store_->Insert(kBob, Key(2, 'a')),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PgApiKeyStoreTest, FindsByHashWithoutAPrincipal) {
  ASSERT_THAT(store_->Insert(kAlice, Key(1, 'a')), IsOk());
  auto found = store_->FindBySecretHash(Hash('a'));
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->tenant_id, "t1");
  EXPECT_EQ((*found)->user_id, "alice");
  EXPECT_EQ((*found)->key_id, KeyId(1));
  EXPECT_EQ((*found)->matched_hash, Hash('a'));
  EXPECT_FALSE((*found)->previous_secret);
  EXPECT_FALSE((*found)->revoked);
  EXPECT_EQ((*found)->expires_at, kT0 + absl::Hours(24));
  EXPECT_EQ((*found)->rate_limit_per_second, 5);
  EXPECT_THAT((*found)->scopes,
              ElementsAre("agents:read", "sessions:s-1:read"));

  auto unknown = store_->FindBySecretHash(Hash('z'));
  ASSERT_THAT(unknown, IsOk());
  EXPECT_FALSE(unknown->has_value());
}

TEST_F(PgApiKeyStoreTest, ListsOnlyTheOwnersKeysNewestFirst) {
  ASSERT_THAT(store_->Insert(kAlice, Key(1, 'a', kT0)), IsOk());
  ASSERT_THAT(store_->Insert(kAlice, Key(2, 'b', kT0 + absl::Seconds(1))),
              IsOk());
  ASSERT_THAT(store_->Insert(kBob, Key(3, 'c')), IsOk());
  ASSERT_THAT(store_->Insert(kAliceElsewhere, Key(4, 'd')), IsOk());
  ApiKeyListQuery query;
  query.now = kT0 + absl::Minutes(1);
  auto alice = store_->List(kAlice, query);
  ASSERT_THAT(alice, IsOk());
  ASSERT_EQ(alice->size(), 2u);
  EXPECT_EQ((*alice)[0].key_id, KeyId(2));
  EXPECT_EQ((*alice)[1].key_id, KeyId(1));
  auto bob = store_->List(kBob, query);
  ASSERT_THAT(bob, IsOk());
  ASSERT_EQ(bob->size(), 1u);
  EXPECT_EQ((*bob)[0].key_id, KeyId(3));
}

TEST_F(PgApiKeyStoreTest, PagesWithACursorAndHidesInactiveKeys) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_THAT(store_->Insert(kAlice, Key(i, static_cast<char>('a' + i),
                                           kT0 + absl::Seconds(i))),
                IsOk());
  }
  ASSERT_THAT(store_->Revoke(kAlice, KeyId(3), kT0 + absl::Minutes(1)), IsOk());
  ApiKeyListQuery query;
  query.now = kT0 + absl::Minutes(2);
  query.limit = 2;
  auto first = store_->List(kAlice, query);
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].key_id, KeyId(5));
  EXPECT_EQ((*first)[1].key_id, KeyId(4));
  query.after = ApiKeyCursor{(*first)[1].created_at, (*first)[1].key_id};
  auto second = store_->List(kAlice, query);
  ASSERT_THAT(second, IsOk());
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*second)[0].key_id, KeyId(2));  // 3 is revoked
  EXPECT_EQ((*second)[1].key_id, KeyId(1));

  query.after.reset();
  query.limit = 10;
  query.include_inactive = true;
  auto all = store_->List(kAlice, query);
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), 5u);
  // Expired keys are inactive too.
  query.include_inactive = false;
  query.now = kT0 + absl::Hours(48);
  auto none = store_->List(kAlice, query);
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

TEST_F(PgApiKeyStoreTest, RevokeReachesOnlyTheOwnersKey) {
  ASSERT_THAT(store_->Insert(kAlice, Key(1, 'a')), IsOk());
  EXPECT_THAT(store_->Revoke(kBob, KeyId(1), kT0),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Revoke(kAliceElsewhere, KeyId(1), kT0),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Revoke(kAlice, KeyId(9), kT0),
              StatusIs(absl::StatusCode::kNotFound));
  auto found = store_->FindBySecretHash(Hash('a'));
  ASSERT_THAT(found, IsOk());
  EXPECT_FALSE((*found)->revoked);

  auto revoked = store_->Revoke(kAlice, KeyId(1), kT0 + absl::Seconds(5));
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(revoked->revoked_at, kT0 + absl::Seconds(5));
  // Revoking again keeps the first time.
  auto again = store_->Revoke(kAlice, KeyId(1), kT0 + absl::Seconds(9));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->revoked_at, kT0 + absl::Seconds(5));
  found = store_->FindBySecretHash(Hash('a'));
  ASSERT_THAT(found, IsOk());
  EXPECT_TRUE((*found)->revoked);
}

TEST_F(PgApiKeyStoreTest, RotateKeepsTheOldHashUntilTheGraceEnds) {
  ASSERT_THAT(store_->Insert(kAlice, Key(1, 'a')), IsOk());
  const absl::Time now = kT0 + absl::Hours(1);
  auto rotated = store_->Rotate(kAlice, KeyId(1), Hash('b'), "bst_newprefx",
                                now, now + absl::Hours(2));
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(rotated->display_prefix, "bst_newprefx");
  EXPECT_EQ(rotated->previous_secret_expires_at, now + absl::Hours(2));

  auto current = store_->FindBySecretHash(Hash('b'));
  ASSERT_THAT(current, IsOk());
  ASSERT_TRUE(current->has_value());
  EXPECT_FALSE((*current)->previous_secret);
  auto old = store_->FindBySecretHash(Hash('a'));
  ASSERT_THAT(old, IsOk());
  ASSERT_TRUE(old->has_value());
  EXPECT_TRUE((*old)->previous_secret);
  EXPECT_EQ((*old)->matched_hash, Hash('a'));
  EXPECT_EQ((*old)->previous_secret_expires_at, now + absl::Hours(2));

  // A second rotation drops the first old secret at once.
  ASSERT_THAT(store_->Rotate(kAlice, KeyId(1), Hash('c'), "bst_thirdone", now,
                             now + absl::Hours(2)),
              IsOk());
  old = store_->FindBySecretHash(Hash('a'));
  ASSERT_THAT(old, IsOk());
  EXPECT_FALSE(old->has_value());
  auto middle = store_->FindBySecretHash(Hash('b'));
  ASSERT_THAT(middle, IsOk());
  ASSERT_TRUE(middle->has_value());
  EXPECT_TRUE((*middle)->previous_secret);
}

TEST_F(PgApiKeyStoreTest, RotateGraceNeverOutlivesTheKey) {
  ASSERT_THAT(store_->Insert(kAlice, Key(1, 'a')), IsOk());
  auto rotated = store_->Rotate(kAlice, KeyId(1), Hash('b'), "bst_x", kT0,
                                kT0 + absl::Hours(100));
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(rotated->previous_secret_expires_at, kT0 + absl::Hours(24));
}

TEST_F(PgApiKeyStoreTest, RotateRefusesOthersRevokedAndExpiredKeys) {
  ASSERT_THAT(store_->Insert(kAlice, Key(1, 'a')), IsOk());
  ASSERT_THAT(store_->Insert(kAlice, Key(2, 'b')), IsOk());
  EXPECT_THAT(store_->Rotate(kBob, KeyId(1), Hash('x'), "bst_x", kT0,
                             kT0 + absl::Hours(1)),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(store_->Revoke(kAlice, KeyId(2), kT0), IsOk());
  EXPECT_THAT(store_->Rotate(kAlice, KeyId(2), Hash('x'), "bst_x", kT0,
                             kT0 + absl::Hours(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->Rotate(kAlice, KeyId(1), Hash('x'), "bst_x",
                             kT0 + absl::Hours(25), kT0 + absl::Hours(26)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Nothing changed for the failed attempts.
  auto found = store_->FindBySecretHash(Hash('x'));
  ASSERT_THAT(found, IsOk());
  EXPECT_FALSE(found->has_value());
}

TEST_F(PgApiKeyStoreTest, UnreachableDatabaseIsUnavailable) {
  pg::PgPool dead(pg::PgPoolOptions{
      "host=/nonexistent port=1 dbname=x user=y connect_timeout=1", 1,
      absl::Seconds(2)});
  PgApiKeyStore store(dead);
  EXPECT_THAT(store.FindBySecretHash(Hash('a')),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store.Insert(kAlice, Key(1, 'a')),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace bastion::authn::storage
