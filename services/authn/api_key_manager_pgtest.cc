// API keys end to end below the gRPC adapter, on a real PostgreSQL and an
// injected clock: create -> authenticate -> list -> rotate (old secret works
// during the grace period, not after) -> revoke -> rejected; scope, lifetime
// and ownership rules; and the identical answer for every bad key.
#include <memory>
#include <string>
#include <utility>

#include "common/assertion/signer.h"
#include "common/clock/fake_clock.h"
#include "common/pg/pg_pool.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authn/api_key_manager.h"
#include "services/authn/api_key_secret.h"
#include "services/authn/authn_options.h"
#include "services/authn/credential_authenticator.h"
#include "services/authn/jwt/key_set.h"
#include "services/authn/jwt/testing/test_keys.h"
#include "services/authn/migrations/migrations.h"
#include "services/authn/storage/pg_api_key_store.h"
#include "tests/pg/test_database.h"

namespace bastion::authn {
namespace {

using ::bastion::common::v1::Principal;
using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1900000000);

Principal User(const std::string& subject, const std::string& tenant = "t1") {
  Principal p;
  p.set_tenant_id(tenant);
  p.set_subject(subject);
  p.add_scopes("agents:read");
  p.add_scopes("api_keys:write");
  p.add_scopes("sessions:s-1:read");
  p.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  return p;
}

v1::CreateApiKeyRequest CreateRequest(std::vector<std::string> scopes = {
                                          "agents:read"}) {
  v1::CreateApiKeyRequest request;
  request.set_name("ci deploys");
  for (const std::string& s : scopes) request.add_scopes(s);
  return request;
}

class ApiKeyManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = ::bastion::testing::TestDatabase::Create(AuthnMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    pool_ = std::make_unique<pg::PgPool>(
        pg::PgPoolOptions{db_->service_conninfo(), 2});
    store_ = std::make_unique<storage::PgApiKeyStore>(*pool_);
    manager_ = std::make_unique<ApiKeyManager>(store_.get(), &clock_);
  }

  // authn's Authenticator with this manager (and a JWT verifier, so the
  // answers for keys can be compared with the answer for a bad JWT).
  std::unique_ptr<CredentialAuthenticator> Authenticator(
      const ApiKeyManager* manager) {
    auto keys = jwt::KeySet::Create(
        {jwt::testing::TestKey::Hmac(std::string(32, 'k')).VerifierKey("k1")});
    EXPECT_TRUE(keys.ok());
    v1::AuthnConfig config;
    config.add_issuer("https://issuer.test");
    auto options = VerifierOptionsFrom(config);
    EXPECT_TRUE(options.ok());
    auto verifier = jwt::JwtVerifier::Create(
        *options, std::make_shared<jwt::StaticKeySource>(*keys), &clock_);
    EXPECT_TRUE(verifier.ok());
    return std::make_unique<CredentialAuthenticator>(
        *std::move(verifier), &signer_, "bastion", absl::Seconds(300), &clock_,
        manager, absl::Seconds(60));
  }

  v1::CreateApiKeyResponse MustCreate(const Principal& caller,
                                      const v1::CreateApiKeyRequest& request) {
    auto created = manager_->Create(caller, request);
    EXPECT_THAT(created, IsOk());
    return created.ok() ? *created : v1::CreateApiKeyResponse();
  }

  FakeClock clock_{kT0};
  assertion::AssertionSigner signer_ = *assertion::AssertionSigner::Generate();
  std::unique_ptr<::bastion::testing::TestDatabase> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<storage::PgApiKeyStore> store_;
  std::unique_ptr<ApiKeyManager> manager_;
};

