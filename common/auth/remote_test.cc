// Tests the cached authn/authz clients against real fake servers on port 0,
// with an injected clock: what is cached, for how long, and when the
// network is asked again.
#include "common/auth/remote.h"

#include <atomic>

#include "bastion/authn/v1/authn.grpc.pb.h"
#include "bastion/authz/v1/authz.grpc.pb.h"
#include "common/clock/fake_clock.h"
#include "common/server/server.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

const absl::Time kStart = absl::FromUnixSeconds(2000000000);

class FakeAuthn final : public authn::v1::Authn::Service {
 public:
  grpc::Status Authenticate(grpc::ServerContext*,
                            const authn::v1::AuthenticateRequest* request,
                            authn::v1::AuthenticateResponse* response) override {
    ++calls;
    if (request->credential() == "unparseable") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad request");
    }
    if (request->credential() == "ending") {
      // An assertion with a second to live.
      response->mutable_principal()->set_subject("alice");
      response->set_assertion("short");
      response->set_assertion_expires_at_unix(absl::ToUnixSeconds(kStart) + 1);
      return grpc::Status::OK;
    }
    if (request->credential() != "good" || revoked) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no");
    }
    response->mutable_principal()->set_subject("alice");
    response->mutable_principal()->set_expires_at_unix(
        absl::ToUnixSeconds(kStart + absl::Hours(1)));
    response->set_assertion("assertion-" + std::to_string(calls.load()));
    response->set_assertion_expires_at_unix(
        absl::ToUnixSeconds(kStart + absl::Minutes(5)));
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0};
  std::atomic<bool> revoked{false};
};

class FakeAuthz final : public authz::v1::Authz::Service {
 public:
  grpc::Status Check(grpc::ServerContext*, const authz::v1::CheckRequest* request,
                     authz::v1::CheckResponse* response) override {
    ++calls;
    if (request->resource_id() == "undecidable" ||
        request->resource_id().find('/') != std::string::npos) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "invalid resource id");
    }
    const bool allowed = request->resource() == "agents";
    response->set_decision(allowed ? authz::v1::DECISION_ALLOW
                                   : authz::v1::DECISION_DENY);
    // Agents may be read by any id, except for a principal whose assertion
    // says it holds one id only.
    response->set_any_resource_id(
        allowed && request->assertion().find("one-id") == std::string::npos);
    // The assertion names the admin level this stand-in reports.
    response->set_admin_level(request->assertion().substr(
        0, request->assertion().find(':')));
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0};
};

class RemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Started directly (no permission table): these are stand-ins.
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&authn_);
    builder.RegisterService(&authz_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override { server_->Shutdown(); }

  const bastion::Clock* Clock() { return &clock_; }

  FakeAuthn authn_;
  FakeAuthz authz_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  FakeClock clock_{kStart};
};

