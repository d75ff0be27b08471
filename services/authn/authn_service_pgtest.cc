// authn's gRPC adapter through a real gRPC server on port 0: the API key
// RPCs behind the call guard (with small fake user tokens and an allow-all
// authz), Authenticate for keys, and the answers without a database.
#include <memory>
#include <string>
#include <utility>

#include "bastion/authn/v1/authn.grpc.pb.h"
#include "common/assertion/signer.h"
#include "common/clock/fake_clock.h"
#include "common/pg/pg_pool.h"
#include "common/server/server.h"
#include "gtest/gtest.h"
#include "services/authn/api_key_manager.h"
#include "services/authn/api_key_secret.h"
#include "services/authn/authn_options.h"
#include "services/authn/authn_service.h"
#include "services/authn/credential_authenticator.h"
#include "services/authn/jwt/key_set.h"
#include "services/authn/jwt/testing/test_keys.h"
#include "services/authn/migrations/migrations.h"
#include "services/authn/storage/pg_api_key_store.h"
#include "tests/pg/test_database.h"

namespace bastion::authn {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1900000000);

common::v1::Principal User(const std::string& subject) {
  common::v1::Principal p;
  p.set_tenant_id("t1");
  p.set_subject(subject);
  p.add_scopes("agents:read");
  p.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  return p;
}

// The guard's authenticator: "alice" and "bob" stand for user tokens; any
// other credential goes to authn's real authenticator (API keys).
class UsersThenReal : public Authenticator {
 public:
  explicit UsersThenReal(CredentialAuthenticator* real) : real_(real) {}
  absl::StatusOr<Caller> Authenticate(absl::string_view credential) override {
    if (credential == "alice" || credential == "bob") {
      return Caller{User(std::string(credential)), "assertion"};
    }
    return real_->Authenticate(credential);
  }

 private:
  CredentialAuthenticator* real_;
};

class AllowAll : public Authorizer {
 public:
  absl::StatusOr<AuthzDecision> Check(const Caller&,
                                      const PermissionRequest&) override {
    return AuthzDecision{true, "test", 1};
  }
};

