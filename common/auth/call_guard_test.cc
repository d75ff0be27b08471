// Tests the call guard through a real gRPC server on port 0, with small fake
// authn/authz seams: what reaches the handler, and what never does.
#include "common/auth/call_guard.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "bastion/test/v1/test.grpc.pb.h"
#include "common/assertion/key_set.h"
#include "common/assertion/local_authenticator.h"
#include "common/assertion/signer.h"
#include "common/assertion/verifier.h"
#include "common/clock/clock.h"
#include "common/auth/rate_limiter.h"
#include "common/auth/channel_factory.h"
#include "common/auth/service_identity.h"
#include "common/auth/trusted_services.h"
#include "common/server/server.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

using test::v1::EchoRequest;
using test::v1::EchoResponse;

constexpr char kGoodToken[] = "good-token";
constexpr char kEndingToken[] = "ending-token";
constexpr char kGoodAssertion[] = "good-assertion";

common::v1::Principal Alice() {
  common::v1::Principal principal;
  principal.set_tenant_id("t1");
  principal.set_subject("alice");
  return principal;
}

class FakeAuthenticator : public Authenticator {
 public:
  absl::StatusOr<Caller> Authenticate(absl::string_view credential) override {
    ++calls;
    if (down) return absl::UnavailableError("authn down");
    if (credential == kEndingToken) {
      // A credential whose acceptance ends in a second.
      common::v1::Principal alice = Alice();
      alice.set_expires_at_unix(absl::ToUnixSeconds(absl::Now()) + 1);
      return Caller{alice, "short-assertion-for-alice"};
    }
    if (credential != kGoodToken) return absl::UnauthenticatedError("bad");
    return Caller{Alice(), "assertion-for-alice"};
  }
  std::atomic<int> calls{0};
  std::atomic<bool> down{false};
};

constexpr char kServiceAssertion[] = "service-assertion";

// Trusts run_executor (kServiceAssertion) for the methods in `granted`
// (every method of Annotated unless a test narrows it).
class FakeServices : public ServiceAuthenticator {
 public:
  absl::StatusOr<common::v1::Principal> Verify(
      absl::string_view assertion) override {
    if (assertion != kServiceAssertion) return absl::UnauthenticatedError("bad");
    common::v1::Principal principal;
    principal.set_tenant_id(kServiceTenant);
    principal.set_subject("service:run_executor");
    principal.set_credential_kind(common::v1::CREDENTIAL_KIND_SERVICE);
    return principal;
  }
  bool MayCall(absl::string_view subject,
               absl::string_view full_method) const override {
    absl::MutexLock lock(&mutex);
    return subject == "service:run_executor" &&
           granted.count(std::string(full_method)) > 0;
  }
  void Grant(std::set<std::string> methods) {
    absl::MutexLock lock(&mutex);
    granted = std::move(methods);
  }

  mutable absl::Mutex mutex;
  std::set<std::string> granted = {"bastion.test.v1.Annotated/Flat",
                                   "bastion.test.v1.Annotated/Nested",
                                   "bastion.test.v1.Annotated/Open",
                                   "bastion.test.v1.Annotated/Inside"};
};

// Refuses every principal once `refuse` is set; admits `unauthenticated`
// failed authentications, then refuses them.
class FakeLimiter : public RateLimiter {
 public:
  absl::Status Admit(const common::v1::Principal&) override {
    ++admitted;
    if (refuse) return absl::ResourceExhaustedError("rate limit exceeded");
    return absl::OkStatus();
  }
  absl::Status AdmitUnauthenticated(const grpc::ServerContextBase&) override {
    if (unauthenticated-- <= 0) {
      return absl::ResourceExhaustedError("too many unauthenticated calls");
    }
    return absl::OkStatus();
  }
  std::atomic<int> admitted{0};
  std::atomic<bool> refuse{false};
  std::atomic<int> unauthenticated{1000};
};

class FakeAudit : public AuditSink {
 public:
  void Record(AuditRecord record) override {
    absl::MutexLock lock(&mutex);
    records.push_back(std::move(record));
  }
  std::vector<AuditRecord> Take() {
    absl::MutexLock lock(&mutex);
    return std::move(records);
  }
  absl::Mutex mutex;
  std::vector<AuditRecord> records;
};

class FakeAssertions : public AssertionAuthenticator {
 public:
  absl::StatusOr<common::v1::Principal> Verify(
      absl::string_view assertion) override {
    if (assertion != kGoodAssertion) return absl::UnauthenticatedError("bad");
    return Alice();
  }
};

// Allows exactly agents:read on id "a-1" and roles:write on "auditor";
// reports `level` as the caller's admin level.
class FakeAuthorizer : public Authorizer {
 public:
  absl::StatusOr<AuthzDecision> Check(const Caller&,
                                      const PermissionRequest& wanted) override {
    last = wanted;
    ++calls;
    if (down) return absl::UnavailableError("authz down");
    if (refuses_assertion) {
      return absl::UnauthenticatedError("assertion rejected: expired");
    }
    if (wanted.resource_id == "undecidable") {
      return absl::InvalidArgumentError("invalid resource id");
    }
    const bool allowed =
        (wanted.resource == "agents" && wanted.action == "read" &&
         wanted.resource_id == "a-1") ||
        (wanted.resource == "roles" && wanted.action == "write" &&
         wanted.resource_id == "auditor");
    return AuthzDecision{allowed, allowed ? "granted" : "no scope", 1,
                         level.load(), approver.load()};
  }
  PermissionRequest last;
  std::atomic<int> calls{0};
  std::atomic<bool> down{false};
  // authz refuses the call's assertion (UNAUTHENTICATED).
  std::atomic<bool> refuses_assertion{false};
  std::atomic<AdminLevel> level{AdminLevel::kNone};
  std::atomic<bool> approver{false};
};

