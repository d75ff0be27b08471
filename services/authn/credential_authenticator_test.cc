// Tests that a verified JWT becomes the right principal with an assertion
// that never outlives the token's acceptance (exp plus leeway), and that
// every bad credential gets the same generic answer.
#include "services/authn/credential_authenticator.h"

#include "absl/strings/str_cat.h"
#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/authn/jwt/testing/test_keys.h"

namespace bastion::authn {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

constexpr int64_t kNow = 1800000000;

class CredentialAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::shared_ptr<const jwt::VerificationKey>> key =
        jwt::VerificationKey::FromHmacSecret(key_.secret(), "k1", {});
    ASSERT_THAT(key, IsOk());
    absl::StatusOr<std::shared_ptr<const jwt::KeySet>> set =
        jwt::KeySet::Create({*key});
    ASSERT_THAT(set, IsOk());
    jwt::JwtVerifierOptions options;
    options.claims.allowed_issuers = {"https://idp.example"};
    options.claims.audiences = {"bastion"};
    options.claims.default_tenant = "t0";
    absl::StatusOr<std::unique_ptr<jwt::JwtVerifier>> verifier =
        jwt::JwtVerifier::Create(
            options, std::make_shared<jwt::StaticKeySource>(*set), &clock_);
    ASSERT_THAT(verifier, IsOk());
    absl::StatusOr<assertion::AssertionSigner> signer =
        assertion::AssertionSigner::Generate();
    ASSERT_THAT(signer, IsOk());
    signer_ = std::make_unique<assertion::AssertionSigner>(*std::move(signer));
    authenticator_ = std::make_unique<CredentialAuthenticator>(
        *std::move(verifier), signer_.get(), "bastion", absl::Minutes(5),
        &clock_);
  }

  std::string Token(int64_t exp, const std::string& extra = "") {
    return jwt::testing::MintToken(
        R"({"alg":"HS256","kid":"k1"})",
        absl::StrCat(R"({"sub":"alice","iss":"https://idp.example",)",
                     R"("aud":"bastion","scopes":["agents:read"],"exp":)", exp,
                     extra, "}"),
        key_, jwt::Algorithm::kHS256);
  }

  FakeClock clock_{absl::FromUnixSeconds(kNow)};
  jwt::testing::TestKey key_ =
      jwt::testing::TestKey::Hmac(std::string(32, 's'));
  std::unique_ptr<assertion::AssertionSigner> signer_;
  std::unique_ptr<CredentialAuthenticator> authenticator_;
};

TEST_F(CredentialAuthenticatorTest, TokenBecomesPrincipalAndVerifiableAssertion) {
  absl::StatusOr<AuthenticatedCredential> result =
      authenticator_->AuthenticateCredential(
          Token(kNow + 3600, R"(,"tenant_id":"t1","jti":"j-1")"));
  ASSERT_THAT(result, IsOk());
  const common::v1::Principal& principal = result->caller.principal;
  EXPECT_EQ(principal.subject(), "alice");
  EXPECT_EQ(principal.tenant_id(), "t1");
  EXPECT_EQ(principal.token_id(), "j-1");
  EXPECT_EQ(principal.credential_kind(), common::v1::CREDENTIAL_KIND_JWT);
  ASSERT_EQ(principal.scopes_size(), 1);
  // The assertion lives its own five minutes, well inside the token's hour.
  EXPECT_EQ(result->assertion_expires, absl::FromUnixSeconds(kNow + 300));
  EXPECT_FALSE(result->caller.assertion.empty());
}

TEST_F(CredentialAuthenticatorTest, AssertionNeverOutlivesTheTokenAndLeeway) {
  // The verifier's leeway is 60 s: the token is accepted until exp + 60.
  absl::StatusOr<AuthenticatedCredential> result =
      authenticator_->AuthenticateCredential(Token(kNow + 90));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->caller.principal.expires_at_unix(), kNow + 150);
  EXPECT_EQ(result->assertion_expires, absl::FromUnixSeconds(kNow + 150));
}

TEST_F(CredentialAuthenticatorTest, ATokenInsideItsLeewayWorks) {
  // Expired 20 s ago, inside the 60 s leeway: authenticated, with an
  // assertion valid until exp + leeway and no longer.
  absl::StatusOr<AuthenticatedCredential> result =
      authenticator_->AuthenticateCredential(Token(kNow - 20));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->caller.principal.expires_at_unix(), kNow + 40);
  EXPECT_EQ(result->assertion_expires, absl::FromUnixSeconds(kNow + 40));
  EXPECT_FALSE(result->caller.assertion.empty());
  // At the end of the leeway it is refused like any expired token.
  EXPECT_THAT(authenticator_->AuthenticateCredential(Token(kNow - 60)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(CredentialAuthenticatorTest, EveryBadCredentialGetsTheSameAnswer) {
  const std::vector<std::string> bad = {
      Token(kNow - 3600),                      // expired
      Token(kNow + 3600) + "x",                // tampered signature
      "bst_unknownkeyunknownkeyunknownkeyxx",  // API key, no store
      "not-a-token",
  };
  for (const std::string& credential : bad) {
    absl::StatusOr<AuthenticatedCredential> result =
        authenticator_->AuthenticateCredential(credential);
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnauthenticated));
    EXPECT_EQ(result.status().message(), "invalid credentials") << credential;
  }
}

}  // namespace
}  // namespace bastion::authn