TEST_F(RemoteTest, CredentialIsCachedUpToTheBoundThenAskedAgain) {
  RemoteAuthenticator authenticator(channel_, absl::Seconds(1), 100, Clock());
  ASSERT_THAT(authenticator.Authenticate("good"), IsOk());
  ASSERT_THAT(authenticator.Authenticate("good"), IsOk());
  EXPECT_EQ(authn_.calls, 1);
  clock_.Advance(absl::Seconds(1));  // the bound: never cached past it
  authn_.revoked = true;
  EXPECT_THAT(authenticator.Authenticate("good"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(authn_.calls, 2);
}

TEST_F(RemoteTest, RefreshAheadAsksOnceAndRevocationDropsTheEntry) {
  RemoteAuthenticator authenticator(channel_, absl::Seconds(10), 100, Clock());
  ASSERT_THAT(authenticator.Authenticate("good"), IsOk());
  clock_.Advance(absl::Seconds(9));  // past 80%: the next caller refreshes
  authn_.revoked = true;
  EXPECT_THAT(authenticator.Authenticate("good"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(authn_.calls, 2);
  // The refusal dropped the entry at once (no more cached answers).
  EXPECT_THAT(authenticator.Authenticate("good"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(authn_.calls, 3);
}

TEST_F(RemoteTest, UnreachableAuthnServesOnlyUntilExpiryThenFailsClosed) {
  RemoteAuthenticator authenticator(channel_, absl::Seconds(10), 100, Clock());
  ASSERT_THAT(authenticator.Authenticate("good"), IsOk());
  server_->Shutdown();
  clock_.Advance(absl::Seconds(9));
  EXPECT_THAT(authenticator.Authenticate("good"), IsOk());  // still valid
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(authenticator.Authenticate("good"),
              StatusIs(absl::StatusCode::kUnavailable));
}

Caller CallerOf(const std::string& subject, const std::string& assertion) {
  Caller caller;
  caller.principal.set_tenant_id("t1");
  caller.principal.set_subject(subject);
  caller.principal.add_scopes("agents:read");
  caller.principal.set_expires_at_unix(
      absl::ToUnixSeconds(kStart + absl::Hours(1)));
  caller.assertion = assertion;
  return caller;
}

TEST_F(RemoteTest, DecisionsAreCachedPerPrincipalAndPermission) {
  RemoteAuthorizer authorizer(channel_, absl::Seconds(5), 100, Clock());
  Caller caller = CallerOf("alice", "a1");
  ASSERT_TRUE(authorizer.Check(caller, {"agents", "read", ""})->allowed);
  ASSERT_TRUE(authorizer.Check(caller, {"agents", "read", ""})->allowed);
  EXPECT_EQ(authz_.calls, 1);
  EXPECT_FALSE(authorizer.Check(caller, {"roles", "read", ""})->allowed);
  EXPECT_EQ(authz_.calls, 2);
  // Another assertion of the same principal (a renewed one, a run's
  // delegation), living longer: the same decision.
  Caller renewed = CallerOf("alice", "a1-renewed");
  renewed.principal.set_expires_at_unix(
      absl::ToUnixSeconds(kStart + absl::Hours(2)));
  ASSERT_TRUE(authorizer.Check(renewed, {"agents", "read", ""})->allowed);
  EXPECT_EQ(authz_.calls, 2);
  // Anything else about the principal makes it another one.
  Caller bob = CallerOf("bob", "b1");
  ASSERT_TRUE(authorizer.Check(bob, {"agents", "read", ""})->allowed);
  Caller wider = CallerOf("alice", "a2");
  wider.principal.add_scopes("roles:read");
  ASSERT_TRUE(authorizer.Check(wider, {"agents", "read", ""})->allowed);
  EXPECT_EQ(authz_.calls, 4);
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(authorizer.Check(caller, {"agents", "read", ""})->allowed);
  EXPECT_EQ(authz_.calls, 5);
}

TEST_F(RemoteTest, AnAllowForEveryIdAnswersForOtherIds) {
  RemoteAuthorizer authorizer(channel_, absl::Seconds(5), 100, Clock());
  const Caller caller = CallerOf("alice", "a1");
  ASSERT_TRUE(authorizer.Check(caller, {"agents", "read", "x"})->allowed);
  ASSERT_TRUE(authorizer.Check(caller, {"agents", "read", "y"})->allowed);
  EXPECT_EQ(authz_.calls, 1);
  // Never for an id authz would have to refuse as malformed, nor for
  // another action.
  EXPECT_THAT(authorizer.Check(caller, {"agents", "read", "undecidable/.."}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(authorizer.Check(caller, {"roles", "read", "x"})->allowed);
  EXPECT_EQ(authz_.calls, 3);

  // An allow for one id only answers for that id alone; a denial never
  // answers for another id.
  const Caller one = CallerOf("carol", "one-id");
  ASSERT_TRUE(authorizer.Check(one, {"agents", "read", "x"})->allowed);
  ASSERT_TRUE(authorizer.Check(one, {"agents", "read", "y"})->allowed);
  EXPECT_EQ(authz_.calls, 5);
  EXPECT_FALSE(authorizer.Check(one, {"roles", "read", "x"})->allowed);
  EXPECT_FALSE(authorizer.Check(one, {"roles", "read", "y"})->allowed);
  EXPECT_EQ(authz_.calls, 7);
}

TEST_F(RemoteTest, AFreshQuestionIsAlwaysAsked) {
  RemoteAuthorizer authorizer(channel_, absl::Seconds(5), 100, Clock());
  const Caller caller = CallerOf("alice", "a1");
  ASSERT_TRUE(authorizer.Check(caller, {"agents", "run", "x"})->allowed);
  PermissionRequest now{"agents", "run", "x", /*fresh=*/true};
  ASSERT_TRUE(authorizer.Check(caller, now)->allowed);
  ASSERT_TRUE(authorizer.Check(caller, now)->allowed);
  EXPECT_EQ(authz_.calls, 3);
  // Its answer serves the others.
  ASSERT_TRUE(authorizer.Check(caller, {"agents", "run", "x"})->allowed);
  EXPECT_EQ(authz_.calls, 3);
}

TEST_F(RemoteTest, DecisionsCarryTheAdminLevelAuthzReports) {
  RemoteAuthorizer authorizer(channel_, absl::Seconds(5), 100, Clock());
  Caller caller;
  caller.principal.set_expires_at_unix(absl::ToUnixSeconds(kStart + absl::Hours(1)));
  const std::pair<const char*, AdminLevel> cases[] = {
      {"tenant:a", AdminLevel::kTenant},
      {"platform:a", AdminLevel::kPlatform},
      {"none:a", AdminLevel::kNone},
      {"Tenant:a", AdminLevel::kNone},  // Exact names only.
      {"root:a", AdminLevel::kNone},
  };
  for (const auto& [assertion, level] : cases) {
    // A principal of its own for each (decisions are per principal).
    caller.principal.set_subject(assertion);
    caller.assertion = assertion;
    absl::StatusOr<AuthzDecision> decision =
        authorizer.Check(caller, {"agents", "read", ""});
    ASSERT_TRUE(decision.ok()) << decision.status();
    EXPECT_EQ(decision->admin_level, level) << assertion;
    // A cached decision keeps it.
    EXPECT_EQ(authorizer.Check(caller, {"agents", "read", ""})->admin_level,
              level)
        << assertion;
  }
}

TEST(Sha256Test, KnownDigest) {
  EXPECT_EQ(Sha256("abc").size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>(Sha256("abc")[0]), 0xba);
  EXPECT_EQ(static_cast<unsigned char>(Sha256("abc")[31]), 0xad);
}

TEST_F(RemoteTest, AQuestionAuthzRefusesIsInvalidArgumentNotUnavailable) {
  RemoteAuthorizer authorizer(channel_, absl::Seconds(5), 100, Clock());
  Caller caller;
  caller.principal.set_expires_at_unix(absl::ToUnixSeconds(kStart + absl::Hours(1)));
  caller.assertion = "a1";
  EXPECT_THAT(authorizer.Check(caller, {"agents", "read", "undecidable"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RemoteTest, ACredentialAuthnCannotTakeIsUnauthenticatedNotUnavailable) {
  RemoteAuthenticator authenticator(channel_, absl::Seconds(1), 100, Clock());
  EXPECT_THAT(authenticator.Authenticate("unparseable"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(RemoteTest, AnAssertionAboutToExpireIsNotHandedOutAgain) {
  RemoteAuthenticator authenticator(channel_, absl::Seconds(1), 100, Clock());
  ASSERT_THAT(authenticator.Authenticate("ending"), IsOk());
  ASSERT_THAT(authenticator.Authenticate("ending"), IsOk());
  // Inside kAssertionReuseMargin of its end: authn is asked each time.
  EXPECT_EQ(authn_.calls, 2);
}

}  // namespace
}  // namespace bastion