TEST_F(ApiKeyManagerTest, CreateAuthenticateListRotateRevoke) {
  const Principal alice = User("alice");
  v1::CreateApiKeyRequest request = CreateRequest({"agents:read"});
  request.set_rate_limit_per_second(7);
  const v1::CreateApiKeyResponse created = MustCreate(alice, request);
  const std::string secret = created.secret();
  EXPECT_TRUE(IsWellFormedApiKeySecret(secret));
  EXPECT_EQ(created.key().tenant_id(), "t1");
  EXPECT_EQ(created.key().owner_subject(), "alice");
  EXPECT_THAT(created.key().scopes(), ElementsAre("agents:read"));
  EXPECT_EQ(created.key().created_at_unix(), absl::ToUnixSeconds(kT0));
  EXPECT_EQ(created.key().expires_at_unix(),
            absl::ToUnixSeconds(kT0 + absl::Hours(24 * 90)));
  EXPECT_EQ(created.key().display_prefix(), secret.substr(0, 12));
  EXPECT_EQ(created.key().rate_limit_per_second(), 7);
  const std::string key_id = created.key().key_id();

  // Authenticate: the owner, the key's scopes, API_KEY, the key id.
  auto principal = manager_->Verify(secret);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->tenant_id(), "t1");
  EXPECT_EQ(principal->subject(), "alice");
  EXPECT_THAT(principal->scopes(), ElementsAre("agents:read"));
  EXPECT_TRUE(principal->roles().empty());
  EXPECT_EQ(principal->credential_kind(), common::v1::CREDENTIAL_KIND_API_KEY);
  EXPECT_EQ(principal->token_id(), key_id);
  EXPECT_EQ(principal->issuer(), kApiKeyIssuer);
  EXPECT_EQ(principal->expires_at_unix(), created.key().expires_at_unix());
  EXPECT_EQ(principal->rate_limit_per_second(), 7);

  // List: metadata only.
  auto listed = manager_->List(alice, v1::ListApiKeysRequest());
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->keys_size(), 1);
  EXPECT_EQ(listed->keys(0).key_id(), key_id);
  EXPECT_EQ(listed->keys(0).DebugString().find(secret.substr(12)),
            std::string::npos);

  // Rotate with a one-hour grace period.
  clock_.Advance(absl::Minutes(10));
  v1::RotateApiKeyRequest rotate;
  rotate.set_key_id(key_id);
  rotate.set_grace_seconds(3600);
  auto rotated = manager_->Rotate(alice, rotate);
  ASSERT_THAT(rotated, IsOk());
  const std::string new_secret = rotated->secret();
  EXPECT_NE(new_secret, secret);
  EXPECT_EQ(rotated->old_secret_expires_at_unix(),
            absl::ToUnixSeconds(clock_.Now() + absl::Hours(1)));
  EXPECT_EQ(rotated->key().display_prefix(), new_secret.substr(0, 12));
  EXPECT_THAT(manager_->Verify(new_secret), IsOk());
  auto old = manager_->Verify(secret);
  ASSERT_THAT(old, IsOk());
  EXPECT_EQ(old->expires_at_unix(), rotated->old_secret_expires_at_unix());

  clock_.Advance(absl::Minutes(59));
  EXPECT_THAT(manager_->Verify(secret), IsOk());
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(manager_->Verify(secret),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(manager_->Verify(new_secret), IsOk());

  // Revoke: the next lookup refuses it (nothing is cached in authn).
  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id(key_id);
  auto revoked = manager_->Revoke(alice, revoke);
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(revoked->key().revoked_at_unix(),
            absl::ToUnixSeconds(clock_.Now()));
  EXPECT_THAT(manager_->Verify(new_secret),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(manager_->Verify(secret),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(manager_->Rotate(alice, rotate),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // Revoked keys are listed only on request.
  listed = manager_->List(alice, v1::ListApiKeysRequest());
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->keys_size(), 0);
  v1::ListApiKeysRequest all;
  all.set_include_inactive(true);
  listed = manager_->List(alice, all);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->keys_size(), 1);
  EXPECT_NE(listed->keys(0).revoked_at_unix(), 0);
}

TEST_F(ApiKeyManagerTest, ScopesAboveTheCreatorsAreRefused) {
  const Principal alice = User("alice");
  auto above =
      manager_->Create(alice, CreateRequest({"agents:read", "agents:run"}));
  EXPECT_THAT(above, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(above.status().message(), HasSubstr("agents:run"));
  // No widening through the grammar: a wildcard the creator does not hold
  // literally is refused too.
  EXPECT_THAT(manager_->Create(alice, CreateRequest({"sessions:*:read"})),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(manager_->Create(alice, CreateRequest({"agent_os:admin"})),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(manager_->Create(alice, CreateRequest({})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(manager_->Create(alice, CreateRequest({"agents read"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A subset, with a duplicate, is fine and stored once.
  auto ok = manager_->Create(
      alice,
      CreateRequest({"sessions:s-1:read", "agents:read", "agents:read"}));
  ASSERT_THAT(ok, IsOk());
  EXPECT_THAT(ok->key().scopes(),
              ElementsAre("sessions:s-1:read", "agents:read"));
}

TEST_F(ApiKeyManagerTest, LifetimeIsBoundedToOneYear) {
  const Principal alice = User("alice");
  v1::CreateApiKeyRequest request = CreateRequest();
  request.set_ttl_seconds(365 * 24 * 3600 + 1);
  EXPECT_THAT(manager_->Create(alice, request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request.set_ttl_seconds(-1);
  EXPECT_THAT(manager_->Create(alice, request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request.set_ttl_seconds(365 * 24 * 3600);
  auto year = manager_->Create(alice, request);
  ASSERT_THAT(year, IsOk());
  EXPECT_EQ(year->key().expires_at_unix(),
            absl::ToUnixSeconds(kT0) + 365 * 24 * 3600);
  request.set_ttl_seconds(0);
  request.set_rate_limit_per_second(-1);
  EXPECT_THAT(manager_->Create(alice, request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request.set_rate_limit_per_second(0);
  request.set_name("");
  EXPECT_THAT(manager_->Create(alice, request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request.set_name(std::string(101, 'n'));
  EXPECT_THAT(manager_->Create(alice, request),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ApiKeyManagerTest, ExpiredKeyStopsWorking) {
  v1::CreateApiKeyRequest request = CreateRequest();
  request.set_ttl_seconds(3600);
  const std::string secret = MustCreate(User("alice"), request).secret();
  clock_.Advance(absl::Minutes(59));
  EXPECT_THAT(manager_->Verify(secret), IsOk());
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(manager_->Verify(secret),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(ApiKeyManagerTest, SomeoneElsesKeyIsNotFound) {
  const std::string key_id =
      MustCreate(User("alice"), CreateRequest()).key().key_id();
  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id(key_id);
  v1::RotateApiKeyRequest rotate;
  rotate.set_key_id(key_id);
  for (const Principal& other : {User("bob"), User("alice", "t2")}) {
    EXPECT_THAT(manager_->Revoke(other, revoke),
                StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(manager_->Rotate(other, rotate),
                StatusIs(absl::StatusCode::kNotFound));
    auto listed = manager_->List(other, v1::ListApiKeysRequest());
    ASSERT_THAT(listed, IsOk());
    EXPECT_EQ(listed->keys_size(), 0);
  }
  revoke.set_key_id("key_ffffffffffffffffffffffffffffffff");
  EXPECT_THAT(manager_->Revoke(User("alice"), revoke),
              StatusIs(absl::StatusCode::kNotFound));
  revoke.set_key_id("../key");
  EXPECT_THAT(manager_->Revoke(User("alice"), revoke),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ApiKeyManagerTest, AnApiKeyCannotMintOrRotateKeys) {
  Principal key_caller = User("alice");
  key_caller.set_credential_kind(common::v1::CREDENTIAL_KIND_API_KEY);
  EXPECT_THAT(manager_->Create(key_caller, CreateRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  const std::string key_id =
      MustCreate(User("alice"), CreateRequest()).key().key_id();
  v1::RotateApiKeyRequest rotate;
  rotate.set_key_id(key_id);
  EXPECT_THAT(manager_->Rotate(key_caller, rotate),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Listing and revoking its owner's keys is allowed.
  EXPECT_THAT(manager_->List(key_caller, v1::ListApiKeysRequest()), IsOk());
}

TEST_F(ApiKeyManagerTest, RotationGraceDefaultsTo24HoursAndIsAtMost7Days) {
  const std::string key_id =
      MustCreate(User("alice"), CreateRequest()).key().key_id();
  v1::RotateApiKeyRequest rotate;
  rotate.set_key_id(key_id);
  rotate.set_grace_seconds(7 * 24 * 3600 + 1);
  EXPECT_THAT(manager_->Rotate(User("alice"), rotate),
              StatusIs(absl::StatusCode::kInvalidArgument));
  rotate.set_grace_seconds(-5);
  EXPECT_THAT(manager_->Rotate(User("alice"), rotate),
              StatusIs(absl::StatusCode::kInvalidArgument));
  rotate.set_grace_seconds(0);
  auto rotated = manager_->Rotate(User("alice"), rotate);
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(rotated->old_secret_expires_at_unix(),
            absl::ToUnixSeconds(kT0 + absl::Hours(24)));
}

TEST_F(ApiKeyManagerTest, ListPagesWithACursor) {
  for (int i = 0; i < 3; ++i) {
    MustCreate(User("alice"), CreateRequest());
    clock_.Advance(absl::Seconds(1));
  }
  v1::ListApiKeysRequest request;
  request.mutable_page()->set_limit(2);
  auto first = manager_->List(User("alice"), request);
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->keys_size(), 2);
  ASSERT_FALSE(first->page().next_cursor().empty());
  EXPECT_GT(first->keys(0).created_at_unix(), first->keys(1).created_at_unix());
  request.mutable_page()->set_cursor(first->page().next_cursor());
  auto second = manager_->List(User("alice"), request);
  ASSERT_THAT(second, IsOk());
  ASSERT_EQ(second->keys_size(), 1);
  EXPECT_TRUE(second->page().next_cursor().empty());
  EXPECT_NE(second->keys(0).key_id(), first->keys(0).key_id());
  EXPECT_NE(second->keys(0).key_id(), first->keys(1).key_id());

  request.mutable_page()->set_cursor("bm90IGEgY3Vyc29y");
  EXPECT_THAT(manager_->List(User("alice"), request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request.mutable_page()->set_cursor("");
  request.mutable_page()->set_limit(1001);
  EXPECT_THAT(manager_->List(User("alice"), request),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ApiKeyManagerTest, AuthenticatesAKeyWithAShortLivedAssertion) {
  const std::string secret =
      MustCreate(User("alice"), CreateRequest()).secret();
  auto authenticator = Authenticator(manager_.get());
  auto result = authenticator->AuthenticateCredential(secret);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->caller.principal.subject(), "alice");
  EXPECT_EQ(result->caller.principal.credential_kind(),
            common::v1::CREDENTIAL_KIND_API_KEY);
  EXPECT_FALSE(result->caller.assertion.empty());
  EXPECT_EQ(result->assertion_expires, kT0 + absl::Seconds(60));
}

TEST_F(ApiKeyManagerTest,
       UnknownExpiredRevokedAndMalformedKeysGetTheSameAnswer) {
  auto authenticator = Authenticator(manager_.get());
  v1::CreateApiKeyRequest short_lived = CreateRequest();
  short_lived.set_ttl_seconds(60);
  const std::string expired = MustCreate(User("alice"), short_lived).secret();
  const v1::CreateApiKeyResponse to_revoke =
      MustCreate(User("alice"), CreateRequest());
  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id(to_revoke.key().key_id());
  ASSERT_THAT(manager_->Revoke(User("alice"), revoke), IsOk());
  const v1::CreateApiKeyResponse rotated_key =
      MustCreate(User("alice"), CreateRequest());
  v1::RotateApiKeyRequest rotate;
  rotate.set_key_id(rotated_key.key().key_id());
  rotate.set_grace_seconds(30);
  ASSERT_THAT(manager_->Rotate(User("alice"), rotate), IsOk());
  clock_.Advance(absl::Minutes(2));

  const std::string unknown = GenerateApiKeySecret()->secret;
  const absl::Status reference =
      authenticator->AuthenticateCredential(unknown).status();
  EXPECT_THAT(reference, StatusIs(absl::StatusCode::kUnauthenticated));
  for (const std::string& bad :
       {expired, to_revoke.secret(), rotated_key.secret(),
        std::string("bst_short"), unknown.substr(0, 46) + "!",
        std::string("not.a.jwt")}) {
    EXPECT_EQ(authenticator->AuthenticateCredential(bad).status(), reference)
        << bad;
  }
  // Without a database every key gets that answer too.
  auto jwt_only = Authenticator(nullptr);
  const std::string fine = MustCreate(User("alice"), CreateRequest()).secret();
  EXPECT_EQ(jwt_only->AuthenticateCredential(fine).status(), reference);
}

TEST_F(ApiKeyManagerTest, UnreachableStoreIsUnavailableNotUnauthenticated) {
  const std::string secret =
      MustCreate(User("alice"), CreateRequest()).secret();
  pg::PgPool dead(pg::PgPoolOptions{
      "host=/nonexistent port=1 dbname=x user=y connect_timeout=1", 1,
      absl::Seconds(2)});
  storage::PgApiKeyStore dead_store(dead);
  ApiKeyManager manager(&dead_store, &clock_);
  EXPECT_THAT(manager.Verify(secret), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Authenticator(&manager)->AuthenticateCredential(secret),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(manager.Create(User("alice"), CreateRequest()),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace bastion::authn
