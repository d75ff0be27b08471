// Delegations end to end below the gRPC adapter, on a real PostgreSQL and an
// injected clock: exchange -> verify as the holder -> renew past the user's
// own credential -> end -> renewal refused; a revoked API key ends its
// delegation at the next renewal; scopes never grow; only the holder may
// renew or end; a delegation is never exchanged again. Schedule grants:
// the same refusals at the exchange; run delegations issued from a grant
// renew and end like any other and name the grant; only the holder issues
// from or ends a grant; an ended grant or a revoked or expired API key
// issues nothing; the store acts for the grant's owner only.
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/assertion/key_set.h"
#include "common/assertion/signer.h"
#include "common/assertion/verifier.h"
#include "common/clock/fake_clock.h"
#include "common/pg/pg_pool.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authn/api_key_manager.h"
#include "services/authn/delegation_manager.h"
#include "services/authn/migrations/migrations.h"
#include "services/authn/storage/pg_api_key_store.h"
#include "services/authn/storage/pg_delegation_store.h"
#include "tests/pg/test_database.h"

namespace bastion::authn {
namespace {

using ::bastion::common::v1::AssertionClaims;
using ::bastion::common::v1::Principal;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;

const absl::Time kT0 = absl::FromUnixSeconds(1900000000);
constexpr char kHolder[] = "service:run_executor";

Principal JwtUser(const std::string& subject) {
  Principal p;
  p.set_tenant_id("t1");
  p.set_subject(subject);
  p.add_scopes("agents:run");
  p.add_scopes("memories:write");
  p.add_scopes("api_keys:write");
  p.add_roles("member");
  p.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  p.set_issuer("https://issuer.test");
  p.set_token_id("jti-1");
  // The user's token ends in two minutes.
  p.set_expires_at_unix(absl::ToUnixSeconds(kT0 + absl::Minutes(2)));
  return p;
}

class DelegationManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = ::bastion::testing::TestDatabase::Create(AuthnMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    pool_ = std::make_unique<pg::PgPool>(
        pg::PgPoolOptions{db_->service_conninfo(), 2});
    store_ = std::make_unique<storage::PgDelegationStore>(*pool_);
    key_store_ = std::make_unique<storage::PgApiKeyStore>(*pool_);
    api_keys_ = std::make_unique<ApiKeyManager>(key_store_.get(), &clock_);
    auto signer = assertion::AssertionSigner::Generate();
    ASSERT_TRUE(signer.ok());
    signer_ = std::make_unique<assertion::AssertionSigner>(*std::move(signer));
    auto keys = assertion::KeySet::Create({signer_->PublicKey()});
    ASSERT_TRUE(keys.ok());
    verifier_ = std::make_unique<assertion::AssertionVerifier>(
        std::make_shared<assertion::StaticKeyProvider>(*keys), &clock_,
        "bastion");
    DelegationOptions options;
    options.ttl = absl::Minutes(5);
    options.max_lifetime = absl::Hours(2);
    manager_ = std::make_unique<DelegationManager>(
        store_.get(), signer_.get(), "bastion", options, &clock_);
  }

  static Caller ForwardedBy(Principal user, const std::string& service) {
    Caller caller{std::move(user), "user-assertion"};
    caller.calling_service = service;
    return caller;
  }
  static Caller Service(const std::string& subject) {
    Caller caller;
    caller.principal.set_tenant_id("bastion");
    caller.principal.set_subject(subject);
    caller.principal.set_credential_kind(common::v1::CREDENTIAL_KIND_SERVICE);
    caller.calling_service = subject;
    return caller;
  }
  static v1::ExchangeForRunRequest ForRun(const std::string& run_id) {
    v1::ExchangeForRunRequest request;
    request.set_run_id(run_id);
    return request;
  }