class AuthnServiceTest : public ::testing::Test {
 protected:
  // Starts authn's adapter; with_database = false serves JWTs only.
  void Start(bool with_database) {
    if (with_database) {
      auto db = ::bastion::testing::TestDatabase::Create(AuthnMigrations());
      ASSERT_TRUE(db.ok()) << db.status();
      db_ = *std::move(db);
      pool_ = std::make_unique<pg::PgPool>(
          pg::PgPoolOptions{db_->service_conninfo(), 2});
      store_ = std::make_unique<storage::PgApiKeyStore>(*pool_);
      manager_ = std::make_unique<ApiKeyManager>(store_.get(), &clock_);
    }
    auto keys = jwt::KeySet::Create(
        {jwt::testing::TestKey::Hmac(std::string(32, 'k')).VerifierKey("k1")});
    ASSERT_TRUE(keys.ok());
    v1::AuthnConfig config;
    config.add_issuer("https://issuer.test");
    auto options = VerifierOptionsFrom(config);
    ASSERT_TRUE(options.ok());
    auto verifier = jwt::JwtVerifier::Create(
        *options, std::make_shared<jwt::StaticKeySource>(*keys), &clock_);
    ASSERT_TRUE(verifier.ok());
    authenticator_ = std::make_unique<CredentialAuthenticator>(
        *std::move(verifier), &signer_, "bastion", absl::Seconds(300), &clock_,
        manager_.get(), absl::Seconds(60));
    users_ = std::make_unique<UsersThenReal>(authenticator_.get());
    GuardDependencies dependencies;
    dependencies.authenticator = users_.get();
    dependencies.authorizer = &authorizer_;
    auto guard =
        CallGuard::Create(v1::Authn::service_full_name(), dependencies);
    ASSERT_TRUE(guard.ok()) << guard.status();
    service_ = std::make_unique<AuthnService>(
        authenticator_.get(), &signer_, manager_.get(), *std::move(guard));
    auto server = StartServer(
        ServerOptions(), {{service_.get(), v1::Authn::service_full_name()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::Authn::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                            grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& credential) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!credential.empty()) {
      context->AddMetadata("authorization", "Bearer " + credential);
    }
    return context;
  }

  grpc::StatusCode Authenticate(const std::string& credential,
                                std::string* message = nullptr) {
    v1::AuthenticateRequest request;
    request.set_credential(credential);
    v1::AuthenticateResponse response;
    grpc::Status status = stub_->Authenticate(As("").get(), request, &response);
    if (message != nullptr) *message = status.error_message();
    return status.error_code();
  }

  FakeClock clock_{kT0};
  assertion::AssertionSigner signer_ = *assertion::AssertionSigner::Generate();
  AllowAll authorizer_;
  std::unique_ptr<::bastion::testing::TestDatabase> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<storage::PgApiKeyStore> store_;
  std::unique_ptr<ApiKeyManager> manager_;
  std::unique_ptr<CredentialAuthenticator> authenticator_;
  std::unique_ptr<UsersThenReal> users_;
  std::unique_ptr<AuthnService> service_;
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<v1::Authn::Stub> stub_;
};

TEST_F(AuthnServiceTest, KeyLifecycleThroughTheAdapter) {
  Start(/*with_database=*/true);
  v1::CreateApiKeyRequest create;
  create.set_name("ci");
  create.add_scopes("agents:read");
  v1::CreateApiKeyResponse created;
  ASSERT_TRUE(stub_->CreateApiKey(As("alice").get(), create, &created).ok());
  EXPECT_EQ(created.key().owner_subject(), "alice");

  v1::AuthenticateRequest auth;
  auth.set_credential(created.secret());
  v1::AuthenticateResponse authenticated;
  ASSERT_TRUE(stub_->Authenticate(As("").get(), auth, &authenticated).ok());
  EXPECT_EQ(authenticated.principal().credential_kind(),
            common::v1::CREDENTIAL_KIND_API_KEY);
  EXPECT_EQ(authenticated.principal().token_id(), created.key().key_id());
  EXPECT_EQ(authenticated.assertion_expires_at_unix(),
            absl::ToUnixSeconds(kT0 + absl::Seconds(60)));

  // The key itself can list its owner's keys (guard -> real authenticator).
  v1::ListApiKeysResponse listed;
  ASSERT_TRUE(stub_
                  ->ListApiKeys(As(created.secret()).get(),
                                v1::ListApiKeysRequest(), &listed)
                  .ok());
  ASSERT_EQ(listed.keys_size(), 1);

  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id(created.key().key_id());
  v1::RevokeApiKeyResponse revoked;
  EXPECT_EQ(stub_->RevokeApiKey(As("bob").get(), revoke, &revoked).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(stub_->RevokeApiKey(As("alice").get(), revoke, &revoked).ok());
  EXPECT_EQ(Authenticate(created.secret()), grpc::StatusCode::UNAUTHENTICATED);
  // And the revoked key no longer passes authn's own guard.
  EXPECT_EQ(stub_
                ->ListApiKeys(As(created.secret()).get(),
                              v1::ListApiKeysRequest(), &listed)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthnServiceTest, RefusalsKeepTheirCodes) {
  Start(/*with_database=*/true);
  v1::CreateApiKeyRequest create;
  create.set_name("ci");
  create.add_scopes("agents:run");
  v1::CreateApiKeyResponse created;
  grpc::Status status =
      stub_->CreateApiKey(As("alice").get(), create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(status.error_message().find("agents:run"), std::string::npos);
  create.set_scopes(0, "agents:read");
  create.set_ttl_seconds(400 * 24 * 3600);
  EXPECT_EQ(
      stub_->CreateApiKey(As("alice").get(), create, &created).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(stub_->CreateApiKey(As("").get(), create, &created).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthnServiceTest, WithoutADatabaseKeyRpcsAreFailedPrecondition) {
  Start(/*with_database=*/false);
  v1::CreateApiKeyRequest create;
  create.set_name("ci");
  create.add_scopes("agents:read");
  v1::CreateApiKeyResponse created;
  grpc::Status status =
      stub_->CreateApiKey(As("alice").get(), create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("database_url"), std::string::npos);
  v1::ListApiKeysResponse listed;
  EXPECT_EQ(
      stub_->ListApiKeys(As("alice").get(), v1::ListApiKeysRequest(), &listed)
          .error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id("key_0123456789abcdef0123456789abcdef");
  v1::RevokeApiKeyResponse revoked;
  EXPECT_EQ(
      stub_->RevokeApiKey(As("alice").get(), revoke, &revoked).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  v1::RotateApiKeyRequest rotate;
  rotate.set_key_id(revoke.key_id());
  v1::RotateApiKeyResponse rotated;
  EXPECT_EQ(
      stub_->RotateApiKey(As("alice").get(), rotate, &rotated).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  // Keys are then unknown, with the generic answer.
  std::string message;
  EXPECT_EQ(Authenticate(GenerateApiKeySecret()->secret, &message),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(message, "invalid credentials");
}

}  // namespace
}  // namespace bastion::authn