// Counts handler runs: a denied call must never reach one.
class AnnotatedService final : public test::v1::Annotated::Service {
 public:
  explicit AnnotatedService(CallGuard guard) : guard_(std::move(guard)) {}

  grpc::Status Flat(grpc::ServerContext* context, const EchoRequest* request,
                    EchoResponse* response) override {
    return guard_.Run(context, "Flat", *request, [&](const Caller& caller) {
      ++handled;
      absl::MutexLock lock(&mutex_);
      last_caller_ = caller;
      response->set_text(caller.principal.subject());
      return absl::OkStatus();
    });
  }
  Caller LastCaller() {
    absl::MutexLock lock(&mutex_);
    return last_caller_;
  }
  // count 1 or 2: the handler itself refuses (as CreateApiKey refuses a
  // scope the caller does not hold).
  grpc::Status Nested(grpc::ServerContext* context, const EchoRequest* request,
                      EchoResponse*) override {
    return guard_.Run(context, "Nested", *request, [&](const Caller&) {
      ++handled;
      if (request->count() == 1) {
        return absl::PermissionDeniedError("scope \"roles:admin\" is not held");
      }
      if (request->count() == 2) {
        return absl::UnauthenticatedError("credential no longer valid");
      }
      if (request->count() == 3) return absl::NotFoundError("no such role");
      return absl::OkStatus();
    });
  }
  grpc::Status Open(grpc::ServerContext* context, const EchoRequest* request,
                    EchoResponse* response) override {
    // Misspelled on purpose: an undeclared name must be denied.
    return guard_.Run(context, request->thing_id() == "typo" ? "Opne" : "Open",
                      *request, [&](const Caller&) {
                        ++handled;
                        response->set_text("open");
                        return absl::OkStatus();
                      });
  }
  grpc::Status Inside(grpc::ServerContext* context, const EchoRequest* request,
                      EchoResponse* response) override {
    return guard_.Run(context, "Inside", *request, [&](const Caller& caller) {
      ++handled;
      {
        absl::MutexLock lock(&mutex_);
        last_caller_ = caller;
      }
      response->set_text(caller.principal.subject());
      return absl::OkStatus();
    });
  }
  std::atomic<int> handled{0};

 private:
  CallGuard guard_;
  absl::Mutex mutex_;
  Caller last_caller_;
};

class CallGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GuardDependencies dependencies{&authenticator_, &assertions_, &authorizer_,
                                   &services_, &limiter_, &audit_};
    absl::StatusOr<CallGuard> guard = CallGuard::Create(
        test::v1::Annotated::service_full_name(), dependencies);
    ASSERT_TRUE(guard.ok()) << guard.status();
    service_ = std::make_unique<AnnotatedService>(*std::move(guard));
    ServerOptions options;
    absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(
        options, {{service_.get(), test::v1::Annotated::service_full_name()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = test::v1::Annotated::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()),
        grpc::InsecureChannelCredentials()));
  }

  grpc::Status Call(const std::vector<std::pair<std::string, std::string>>& md,
                    const std::string& thing_id = "a-1",
                    EchoResponse* response = nullptr) {
    grpc::ClientContext context;
    for (const auto& [key, value] : md) context.AddMetadata(key, value);
    EchoRequest request;
    request.set_thing_id(thing_id);
    EchoResponse ignored;
    return stub_->Flat(&context, request, response ? response : &ignored);
  }

  FakeAuthenticator authenticator_;
  FakeAssertions assertions_;
  FakeAuthorizer authorizer_;
  FakeServices services_;
  FakeLimiter limiter_;
  FakeAudit audit_;
  std::unique_ptr<AnnotatedService> service_;
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<test::v1::Annotated::Stub> stub_;
};

TEST_F(CallGuardTest, ValidBearerWithPermissionReachesTheHandler) {
  EchoResponse response;
  grpc::Status status =
      Call({{"authorization", std::string("Bearer ") + kGoodToken}}, "a-1",
           &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.text(), "alice");
  EXPECT_EQ(authorizer_.last.resource, "agents");
  EXPECT_EQ(authorizer_.last.action, "read");
  EXPECT_EQ(authorizer_.last.resource_id, "a-1");
  EXPECT_EQ(service_->handled, 1);
}