  // The delegation's claims as its holder presents them.
  AssertionClaims Presented(const v1::DelegationGrant& grant) {
    auto claims = verifier_->VerifyPresentedBy(grant.delegation(), kHolder);
    EXPECT_TRUE(claims.ok()) << claims.status();
    return claims.ok() ? *claims : AssertionClaims();
  }

  FakeClock clock_{kT0};
  std::unique_ptr<::bastion::testing::TestDatabase> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<storage::PgDelegationStore> store_;
  std::unique_ptr<storage::PgApiKeyStore> key_store_;
  std::unique_ptr<ApiKeyManager> api_keys_;
  std::unique_ptr<assertion::AssertionSigner> signer_;
  std::unique_ptr<assertion::AssertionVerifier> verifier_;
  std::unique_ptr<DelegationManager> manager_;
};

TEST_F(DelegationManagerTest, ExchangeBindsRunPrincipalAndHolder) {
  auto grant = manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder),
                                  ForRun("run-R"));
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_THAT(grant->delegation_id(), ::testing::StartsWith("dlg_"));
  EXPECT_EQ(grant->expires_at_unix(), absl::ToUnixSeconds(kT0) + 300);
  EXPECT_EQ(grant->renewable_until_unix(), absl::ToUnixSeconds(kT0) + 7200);
  const AssertionClaims claims = Presented(*grant);
  EXPECT_EQ(claims.delegation().delegation_id(), grant->delegation_id());
  EXPECT_EQ(claims.delegation().run_id(), "run-R");
  EXPECT_EQ(claims.delegation().holder_service(), kHolder);
  EXPECT_EQ(claims.principal().tenant_id(), "t1");
  EXPECT_EQ(claims.principal().subject(), "alice");
  EXPECT_THAT(claims.principal().scopes(),
              ElementsAre("agents:run", "memories:write", "api_keys:write"));
  EXPECT_THAT(claims.principal().roles(), ElementsAre("member"));
  EXPECT_EQ(claims.principal().credential_kind(),
            common::v1::CREDENTIAL_KIND_JWT);
  // Nobody but the holder can use it.
  EXPECT_THAT(verifier_->Verify(grant->delegation()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(
      verifier_->VerifyPresentedBy(grant->delegation(), "service:scheduler"),
      StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(DelegationManagerTest, RenewalOutlivesTheUsersTokenUntilTheRunEnds) {
  auto grant = manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder),
                                  ForRun("run-R"));
  ASSERT_TRUE(grant.ok()) << grant.status();
  // The user's token (two minutes) is long gone; the run goes on.
  for (int i = 0; i < 6; ++i) {
    clock_.Advance(absl::Minutes(4));
    auto renewed =
        manager_->Renew(Service(kHolder), grant->delegation_id());
    ASSERT_TRUE(renewed.ok()) << renewed.status();
    EXPECT_EQ(renewed->delegation_id(), grant->delegation_id());
    EXPECT_EQ(renewed->expires_at_unix(),
              absl::ToUnixSeconds(clock_.Now() + absl::Minutes(5)));
    EXPECT_EQ(Presented(*renewed).delegation().run_id(), "run-R");
  }
  auto ended = manager_->End(Service(kHolder), grant->delegation_id());
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->ended_at_unix(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_THAT(manager_->Renew(Service(kHolder), grant->delegation_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Ending again changes nothing.
  clock_.Advance(absl::Minutes(1));
  auto again = manager_->End(Service(kHolder), grant->delegation_id());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ended_at_unix(), ended->ended_at_unix());
}

TEST_F(DelegationManagerTest, RenewalStopsAtTheMaximumLifetime) {
  auto grant = manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder),
                                  ForRun("run-R"));
  ASSERT_TRUE(grant.ok());
  clock_.Advance(absl::Hours(2) - absl::Minutes(1));
  auto last = manager_->Renew(Service(kHolder), grant->delegation_id());
  ASSERT_TRUE(last.ok()) << last.status();
  // Never past the maximum.
  EXPECT_EQ(last->expires_at_unix(), grant->renewable_until_unix());
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(manager_->Renew(Service(kHolder), grant->delegation_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(DelegationManagerTest, RevokedApiKeyEndsTheDelegation) {
  auto key = api_keys_->Create(JwtUser("alice"), [] {
    v1::CreateApiKeyRequest request;
    request.set_name("runs");
    request.add_scopes("agents:run");
    return request;
  }());
  ASSERT_TRUE(key.ok()) << key.status();
  auto principal = api_keys_->Verify(key->secret());
  ASSERT_TRUE(principal.ok()) << principal.status();
  auto grant = manager_->Exchange(ForwardedBy(*principal, kHolder),
                                  ForRun("run-R"));
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_EQ(Presented(*grant).principal().token_id(), key->key().key_id());
  clock_.Advance(absl::Minutes(4));
  ASSERT_TRUE(manager_->Renew(Service(kHolder), grant->delegation_id()).ok());

  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id(key->key().key_id());
  ASSERT_TRUE(api_keys_->Revoke(JwtUser("alice"), revoke).ok());
  EXPECT_THAT(manager_->Renew(Service(kHolder), grant->delegation_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Ended for good: the answer stays the same.
  EXPECT_THAT(manager_->Renew(Service(kHolder), grant->delegation_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(DelegationManagerTest, ScopesAreASubsetOfThePrincipals) {
  v1::ExchangeForRunRequest narrow = ForRun("run-R");
  narrow.add_scopes("agents:run");
  narrow.add_scopes("agents:run");
  auto grant =
      manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder), narrow);
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_THAT(Presented(*grant).principal().scopes(),
              ElementsAre("agents:run"));
  clock_.Advance(absl::Minutes(1));
  auto renewed = manager_->Renew(Service(kHolder), grant->delegation_id());
  ASSERT_TRUE(renewed.ok());
  EXPECT_THAT(Presented(*renewed).principal().scopes(),
              ElementsAre("agents:run"));

  for (const char* wider : {"agent_os:admin", "agents:*:run", "memories:read"}) {
    v1::ExchangeForRunRequest request = ForRun("run-R");
    request.add_scopes(wider);
    EXPECT_THAT(
        manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder), request),
        StatusIs(absl::StatusCode::kPermissionDenied))
        << wider;
  }
}

TEST_F(DelegationManagerTest, OnlyAConfiguredHolderMayExchange) {
  EXPECT_THAT(manager_->Exchange(ForwardedBy(JwtUser("alice"), ""),
                                 ForRun("run-R")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(manager_->Exchange(
                  ForwardedBy(JwtUser("alice"), "service:scheduler"),
                  ForRun("run-R")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  Principal service = JwtUser("run_executor");
  service.set_credential_kind(common::v1::CREDENTIAL_KIND_SERVICE);
  EXPECT_THAT(manager_->Exchange(ForwardedBy(service, kHolder),
                                 ForRun("run-R")),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(DelegationManagerTest, ADelegationIsNeverExchangedAgain) {
  auto grant = manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder),
                                  ForRun("run-R"));
  ASSERT_TRUE(grant.ok());
  Caller presenting = ForwardedBy(JwtUser("alice"), kHolder);
  presenting.assertion = grant->delegation();
  presenting.delegation_id = grant->delegation_id();
  presenting.delegation_run_id = "run-R";
  EXPECT_THAT(manager_->Exchange(presenting, ForRun("run-S")),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(DelegationManagerTest, OnlyTheHolderRenewsOrEnds) {
  auto grant = manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder),
                                  ForRun("run-R"));
  ASSERT_TRUE(grant.ok());
  for (const char* other : {"service:scheduler", ""}) {
    EXPECT_THAT(manager_->Renew(Service(other), grant->delegation_id()),
                StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(manager_->End(Service(other), grant->delegation_id()),
                StatusIs(absl::StatusCode::kNotFound));
  }
  EXPECT_THAT(manager_->Renew(Service(kHolder),
                              "dlg_00000000000000000000000000000000"),
              StatusIs(absl::StatusCode::kNotFound));
  // The other services' attempts ended nothing.
  EXPECT_TRUE(manager_->Renew(Service(kHolder), grant->delegation_id()).ok());
}

// Owners are remembered by the replica that issued the delegation; any
// other replica finds them in the store, with the same holder check.
TEST_F(DelegationManagerTest, AnotherReplicaRenewsAndEndsThroughTheStore) {
  auto grant = manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder),
                                  ForRun("run-R"));
  ASSERT_TRUE(grant.ok());
  DelegationOptions options;
  options.ttl = absl::Minutes(5);
  options.max_lifetime = absl::Hours(2);
  DelegationManager other(store_.get(), signer_.get(), "bastion", options,
                          &clock_);
  EXPECT_THAT(other.Renew(Service("service:scheduler"), grant->delegation_id()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(other.Renew(Service(kHolder), grant->delegation_id()).ok());
  EXPECT_TRUE(other.End(Service(kHolder), grant->delegation_id()).ok());
  // Ended there: the issuing replica's memory does not keep it alive.
  EXPECT_THAT(manager_->Renew(Service(kHolder), grant->delegation_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(DelegationManagerTest, EndManyEndsEachOwnersHeldDelegationsOnly) {
  auto alice_r = manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder),
                                    ForRun("run-R"));
  auto alice_s = manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder),
                                    ForRun("run-S"));
  auto bob = manager_->Exchange(ForwardedBy(JwtUser("bob"), kHolder),
                                ForRun("run-B"));
  auto kept = manager_->Exchange(ForwardedBy(JwtUser("bob"), kHolder),
                                 ForRun("run-K"));
  ASSERT_TRUE(alice_r.ok() && alice_s.ok() && bob.ok() && kept.ok());
  // Another replica (no remembered owners) ends them through the store.
  DelegationManager other(store_.get(), signer_.get(), "bastion",
                          DelegationOptions(), &clock_);
  google::protobuf::RepeatedPtrField<std::string> ids;
  for (const auto* grant : {&*alice_r, &*alice_s, &*bob}) {
    ids.Add(std::string(grant->delegation_id()));
  }
  // Not a delegation, a missing one, one with a space: left out.
  ids.Add("dlg_00000000000000000000000000000000");
  ids.Add(absl::StrCat(kept->delegation_id(), " ", alice_r->delegation_id()));
  ids.Add("");
  // A service that holds none of them ends none of them.
  auto none = other.EndMany(Service("service:scheduler"), ids);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_THAT(none->ended_delegation_ids(), ::testing::IsEmpty());
  EXPECT_TRUE(manager_->Renew(Service(kHolder), alice_r->delegation_id()).ok());

  auto ended = other.EndMany(Service(kHolder), ids);
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_THAT(ended->ended_delegation_ids(),
              ::testing::UnorderedElementsAre(alice_r->delegation_id(),
                                              alice_s->delegation_id(),
                                              bob->delegation_id()));
  for (const auto* grant : {&*alice_r, &*alice_s, &*bob}) {
    EXPECT_THAT(manager_->Renew(Service(kHolder), grant->delegation_id()),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  EXPECT_TRUE(manager_->Renew(Service(kHolder), kept->delegation_id()).ok());
  // Idempotent.
  auto again = manager_->EndMany(Service(kHolder), ids);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->ended_delegation_ids_size(), 3);
}

TEST_F(DelegationManagerTest, EndManyIsBounded) {
  google::protobuf::RepeatedPtrField<std::string> ids;
  for (int i = 0; i <= DelegationManager::kMaxEndedAtOnce; ++i) {
    ids.Add("dlg_00000000000000000000000000000000");
  }
  EXPECT_THAT(manager_->EndMany(Service(kHolder), ids),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

class ScheduleGrantTest : public DelegationManagerTest {
 protected:
  static v1::ExchangeForScheduleRequest ForSchedule(
      const std::string& schedule_id) {
    v1::ExchangeForScheduleRequest request;
    request.set_schedule_id(schedule_id);
    return request;
  }
  static v1::ExchangeScheduleForRunRequest Fire(const std::string& grant_id,
                                                const std::string& run_id) {
    v1::ExchangeScheduleForRunRequest request;
    request.set_grant_id(grant_id);
    request.set_run_id(run_id);
    return request;
  }
  // The stored delegation, read back through the owner's (idempotent) end.
  storage::DelegationRecord Stored(const std::string& delegation_id) {
    auto ended = store_->End(storage::DelegationOwner{"t1", "alice", kHolder},
                             delegation_id, clock_.Now(), "ended");
    EXPECT_TRUE(ended.ok()) << ended.status();
    return ended.ok() ? *ended : storage::DelegationRecord();
  }
  // An API key of alice's with `scopes` and its verified principal.
  std::pair<v1::CreateApiKeyResponse, Principal> ApiKey(int64_t ttl_seconds) {
    v1::CreateApiKeyRequest request;
    request.set_name("schedules");
    request.add_scopes("agents:run");
    request.add_scopes("memories:write");
    request.set_ttl_seconds(ttl_seconds);
    auto key = api_keys_->Create(JwtUser("alice"), request);
    EXPECT_TRUE(key.ok()) << key.status();
    if (!key.ok()) return {};
    auto principal = api_keys_->Verify(key->secret());
    EXPECT_TRUE(principal.ok()) << principal.status();
    if (!principal.ok()) return {};
    return {*key, *principal};
  }
};

TEST_F(ScheduleGrantTest, RunDelegationsFromAGrantRenewAndEndLikeAnyOther) {
  v1::ExchangeForScheduleRequest narrow = ForSchedule("sched-1");
  narrow.add_scopes("agents:run");
  auto grant =
      manager_->ExchangeForSchedule(ForwardedBy(JwtUser("alice"), kHolder),
                                    narrow);
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_THAT(grant->grant_id(), ::testing::MatchesRegex("sgr_[0-9a-f]{32}"));
  EXPECT_EQ(grant->created_at_unix(), absl::ToUnixSeconds(kT0));

  // The schedule fires long after the user's own token ended.
  clock_.Advance(absl::Hours(30));
  auto delegation =
      manager_->ExchangeScheduleForRun(Service(kHolder),
                                       Fire(grant->grant_id(), "run-S1"));
  ASSERT_TRUE(delegation.ok()) << delegation.status();
  EXPECT_THAT(delegation->delegation_id(), ::testing::StartsWith("dlg_"));
  EXPECT_EQ(delegation->expires_at_unix(),
            absl::ToUnixSeconds(clock_.Now() + absl::Minutes(5)));
  EXPECT_EQ(delegation->renewable_until_unix(),
            absl::ToUnixSeconds(clock_.Now() + absl::Hours(2)));
  AssertionClaims claims = Presented(*delegation);
  EXPECT_EQ(claims.delegation().delegation_id(), delegation->delegation_id());
  EXPECT_EQ(claims.delegation().run_id(), "run-S1");
  EXPECT_EQ(claims.delegation().holder_service(), kHolder);
  EXPECT_EQ(claims.principal().tenant_id(), "t1");
  EXPECT_EQ(claims.principal().subject(), "alice");
  EXPECT_THAT(claims.principal().scopes(), ElementsAre("agents:run"));
  EXPECT_THAT(claims.principal().roles(), ElementsAre("member"));
  EXPECT_EQ(claims.principal().credential_kind(),
            common::v1::CREDENTIAL_KIND_JWT);
  EXPECT_EQ(claims.principal().token_id(), "jti-1");
  // Nobody but the holder can use it.
  EXPECT_THAT(verifier_->Verify(delegation->delegation()),
              StatusIs(absl::StatusCode::kUnauthenticated));

  clock_.Advance(absl::Minutes(4));
  auto renewed =
      manager_->Renew(Service(kHolder), delegation->delegation_id());
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(Presented(*renewed).delegation().run_id(), "run-S1");
  EXPECT_THAT(Presented(*renewed).principal().scopes(),
              ElementsAre("agents:run"));
  auto ended = manager_->End(Service(kHolder), delegation->delegation_id());
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_THAT(manager_->Renew(Service(kHolder), delegation->delegation_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Its record names the grant it came from.
  EXPECT_EQ(Stored(delegation->delegation_id()).schedule_grant_id,
            grant->grant_id());

  // The next firing gets a delegation of its own.
  auto next = manager_->ExchangeScheduleForRun(
      Service(kHolder), Fire(grant->grant_id(), "run-S2"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_NE(next->delegation_id(), delegation->delegation_id());
  EXPECT_EQ(Presented(*next).delegation().run_id(), "run-S2");
}

TEST_F(ScheduleGrantTest, AUserStartedRunNamesNoGrant) {
  auto grant = manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder),
                                  ForRun("run-R"));
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_EQ(Stored(grant->delegation_id()).schedule_grant_id, "");
}

TEST_F(ScheduleGrantTest, OnlyAConfiguredHolderMayExchangeForASchedule) {
  for (const char* other : {"", "service:scheduler"}) {
    EXPECT_THAT(manager_->ExchangeForSchedule(
                    ForwardedBy(JwtUser("alice"), other),
                    ForSchedule("sched-1")),
                StatusIs(absl::StatusCode::kPermissionDenied))
        << other;
  }
  Principal service = JwtUser("run_executor");
  service.set_credential_kind(common::v1::CREDENTIAL_KIND_SERVICE);
  EXPECT_THAT(manager_->ExchangeForSchedule(ForwardedBy(service, kHolder),
                                            ForSchedule("sched-1")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(manager_->ExchangeForSchedule(
                  ForwardedBy(JwtUser("alice"), kHolder), ForSchedule("")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ScheduleGrantTest, ADelegationIsNeverExchangedForAGrant) {
  auto grant = manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder),
                                  ForRun("run-R"));
  ASSERT_TRUE(grant.ok());
  Caller presenting = ForwardedBy(JwtUser("alice"), kHolder);
  presenting.assertion = grant->delegation();
  presenting.delegation_id = grant->delegation_id();
  presenting.delegation_run_id = "run-R";
  EXPECT_THAT(manager_->ExchangeForSchedule(presenting, ForSchedule("sched-1")),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(ScheduleGrantTest, ScopesNotHeldAreRefused) {
  for (const char* wider : {"agent_os:admin", "agents:*:run", "memories:read"}) {
    v1::ExchangeForScheduleRequest request = ForSchedule("sched-1");
    request.add_scopes("agents:run");
    request.add_scopes(wider);
    EXPECT_THAT(manager_->ExchangeForSchedule(
                    ForwardedBy(JwtUser("alice"), kHolder), request),
                StatusIs(absl::StatusCode::kPermissionDenied))
        << wider;
  }
}

TEST_F(ScheduleGrantTest, OnlyTheHolderIssuesFromOrEndsAGrant) {
  auto grant = manager_->ExchangeForSchedule(
      ForwardedBy(JwtUser("alice"), kHolder), ForSchedule("sched-1"));
  ASSERT_TRUE(grant.ok()) << grant.status();
  for (const char* other : {"service:scheduler", ""}) {
    EXPECT_THAT(manager_->ExchangeScheduleForRun(
                    Service(other), Fire(grant->grant_id(), "run-S1")),
                StatusIs(absl::StatusCode::kNotFound))
        << other;
    EXPECT_THAT(manager_->EndScheduleGrant(Service(other), grant->grant_id()),
                StatusIs(absl::StatusCode::kNotFound))
        << other;
  }
  EXPECT_THAT(manager_->ExchangeScheduleForRun(
                  Service(kHolder),
                  Fire("sgr_00000000000000000000000000000000", "run-S1")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(manager_->EndScheduleGrant(
                  Service(kHolder), "sgr_00000000000000000000000000000000"),
              StatusIs(absl::StatusCode::kNotFound));
  // A delegation's id is no grant's.
  auto delegation = manager_->Exchange(ForwardedBy(JwtUser("alice"), kHolder),
                                       ForRun("run-R"));
  ASSERT_TRUE(delegation.ok());
  EXPECT_THAT(manager_->ExchangeScheduleForRun(
                  Service(kHolder),
                  Fire(delegation->delegation_id(), "run-S1")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(manager_->ExchangeScheduleForRun(Service(kHolder),
                                               Fire(grant->grant_id(), "")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The other services' attempts ended nothing.
  EXPECT_TRUE(manager_
                  ->ExchangeScheduleForRun(Service(kHolder),
                                           Fire(grant->grant_id(), "run-S1"))
                  .ok());
}

TEST_F(ScheduleGrantTest, AnEndedGrantIssuesNothingButItsDelegationsLive) {
  auto grant = manager_->ExchangeForSchedule(
      ForwardedBy(JwtUser("alice"), kHolder), ForSchedule("sched-1"));
  ASSERT_TRUE(grant.ok()) << grant.status();
  auto running = manager_->ExchangeScheduleForRun(
      Service(kHolder), Fire(grant->grant_id(), "run-S1"));
  ASSERT_TRUE(running.ok()) << running.status();

  clock_.Advance(absl::Minutes(1));
  auto ended = manager_->EndScheduleGrant(Service(kHolder), grant->grant_id());
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->ended_at_unix(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_THAT(manager_->ExchangeScheduleForRun(
                  Service(kHolder), Fire(grant->grant_id(), "run-S2")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Ending again changes nothing.
  clock_.Advance(absl::Minutes(1));
  auto again = manager_->EndScheduleGrant(Service(kHolder), grant->grant_id());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ended_at_unix(), ended->ended_at_unix());
  // The run already started goes on until it ends.
  EXPECT_TRUE(manager_->Renew(Service(kHolder), running->delegation_id()).ok());
}

TEST_F(ScheduleGrantTest, ARevokedApiKeyIssuesNothing) {
  auto [key, principal] = ApiKey(/*ttl_seconds=*/0);
  ASSERT_FALSE(key.secret().empty());
  auto grant = manager_->ExchangeForSchedule(ForwardedBy(principal, kHolder),
                                             ForSchedule("sched-1"));
  ASSERT_TRUE(grant.ok()) << grant.status();
  auto first = manager_->ExchangeScheduleForRun(
      Service(kHolder), Fire(grant->grant_id(), "run-S1"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(Presented(*first).principal().token_id(), key.key().key_id());
  EXPECT_EQ(Presented(*first).principal().credential_kind(),
            common::v1::CREDENTIAL_KIND_API_KEY);
  EXPECT_THAT(Presented(*first).principal().scopes(),
              ElementsAre("agents:run", "memories:write"));

  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id(key.key().key_id());
  ASSERT_TRUE(api_keys_->Revoke(JwtUser("alice"), revoke).ok());
  EXPECT_THAT(manager_->ExchangeScheduleForRun(
                  Service(kHolder), Fire(grant->grant_id(), "run-S2")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Ended for good: the answer stays the same, and the grant's end says when.
  EXPECT_THAT(manager_->ExchangeScheduleForRun(
                  Service(kHolder), Fire(grant->grant_id(), "run-S3")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto ended = manager_->EndScheduleGrant(Service(kHolder), grant->grant_id());
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->ended_at_unix(), absl::ToUnixSeconds(kT0));
  // The delegation issued before the revocation dies at its renewal.
  EXPECT_THAT(manager_->Renew(Service(kHolder), first->delegation_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ScheduleGrantTest, AnExpiredApiKeyIssuesNothing) {
  auto [key, principal] = ApiKey(/*ttl_seconds=*/3600);
  ASSERT_FALSE(key.secret().empty());
  auto grant = manager_->ExchangeForSchedule(ForwardedBy(principal, kHolder),
                                             ForSchedule("sched-1"));
  ASSERT_TRUE(grant.ok()) << grant.status();
  clock_.Advance(absl::Minutes(59));
  auto last = manager_->ExchangeScheduleForRun(
      Service(kHolder), Fire(grant->grant_id(), "run-S1"));
  ASSERT_TRUE(last.ok()) << last.status();
  // Never past the key's own expiry.
  EXPECT_EQ(last->expires_at_unix(), absl::ToUnixSeconds(kT0) + 3600);
  clock_.Advance(absl::Minutes(2));
  EXPECT_THAT(manager_->ExchangeScheduleForRun(
                  Service(kHolder), Fire(grant->grant_id(), "run-S2")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ScheduleGrantTest, TheStoreActsForTheGrantsOwnerOnly) {
  auto grant = manager_->ExchangeForSchedule(
      ForwardedBy(JwtUser("alice"), kHolder), ForSchedule("sched-1"));
  ASSERT_TRUE(grant.ok()) << grant.status();
  // Row-level security hides alice's grant from anyone else, in her tenant
  // or another.
  for (const auto& owner :
       {storage::DelegationOwner{"t2", "alice", kHolder},
        storage::DelegationOwner{"t1", "bob", kHolder}}) {
    EXPECT_THAT(store_->IssueRunDelegation(
                    owner, grant->grant_id(),
                    "dlg_11111111111111111111111111111111", "run-S1",
                    clock_.Now(), clock_.Now() + absl::Hours(1)),
                StatusIs(absl::StatusCode::kNotFound))
        << owner.tenant_id << "/" << owner.user_id;
    EXPECT_THAT(store_->EndScheduleGrant(owner, grant->grant_id(),
                                         clock_.Now(), "ended"),
                StatusIs(absl::StatusCode::kNotFound))
        << owner.tenant_id << "/" << owner.user_id;
  }
  // Found by id alone, with its owner and holder.
  auto found = store_->FindScheduleGrant(grant->grant_id());
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->tenant_id, "t1");
  EXPECT_EQ((*found)->user_id, "alice");
  EXPECT_EQ((*found)->holder_service, kHolder);
  // Nothing was issued or ended by the others.
  EXPECT_TRUE(manager_
                  ->ExchangeScheduleForRun(Service(kHolder),
                                           Fire(grant->grant_id(), "run-S1"))
                  .ok());
}

TEST(DelegationOptionsTest, DefaultsAndBounds) {
  auto defaults = DelegationOptionsFrom(v1::AuthnConfig());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->ttl, absl::Minutes(5));
  EXPECT_EQ(defaults->max_lifetime, absl::Hours(24));
  EXPECT_THAT(defaults->holders, ElementsAre("service:run_executor"));
  v1::AuthnConfig config;
  config.set_delegation_ttl_seconds(901);
  EXPECT_THAT(DelegationOptionsFrom(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.set_delegation_ttl_seconds(600);
  config.set_delegation_max_lifetime_seconds(300);
  EXPECT_THAT(DelegationOptionsFrom(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.set_delegation_max_lifetime_seconds(2592001);
  EXPECT_THAT(DelegationOptionsFrom(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.set_delegation_max_lifetime_seconds(3600);
  config.add_delegation_holders("run_executor");
  EXPECT_THAT(DelegationOptionsFrom(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::authn
