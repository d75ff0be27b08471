// authn end to end with a bring-your-own identity provider: a local HTTPS
// server (throwaway CA, port 0) serves the provider's JWKS; authn's own
// wiring (the environment with AgentOS aliases -> LoadConfig ->
// LoadKeySource, VerifierOptionsFrom) builds the verifier, and the real
// AuthnService answers Authenticate over a real gRPC server. Tokens signed
// by the provider's keys authenticate, through a key rotation and while the
// provider is down; anyone else's are refused with UNAUTHENTICATED.
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bastion/authn/v1/authn.grpc.pb.h"
#include "common/assertion/signer.h"
#include "common/config/config.h"
#include "common/server/server.h"
#include "gtest/gtest.h"
#include "services/authn/agentos_env.h"
#include "services/authn/authn_options.h"
#include "services/authn/authn_service.h"
#include "services/authn/credential_authenticator.h"
#include "common/clock/fake_clock.h"
#include "services/authn/jwt/testing/https_test_server.h"
#include "services/authn/jwt/testing/test_keys.h"
#include "services/authn/key_sources.h"

namespace bastion::authn {
namespace {

using jwt::testing::HttpsTestServer;
using jwt::testing::MintToken;
using jwt::testing::TestKey;

constexpr char kIssuer[] = "https://idp.test";

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string Jwks(const std::vector<std::string>& keys) {
  return absl::StrCat(R"({"keys":[)", absl::StrJoin(keys, ","), "]}");
}

HttpsTestServer::Answer Keys(const std::vector<std::string>& keys) {
  HttpsTestServer::Answer answer;
  answer.body = Jwks(keys);
  answer.cache_control = "max-age=600";
  return answer;
}

// Authenticate is public: the guard never asks; anything else is denied.
class DenyAll : public Authorizer {
 public:
  absl::StatusOr<AuthzDecision> Check(const Caller&,
                                      const PermissionRequest&) override {
    return AuthzDecision{false, "test", 1};
  }
};

class AuthnJwksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = HttpsTestServer::Start(TempDir());
    ASSERT_TRUE(server.ok()) << server.status();
    idp_ = *std::move(server);
    idp_->Set("/jwks", Keys({k1_.Jwk("k1", "RS256")}));
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // Starts authn's adapter from these environment variables (plus the
  // provider's URL and CA), composed the way main.cc composes it.
  void Start(std::map<std::string, std::string> env) {
    env.emplace("BASTION_JWKS_URL", idp_->Url("/jwks"));
    env.emplace("BASTION_JWKS_CA_FILE", idp_->ca_file());
    env.emplace("BASTION_ISSUER", kIssuer);
    EnvLookup lookup =
        [env](absl::string_view name) -> std::optional<std::string> {
      auto it = env.find(std::string(name));
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    v1::AuthnConfig config;
    ASSERT_TRUE(
        LoadConfig("", "BASTION_", WithAgentOsAliases(lookup), &config).ok());
    auto keys = LoadKeySource(config, &clock_);
    ASSERT_TRUE(keys.ok()) << keys.status();
    auto options = VerifierOptionsFrom(config);
    ASSERT_TRUE(options.ok()) << options.status();
    auto verifier =
        jwt::JwtVerifier::Create(*options, *std::move(keys), &clock_);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    authenticator_ = std::make_unique<CredentialAuthenticator>(
        *std::move(verifier), &signer_, "bastion", absl::Seconds(300), &clock_);
    GuardDependencies dependencies;
    dependencies.authenticator = authenticator_.get();
    dependencies.authorizer = &authorizer_;
    auto guard =
        CallGuard::Create(v1::Authn::service_full_name(), dependencies);
    ASSERT_TRUE(guard.ok()) << guard.status();
    service_ = std::make_unique<AuthnService>(authenticator_.get(), &signer_,
                                              nullptr, *std::move(guard));
    auto server = StartServer(
        ServerOptions(), {{service_.get(), v1::Authn::service_full_name()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::Authn::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                            grpc::InsecureChannelCredentials()));
  }

  std::string Token(const TestKey& key, const std::string& kid,
                    jwt::Algorithm alg = jwt::Algorithm::kRS256,
                    const std::string& subject = "alice") const {
    const int64_t now = absl::ToUnixSeconds(clock_.Now());
    std::string header =
        absl::StrCat(R"({"alg":")", jwt::AlgorithmName(alg), "\"");
    if (!kid.empty()) absl::StrAppend(&header, R"(,"kid":")", kid, "\"");
    return MintToken(
        header + "}",
        absl::StrCat(R"({"iss":")", kIssuer, R"(","aud":"bastion","sub":")",
                     subject, R"(","tenant_id":"acme",)",
                     R"("scopes":["agents:read","sessions:write"],)",
                     R"("iat":)", now, R"(,"exp":)", now + 600, "}"),
        key, alg);
  }

  grpc::StatusCode Authenticate(const std::string& token,
                                v1::AuthenticateResponse* response = nullptr) {
    v1::AuthenticateRequest request;
    request.set_credential(token);
    v1::AuthenticateResponse ignored;
    grpc::ClientContext context;
    return stub_
        ->Authenticate(&context, request,
                       response != nullptr ? response : &ignored)
        .error_code();
  }

  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  std::unique_ptr<HttpsTestServer> idp_;
  const TestKey k1_ = TestKey::Rsa(2048);
  const TestKey k2_ = TestKey::Ec(jwt::KeyType::kEcP256);
  assertion::AssertionSigner signer_ = *assertion::AssertionSigner::Generate();
  DenyAll authorizer_;
  std::unique_ptr<CredentialAuthenticator> authenticator_;
  std::unique_ptr<AuthnService> service_;
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<v1::Authn::Stub> stub_;
};