TEST_F(CallGuardTest, TheHandlerGetsTheAdminLevelAuthzReported) {
  const std::vector<std::pair<std::string, std::string>> bearer = {
      {"authorization", std::string("Bearer ") + kGoodToken}};
  ASSERT_TRUE(Call(bearer).ok());
  Caller seen = service_->LastCaller();
  EXPECT_EQ(seen.admin_level, AdminLevel::kNone);
  const int scopes = seen.principal.scopes_size();

  // authz says tenant admin (a role such as owner): the level reaches the
  // handler; the principal itself stays as the credential made it.
  authorizer_.level = AdminLevel::kTenant;
  ASSERT_TRUE(Call(bearer).ok());
  seen = service_->LastCaller();
  EXPECT_EQ(seen.admin_level, AdminLevel::kTenant);
  EXPECT_EQ(seen.principal.scopes_size(), scopes);

  authorizer_.level = AdminLevel::kPlatform;
  ASSERT_TRUE(Call(bearer).ok());
  EXPECT_EQ(service_->LastCaller().admin_level, AdminLevel::kPlatform);

  // A denied call reaches no handler, whatever level authz reports.
  const int handled = service_->handled;
  EXPECT_EQ(Call(bearer, "a-2").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(service_->handled, handled);
}

TEST_F(CallGuardTest, MissingOrMalformedCredentialsAreUnauthenticated) {
  const std::string bearer = std::string("Bearer ") + kGoodToken;
  const std::vector<std::vector<std::pair<std::string, std::string>>> cases = {
      {},
      {{"authorization", "Bearer wrong"}},
      {{"authorization", std::string("bearer ") + kGoodToken}},
      {{"authorization", std::string("Basic ") + kGoodToken}},
      {{"authorization", kGoodToken}},
      {{"authorization", "Bearer "}},
      {{"authorization", bearer}, {"authorization", bearer}},
      {{"authorization", bearer}, {kPrincipalMetadataKey, kGoodAssertion}},
      {{kPrincipalMetadataKey, "client-made"}},
      // Plain identity headers are never read.
      {{"x-user-id", "alice"}, {"x-tenant-id", "t1"}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(Call(cases[i]).error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << "case " << i;
  }
  EXPECT_EQ(service_->handled, 0);
}

TEST_F(CallGuardTest, OversizedCredentialIsRefused) {
  // A server that lets larger metadata through, so that the guard's own
  // bound is what refuses (gRPC's default 8 KiB limit would answer first).
  GuardDependencies dependencies{&authenticator_, &assertions_, &authorizer_};
  absl::StatusOr<CallGuard> guard = CallGuard::Create(
      test::v1::Annotated::service_full_name(), dependencies);
  ASSERT_TRUE(guard.ok()) << guard.status();
  AnnotatedService service(*std::move(guard));
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, 64 * 1024);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = test::v1::Annotated::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                          grpc::InsecureChannelCredentials()));
  auto call = [&](size_t credential_bytes) {
    grpc::ClientContext context;
    context.AddMetadata("authorization",
                        "Bearer " + std::string(credential_bytes, 'a'));
    EchoRequest request;
    request.set_thing_id("a-1");
    EchoResponse response;
    return stub->Flat(&context, request, &response).error_code();
  };
  // At the bound the credential reaches the authenticator (and is wrong)...
  EXPECT_EQ(call(kMaxCredentialBytes), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(authenticator_.calls, 1);
  // ...one byte over it never does.
  EXPECT_EQ(call(kMaxCredentialBytes + 1), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(authenticator_.calls, 1);
  EXPECT_EQ(service.handled, 0);
  server->Shutdown();
}

TEST_F(CallGuardTest, AnAssertionIsAcceptedOnlyFromAVerifiedService) {
  // A trusted service presenting its user's assertion.
  EXPECT_TRUE(Call({{kPrincipalMetadataKey, kGoodAssertion},
                    {kServiceMetadataKey, kServiceAssertion}})
                  .ok());
  EXPECT_EQ(service_->LastCaller().calling_service, "service:run_executor");
  EXPECT_EQ(authenticator_.calls, 0);
  // The same assertion replayed by a bare client, or with a service
  // assertion that does not verify (or twice): not a credential.
  const std::vector<std::vector<std::pair<std::string, std::string>>> cases = {
      {{kPrincipalMetadataKey, kGoodAssertion}},
      {{kPrincipalMetadataKey, kGoodAssertion}, {kServiceMetadataKey, "made-up"}},
      {{kPrincipalMetadataKey, kGoodAssertion},
       {kServiceMetadataKey, kServiceAssertion},
       {kServiceMetadataKey, kServiceAssertion}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(Call(cases[i]).error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << "case " << i;
  }
  EXPECT_EQ(service_->handled, 1);
}

TEST_F(CallGuardTest, AServiceCallsOnlyTheMethodsListedForIt) {
  services_.Grant({"bastion.test.v1.Annotated/Inside"});
  // Flat with a user's forwarded assertion: not listed for run_executor.
  EXPECT_EQ(Call({{kPrincipalMetadataKey, kGoodAssertion},
                  {kServiceMetadataKey, kServiceAssertion}})
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  std::vector<AuditRecord> audited = audit_.Take();
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].action, "denied.service_grant");
  EXPECT_EQ(audited[0].method, "bastion.test.v1.Annotated/Flat");
  EXPECT_EQ(audited[0].user_id, "alice");
  EXPECT_NE(audited[0].reason.find("service:run_executor"), std::string::npos);
  EXPECT_EQ(authorizer_.calls, 0);

  // The internal method it is listed for, then not listed any more.
  auto inside = [&]() {
    grpc::ClientContext context;
    context.AddMetadata(kPrincipalMetadataKey, kGoodAssertion);
    context.AddMetadata(kServiceMetadataKey, kServiceAssertion);
    EchoResponse response;
    return stub_->Inside(&context, EchoRequest(), &response).error_code();
  };
  EXPECT_EQ(inside(), grpc::StatusCode::OK);
  services_.Grant({});
  EXPECT_EQ(inside(), grpc::StatusCode::PERMISSION_DENIED);
  audited = audit_.Take();
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].action, "denied.service_grant");
  EXPECT_EQ(audited[0].method, "bastion.test.v1.Annotated/Inside");
  EXPECT_EQ(service_->handled, 1);
  // The user's own token is not a service call: unaffected by grants.
  EXPECT_TRUE(
      Call({{"authorization", std::string("Bearer ") + kGoodToken}}).ok());
}

TEST_F(CallGuardTest, WithoutTrustedServicesNoAssertionIsAccepted) {
  GuardDependencies dependencies{&authenticator_, &assertions_, &authorizer_};
  absl::StatusOr<CallGuard> guard = CallGuard::Create(
      test::v1::Annotated::service_full_name(), dependencies);
  ASSERT_TRUE(guard.ok()) << guard.status();
  AnnotatedService service(*std::move(guard));
  absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(
      ServerOptions(), {{&service, test::v1::Annotated::service_full_name()}});
  ASSERT_TRUE(server.ok());
  auto stub = test::v1::Annotated::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*server)->port()),
      grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata(kPrincipalMetadataKey, kGoodAssertion);
  context.AddMetadata(kServiceMetadataKey, kServiceAssertion);
  EchoRequest request;
  request.set_thing_id("a-1");
  EchoResponse response;
  EXPECT_EQ(stub->Flat(&context, request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(service.handled, 0);
}

TEST_F(CallGuardTest, CallsAServiceMakesForItsUserAreNotCountedAgain) {
  limiter_.refuse = true;
  EXPECT_TRUE(Call({{kPrincipalMetadataKey, kGoodAssertion},
                    {kServiceMetadataKey, kServiceAssertion}})
                  .ok());
  EXPECT_EQ(limiter_.admitted, 0);
  // The user calling directly is counted (and here refused).
  EXPECT_EQ(Call({{"authorization", std::string("Bearer ") + kGoodToken}})
                .error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(limiter_.admitted, 1);
}

TEST_F(CallGuardTest, AFloodOfBadCredentialsIsRefusedAfterABurst) {
  limiter_.unauthenticated = 3;
  const std::vector<std::pair<std::string, std::string>> garbage = {
      {"authorization", "Bearer garbage"}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Call(garbage).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(Call(garbage).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Call({}).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // An authenticated caller is never counted there, nor refused by it.
  EXPECT_TRUE(
      Call({{"authorization", std::string("Bearer ") + kGoodToken}}).ok());
  std::vector<AuditRecord> records = audit_.Take();
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[3].action, "denied.rate_limited");
  EXPECT_EQ(records[3].tenant_id, kUnauthenticatedTenant);
}

TEST_F(CallGuardTest, MissingPermissionIsDeniedBeforeTheHandler) {
  grpc::Status status =
      Call({{"authorization", std::string("Bearer ") + kGoodToken}}, "a-2");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "permission denied");
  EXPECT_EQ(service_->handled, 0);
}

TEST_F(CallGuardTest, AMalformedIdIsInvalidArgumentBeforeAnyoneIsAsked) {
  const std::string bearer = std::string("Bearer ") + kGoodToken;
  for (const std::string& id :
       std::vector<std::string>{"a b", "a\"1", std::string(129, 'a')}) {
    grpc::Status status = Call({{"authorization", bearer}}, id);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << id;
    EXPECT_EQ(status.error_message(),
              "thing_id must match [A-Za-z0-9._:-]{1,128}");
  }
  // Without credentials too: the request is refused as malformed, and
  // neither authn nor authz was asked.
  EXPECT_EQ(Call({}, "a b").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(authenticator_.calls, 0);
  EXPECT_EQ(authorizer_.calls, 0);
  EXPECT_EQ(service_->handled, 0);
  // Every id of the grammar is decided, ':' included.
  EXPECT_EQ(Call({{"authorization", bearer}}, "a:1").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(authorizer_.last.resource_id, "a:1");
}

TEST_F(CallGuardTest, AnIdAuthzCannotDecideIsInvalidArgumentNotAnOutage) {
  grpc::Status status = Call(
      {{"authorization", std::string("Bearer ") + kGoodToken}}, "undecidable");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(service_->handled, 0);
}

TEST_F(CallGuardTest, NestedIdFieldIsWhatTheAuthorizerSees) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kGoodToken);
  EchoRequest request;
  request.mutable_inner()->set_name("auditor");
  EchoResponse response;
  EXPECT_TRUE(stub_->Nested(&context, request, &response).ok());
  EXPECT_EQ(authorizer_.last.resource_id, "auditor");
}

TEST_F(CallGuardTest, UnreachableDependenciesFailClosed) {
  const std::string bearer = std::string("Bearer ") + kGoodToken;
  authenticator_.down = true;
  EXPECT_EQ(Call({{"authorization", bearer}}).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  authenticator_.down = false;
  authorizer_.down = true;
  EXPECT_EQ(Call({{"authorization", bearer}}).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_->handled, 0);
}

TEST_F(CallGuardTest, ACredentialEndingWhileAuthorizedIsUnauthenticated) {
  // authz finds the assertion expired: the credential ended between authn's
  // answer and authz's. A bad credential, not an outage.
  authorizer_.refuses_assertion = true;
  EXPECT_EQ(Call({{"authorization", std::string("Bearer ") + kEndingToken}})
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // The same refusal for a credential far from its end is no verdict on it
  // (e.g. authz does not trust this service): could not decide.
  EXPECT_EQ(Call({{"authorization", std::string("Bearer ") + kGoodToken}})
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_->handled, 0);
}

TEST_F(CallGuardTest, ACredentialNoTokenCouldBeIsRefusedWithoutAskingAuthn) {
  // No token or API key holds a space (nor control or non-ASCII bytes,
  // which a conforming client cannot even send).
  EXPECT_EQ(Call({{"authorization", "Bearer good token"}}).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(authenticator_.calls, 0);
}

TEST_F(CallGuardTest, AServicesFailedUserAssertionIsNotCountedAgainstItsAddress) {
  limiter_.unauthenticated = 0;  // the address has no failures left
  // A trusted service forwarding an assertion that does not verify (e.g.
  // expired): UNAUTHENTICATED, not held against the service's address.
  EXPECT_EQ(Call({{kPrincipalMetadataKey, "expired-assertion"},
                  {kServiceMetadataKey, kServiceAssertion}})
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A bare client's failure is.
  EXPECT_EQ(Call({{kPrincipalMetadataKey, "expired-assertion"}}).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(CallGuardTest, PublicMethodsNeedNothingButUndeclaredNamesAreDenied) {
  grpc::ClientContext open_context;
  EchoRequest request;
  EchoResponse response;
  ASSERT_TRUE(stub_->Open(&open_context, request, &response).ok());
  EXPECT_EQ(response.text(), "open");

  grpc::ClientContext typo_context;
  request.set_thing_id("typo");
  EXPECT_EQ(stub_->Open(&typo_context, request, &response).error_code(),
            grpc::StatusCode::INTERNAL);
  EXPECT_EQ(service_->handled, 1);
}

TEST_F(CallGuardTest, InternalMethodNeedsAServiceAndAForwardedUser) {
  auto inside = [&](const std::vector<std::pair<std::string, std::string>>& md) {
    grpc::ClientContext context;
    for (const auto& [key, value] : md) context.AddMetadata(key, value);
    EchoResponse response;
    grpc::Status status = stub_->Inside(&context, EchoRequest(), &response);
    return status.ok() ? "OK:" + response.text()
                       : std::to_string(status.error_code());
  };
  const std::string bearer = std::string("Bearer ") + kGoodToken;
  const std::string denied = std::to_string(grpc::StatusCode::PERMISSION_DENIED);
  // A user's own credential can never call it (no confused deputy).
  EXPECT_EQ(inside({{"authorization", bearer}}), denied);
  EXPECT_EQ(inside({{kPrincipalMetadataKey, kGoodAssertion}}), denied);
  // A service must forward the user's assertion, not a bearer token.
  EXPECT_EQ(inside({{"authorization", bearer},
                    {kServiceMetadataKey, kServiceAssertion}}),
            denied);
  // A forged or duplicated service assertion is refused.
  EXPECT_EQ(inside({{kPrincipalMetadataKey, kGoodAssertion},
                    {kServiceMetadataKey, "made-up"}}),
            denied);
  EXPECT_EQ(inside({{kPrincipalMetadataKey, kGoodAssertion},
                    {kServiceMetadataKey, kServiceAssertion},
                    {kServiceMetadataKey, kServiceAssertion}}),
            denied);
  // No user at all: unauthenticated.
  EXPECT_EQ(inside({{kServiceMetadataKey, kServiceAssertion}}),
            std::to_string(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(service_->handled, 0);
  // A trusted service on behalf of a verified user: the handler sees the user.
  EXPECT_EQ(inside({{kPrincipalMetadataKey, kGoodAssertion},
                    {kServiceMetadataKey, kServiceAssertion}}),
            "OK:alice");
}

TEST_F(CallGuardTest, AnInternalCallCarriesAuthzsDecisionAboutTheUser) {
  auto inside = [&] {
    grpc::ClientContext context;
    context.AddMetadata(kPrincipalMetadataKey, kGoodAssertion);
    context.AddMetadata(kServiceMetadataKey, kServiceAssertion);
    EchoRequest request;
    request.set_thing_id("run-1");
    EchoResponse response;
    return stub_->Inside(&context, request, &response);
  };
  // authz does not grant runs:write here: an internal method needs no user
  // scope, and the call goes on with authz's view of the user.
  ASSERT_TRUE(inside().ok());
  EXPECT_EQ(authorizer_.last.resource, "runs");
  EXPECT_EQ(authorizer_.last.action, "write");
  // Who the user is does not depend on the id: the question leaves it out,
  // so that one cached answer serves every id.
  EXPECT_EQ(authorizer_.last.resource_id, "");
  Caller seen = service_->LastCaller();
  EXPECT_EQ(seen.admin_level, AdminLevel::kNone);
  EXPECT_FALSE(seen.approver);
  EXPECT_EQ(seen.calling_service, "service:run_executor");

  // An admin or approver by role (the principal holds no such scope) is one
  // for the handler too.
  authorizer_.level = AdminLevel::kTenant;
  authorizer_.approver = true;
  ASSERT_TRUE(inside().ok());
  seen = service_->LastCaller();
  EXPECT_EQ(seen.admin_level, AdminLevel::kTenant);
  EXPECT_TRUE(seen.approver);
  EXPECT_EQ(seen.principal.scopes_size(), 0);

  // No verdict, no call.
  const int handled = service_->handled;
  authorizer_.down = true;
  EXPECT_EQ(inside().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_->handled, handled);
}

TEST_F(CallGuardTest, TheHandlerGetsTheApproverFlagAuthzReported) {
  const std::vector<std::pair<std::string, std::string>> bearer = {
      {"authorization", std::string("Bearer ") + kGoodToken}};
  ASSERT_TRUE(Call(bearer).ok());
  EXPECT_FALSE(service_->LastCaller().approver);
  authorizer_.approver = true;
  ASSERT_TRUE(Call(bearer).ok());
  EXPECT_TRUE(service_->LastCaller().approver);
}

TEST_F(CallGuardTest, OverTheRateLimitIsResourceExhaustedBeforeTheHandler) {
  limiter_.refuse = true;
  EXPECT_EQ(Call({{"authorization", std::string("Bearer ") + kGoodToken}})
                .error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(service_->handled, 0);
}

TEST_F(CallGuardTest, EveryDenialIsAuditedWithActorAndReason) {
  const std::string bearer = std::string("Bearer ") + kGoodToken;
  ASSERT_TRUE(Call({{"authorization", bearer}}, "a-1").ok());
  EXPECT_TRUE(audit_.Take().empty()) << "allowed calls are not denials";

  Call({{"authorization", bearer}}, "a-2");
  std::vector<AuditRecord> records = audit_.Take();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action, "denied.permission");
  EXPECT_EQ(records[0].tenant_id, "t1");
  EXPECT_EQ(records[0].user_id, "alice");
  EXPECT_EQ(records[0].resource, "agents");
  EXPECT_EQ(records[0].resource_id, "a-2");
  EXPECT_EQ(records[0].method, "bastion.test.v1.Annotated/Flat");

  Call({});
  records = audit_.Take();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action, "denied.unauthenticated");
  EXPECT_EQ(records[0].tenant_id, kUnauthenticatedTenant);
  EXPECT_EQ(records[0].user_id, kAnonymousUser);

  limiter_.refuse = true;
  Call({{"authorization", bearer}});
  records = audit_.Take();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action, "denied.rate_limited");
  limiter_.refuse = false;

  grpc::ClientContext context;
  context.AddMetadata("authorization", bearer);
  EchoResponse response;
  stub_->Inside(&context, EchoRequest(), &response);
  records = audit_.Take();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action, "denied.internal");
  EXPECT_EQ(records[0].user_id, "alice");
}

TEST_F(CallGuardTest, DenialsDecidedByTheHandlerAreAuditedToo) {
  auto nested = [&](int count) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kGoodToken);
    EchoRequest request;
    request.mutable_inner()->set_name("auditor");
    request.set_count(count);
    EchoResponse response;
    return stub_->Nested(&context, request, &response);
  };
  grpc::Status status = nested(1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "scope \"roles:admin\" is not held");
  std::vector<AuditRecord> records = audit_.Take();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action, "denied.permission");
  EXPECT_EQ(records[0].tenant_id, "t1");
  EXPECT_EQ(records[0].user_id, "alice");
  EXPECT_EQ(records[0].method, "bastion.test.v1.Annotated/Nested");
  EXPECT_EQ(records[0].resource, "roles");
  EXPECT_EQ(records[0].resource_id, "auditor");
  EXPECT_EQ(records[0].reason, "scope \"roles:admin\" is not held");

  EXPECT_EQ(nested(2).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  records = audit_.Take();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action, "denied.unauthenticated");
  EXPECT_EQ(records[0].user_id, "alice");

  // Other refusals are not denials, and success is not audited.
  EXPECT_EQ(nested(3).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(nested(0).ok());
  EXPECT_TRUE(audit_.Take().empty());
}

// The real limiter behind a proxy (the test client connects from
// 127.0.0.1, configured as the trusted proxy): failed authentications count
// against the address in x-forwarded-for.
TEST(UnauthenticatedLimitTest, BehindATrustedProxyTheForwardedAddressCounts) {
  common::v1::RateLimitConfig config;
  config.set_unauthenticated_per_second(0.001);
  config.set_unauthenticated_burst(2);
  config.set_client_address_header("x-forwarded-for");
  config.add_trusted_proxies("127.0.0.1");
  config.add_trusted_proxies("::1");
  absl::StatusOr<std::unique_ptr<TokenBucketLimiter>> limiter =
      TokenBucketLimiter::Create(config, SystemClock::Get());
  ASSERT_TRUE(limiter.ok()) << limiter.status();
  FakeAuthenticator authenticator;
  GuardDependencies dependencies;
  dependencies.authenticator = &authenticator;
  dependencies.rate_limiter = limiter->get();
  absl::StatusOr<CallGuard> guard = CallGuard::Create(
      test::v1::Annotated::service_full_name(), dependencies);
  ASSERT_TRUE(guard.ok());
  AnnotatedService service(*std::move(guard));
  absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(
      ServerOptions(), {{&service, test::v1::Annotated::service_full_name()}});
  ASSERT_TRUE(server.ok());
  auto stub = test::v1::Annotated::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*server)->port()),
      grpc::InsecureChannelCredentials()));
  auto garbage_from = [&](const std::string& client) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer garbage");
    context.AddMetadata("x-forwarded-for", "6.6.6.6, " + client);
    EchoRequest request;
    request.set_thing_id("a-1");
    EchoResponse response;
    return stub->Flat(&context, request, &response).error_code();
  };
  EXPECT_EQ(garbage_from("203.0.113.1"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(garbage_from("203.0.113.1"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(garbage_from("203.0.113.1"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Another client behind the same proxy is not held back by the first.
  EXPECT_EQ(garbage_from("203.0.113.2"), grpc::StatusCode::UNAUTHENTICATED);
}

// The real path between services: a ChannelFactory channel's interceptor
// attaches the calling service's assertion, ForwardCaller the user's, and
// the receiving guard verifies the service against its trusted services.
TEST(ChannelFactoryTest, InterceptorProvesTheCallingService) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp != nullptr ? tmp : "/tmp";
  absl::StatusOr<std::unique_ptr<ServiceIdentity>> trusted =
      ServiceIdentity::LoadOrGenerate(dir + "/runs.pem", "run_executor");
  absl::StatusOr<std::unique_ptr<ServiceIdentity>> stranger =
      ServiceIdentity::LoadOrGenerate(dir + "/stranger.pem", "stranger");
  ASSERT_TRUE(trusted.ok() && stranger.ok());
  common::v1::TrustedServices trust;
  *trust.add_services() = TrustedServiceOf(
      **trusted, {std::string(test::v1::Annotated::service_full_name()) +
                  "/Inside"});
  absl::StatusOr<std::unique_ptr<TrustedServices>> services =
      TrustedServices::Create(trust);
  ASSERT_TRUE(services.ok()) << services.status();

  FakeAssertions assertions;
  FakeAuthorizer authorizer;
  GuardDependencies dependencies;
  dependencies.assertions = &assertions;
  dependencies.authorizer = &authorizer;
  dependencies.services = services->get();
  absl::StatusOr<CallGuard> guard = CallGuard::Create(
      test::v1::Annotated::service_full_name(), dependencies);
  ASSERT_TRUE(guard.ok());
  AnnotatedService service(*std::move(guard));
  absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(
      ServerOptions(), {{&service, test::v1::Annotated::service_full_name()}});
  ASSERT_TRUE(server.ok());
  const std::string address = "127.0.0.1:" + std::to_string((*server)->port());

  auto inside = [&](std::shared_ptr<grpc::Channel> channel) {
    auto stub = test::v1::Annotated::NewStub(channel);
    grpc::ClientContext context;
    Caller alice;
    alice.assertion = kGoodAssertion;
    EXPECT_TRUE(ForwardCaller(alice, &context).ok());
    EchoResponse response;
    return stub->Inside(&context, EchoRequest(), &response).error_code();
  };
  EXPECT_EQ(inside(ChannelFactory(nullptr, trusted->get()).Channel(address)),
            grpc::StatusCode::OK);
  EXPECT_EQ(inside(ChannelFactory(nullptr, stranger->get()).Channel(address)),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(inside(ChannelFactory(nullptr, trusted->get())
                       .AnonymousChannel(address)),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(inside(grpc::CreateChannel(address,
                                       grpc::InsecureChannelCredentials())),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(service.handled, 1);
}

// A delegation (authn's assertion bound to a run and a holder service) is
// accepted only in a call its holder proves, on user and internal methods
// alike; the Caller names the run it acts for.
class DelegationGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    const std::string dir = tmp != nullptr ? tmp : "/tmp";
    absl::StatusOr<std::unique_ptr<ServiceIdentity>> holder =
        ServiceIdentity::LoadOrGenerate(dir + "/holder.pem", "run_executor");
    absl::StatusOr<std::unique_ptr<ServiceIdentity>> other =
        ServiceIdentity::LoadOrGenerate(dir + "/other.pem", "scheduler");
    ASSERT_TRUE(holder.ok() && other.ok());
    holder_ = *std::move(holder);
    other_ = *std::move(other);
    // Both may call both methods: only the delegation's holder differs.
    const std::vector<std::string> methods = {
        std::string(test::v1::Annotated::service_full_name()) + "/Flat",
        std::string(test::v1::Annotated::service_full_name()) + "/Inside"};
    common::v1::TrustedServices trust;
    *trust.add_services() = TrustedServiceOf(*holder_, methods);
    *trust.add_services() = TrustedServiceOf(*other_, methods);
    absl::StatusOr<std::unique_ptr<TrustedServices>> services =
        TrustedServices::Create(trust);
    ASSERT_TRUE(services.ok()) << services.status();
    services_ = *std::move(services);

    absl::StatusOr<assertion::AssertionSigner> signer =
        assertion::AssertionSigner::Generate();
    ASSERT_TRUE(signer.ok());
    absl::StatusOr<std::shared_ptr<const assertion::KeySet>> authn_keys =
        assertion::KeySet::Create({signer->PublicKey()});
    ASSERT_TRUE(authn_keys.ok());
    assertions_ = std::make_unique<assertion::LocalAssertionAuthenticator>(
        std::make_shared<const assertion::AssertionVerifier>(
            std::make_shared<assertion::StaticKeyProvider>(*authn_keys),
            SystemClock::Get(), kDefaultAudience));

    common::v1::Principal alice = Alice();
    alice.set_credential_kind(common::v1::CREDENTIAL_KIND_API_KEY);
    alice.set_expires_at_unix(absl::ToUnixSeconds(absl::Now()) + 600);
    common::v1::DelegationClaims claims;
    claims.set_delegation_id("dlg_1");
    claims.set_run_id("run-R");
    claims.set_holder_service("service:run_executor");
    absl::StatusOr<std::string> delegation = signer->SignDelegation(
        alice, claims, {kDefaultAudience}, absl::Now(),
        absl::Now() + absl::Minutes(5));
    absl::StatusOr<std::string> plain = signer->Sign(
        alice, {kDefaultAudience}, absl::Now(), absl::Now() + absl::Minutes(5));
    ASSERT_TRUE(delegation.ok() && plain.ok());
    delegation_ = *std::move(delegation);
    plain_ = *std::move(plain);

    GuardDependencies dependencies;
    dependencies.assertions = assertions_.get();
    dependencies.services = services_.get();
    dependencies.authorizer = &authorizer_;
    absl::StatusOr<CallGuard> guard = CallGuard::Create(
        test::v1::Annotated::service_full_name(), dependencies);
    ASSERT_TRUE(guard.ok());
    service_ = std::make_unique<AnnotatedService>(*std::move(guard));
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        StartServer(ServerOptions(),
                    {{service_.get(), test::v1::Annotated::service_full_name()}});
    ASSERT_TRUE(server.ok());
    server_ = *std::move(server);
    address_ = "127.0.0.1:" + std::to_string(server_->port());
  }

  // Calls Flat (a user method) or Inside (an internal one) with `assertion`
  // forwarded over `channel`.
  grpc::StatusCode Call(std::shared_ptr<grpc::Channel> channel,
                        const std::string& assertion, bool internal) {
    auto stub = test::v1::Annotated::NewStub(channel);
    grpc::ClientContext context;
    Caller caller;
    caller.assertion = assertion;
    EXPECT_TRUE(ForwardCaller(caller, &context).ok());
    EchoRequest request;
    request.set_thing_id("a-1");
    EchoResponse response;
    return (internal ? stub->Inside(&context, request, &response)
                     : stub->Flat(&context, request, &response))
        .error_code();
  }
  std::shared_ptr<grpc::Channel> As(ServiceIdentity* identity) {
    return ChannelFactory(nullptr, identity).Channel(address_);
  }
  std::shared_ptr<grpc::Channel> Bare() {
    return grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  }

  std::unique_ptr<ServiceIdentity> holder_;
  std::unique_ptr<ServiceIdentity> other_;
  std::unique_ptr<TrustedServices> services_;
  std::unique_ptr<AssertionAuthenticator> assertions_;
  FakeAuthorizer authorizer_;
  std::string delegation_;
  std::string plain_;
  std::unique_ptr<AnnotatedService> service_;
  std::unique_ptr<RunningServer> server_;
  std::string address_;
};

TEST_F(DelegationGuardTest, TheHolderActsForTheUserAndTheRun) {
  for (bool internal : {false, true}) {
    SCOPED_TRACE(internal ? "internal method" : "user method");
    EXPECT_EQ(Call(As(holder_.get()), delegation_, internal),
              grpc::StatusCode::OK);
    const Caller caller = service_->LastCaller();
    EXPECT_EQ(caller.principal.subject(), "alice");
    EXPECT_EQ(caller.calling_service, "service:run_executor");
    EXPECT_EQ(caller.delegation_id, "dlg_1");
    EXPECT_EQ(caller.delegation_run_id, "run-R");
  }
}

TEST_F(DelegationGuardTest, APlainAssertionActsForNoRun) {
  EXPECT_EQ(Call(As(holder_.get()), plain_, /*internal=*/false),
            grpc::StatusCode::OK);
  EXPECT_EQ(service_->LastCaller().delegation_run_id, "");
  EXPECT_EQ(service_->LastCaller().delegation_id, "");
}

TEST_F(DelegationGuardTest, AnotherTrustedServiceIsUnauthenticated) {
  for (bool internal : {false, true}) {
    SCOPED_TRACE(internal ? "internal method" : "user method");
    EXPECT_EQ(Call(As(other_.get()), delegation_, internal),
              grpc::StatusCode::UNAUTHENTICATED);
    // The same service forwarding a plain assertion is fine.
    EXPECT_EQ(Call(As(other_.get()), plain_, internal), grpc::StatusCode::OK);
  }
}

TEST_F(DelegationGuardTest, AUserPresentingADelegationIsUnauthenticated) {
  for (bool internal : {false, true}) {
    SCOPED_TRACE(internal ? "internal method" : "user method");
    EXPECT_EQ(Call(Bare(), delegation_, internal),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(service_->handled, 0);
}

// authz's guard: any trusted service may relay a delegation to Check; a
// bare client still may not.
TEST_F(DelegationGuardTest, RelayedDelegationsWhereTheServiceAcceptsThem) {
  GuardDependencies dependencies;
  dependencies.assertions = assertions_.get();
  dependencies.services = services_.get();
  dependencies.authorizer = &authorizer_;
  dependencies.accept_relayed_delegations = true;
  absl::StatusOr<CallGuard> guard = CallGuard::Create(
      test::v1::Annotated::service_full_name(), dependencies);
  ASSERT_TRUE(guard.ok());
  AnnotatedService relaying(*std::move(guard));
  absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(
      ServerOptions(), {{&relaying, test::v1::Annotated::service_full_name()}});
  ASSERT_TRUE(server.ok());
  address_ = "127.0.0.1:" + std::to_string((*server)->port());

  EXPECT_EQ(Call(As(other_.get()), delegation_, /*internal=*/false),
            grpc::StatusCode::OK);
  EXPECT_EQ(relaying.LastCaller().delegation_run_id, "run-R");
  EXPECT_EQ(relaying.LastCaller().calling_service, "service:scheduler");
  EXPECT_EQ(Call(Bare(), delegation_, /*internal=*/false),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST(CallGuardCreateTest, RefusesAServiceWithAnUnannotatedMethod) {
  EXPECT_EQ(CallGuard::Create("bastion.test.v1.Forgotten", {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace bastion