TEST_F(AuthnJwksTest, ProviderSignedTokenAuthenticatesEndToEnd) {
  Start({});
  v1::AuthenticateResponse response;
  ASSERT_EQ(Authenticate(Token(k1_, "k1"), &response), grpc::StatusCode::OK);
  EXPECT_EQ(response.principal().subject(), "alice");
  EXPECT_EQ(response.principal().tenant_id(), "acme");
  EXPECT_EQ(response.principal().credential_kind(),
            common::v1::CREDENTIAL_KIND_JWT);
  EXPECT_FALSE(response.assertion().empty());

  // Someone else's key under the provider's kid, or a kid it never had.
  const TestKey forger = TestKey::Rsa(2048);
  EXPECT_EQ(Authenticate(Token(forger, "k1")),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Authenticate(Token(forger, "made-up")),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(idp_->hits("/jwks"), 1);  // Within the refetch interval.
}

TEST_F(AuthnJwksTest, RotationAndOutageThroughTheService) {
  Start({});
  ASSERT_EQ(Authenticate(Token(k1_, "k1")), grpc::StatusCode::OK);

  // The provider adds a key and signs with it: one refetch, then accepted.
  idp_->Set("/jwks", Keys({k1_.Jwk("k1", "RS256"), k2_.Jwk("k2", "ES256")}));
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(Authenticate(Token(k2_, "k2", jwt::Algorithm::kES256, "bob")),
            grpc::StatusCode::OK);
  EXPECT_EQ(idp_->hits("/jwks"), 2);

  // The provider goes down: the keys it last served keep working.
  idp_->Stop();
  clock_.Advance(absl::Minutes(20));
  EXPECT_EQ(Authenticate(Token(k1_, "k1")), grpc::StatusCode::OK);
  EXPECT_EQ(Authenticate(Token(k2_, "k2", jwt::Algorithm::kES256)),
            grpc::StatusCode::OK);
  EXPECT_EQ(Authenticate(Token(TestKey::Rsa(2048), "k3")),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthnJwksTest, AgentOsVerificationKeyWorksBesideTheProvider) {
  const std::string secret(32, 'z');
  Start({{"JWT_VERIFICATION_KEY", secret},
         {"BASTION_VERIFICATION_KEY_ALGORITHM", "HS256"}});
  EXPECT_EQ(
      Authenticate(Token(TestKey::Hmac(secret), "", jwt::Algorithm::kHS256)),
      grpc::StatusCode::OK);
  EXPECT_EQ(Authenticate(Token(k1_, "k1")), grpc::StatusCode::OK);
  EXPECT_EQ(Authenticate(Token(TestKey::Hmac(std::string(32, 'y')), "",
                               jwt::Algorithm::kHS256)),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace bastion::authn
