// OpenID discovery: the issuer a discovery URL names, and the checks on the
// document (exact issuer, https jwks_uri, strict JSON).
#include "services/authn/jwt/oidc_discovery.h"

#include <string>

#include "gtest/gtest.h"
#include "services/authn/jwt/https_fetcher.h"

namespace bastion::authn::jwt {
namespace {

constexpr char kIssuer[] = "https://idp.example/realms/acme";

TEST(OidcDiscoveryTest, IssuerOfDiscoveryUrl) {
  EXPECT_EQ(IssuerOfDiscoveryUrl("https://idp.example/realms/acme/.well-known/"
                                 "openid-configuration"),
            kIssuer);
  EXPECT_EQ(IssuerOfDiscoveryUrl(
                "https://idp.example/.well-known/openid-configuration"),
            "https://idp.example");
  EXPECT_EQ(IssuerOfDiscoveryUrl("https://idp.example/jwks.json"),
            std::nullopt);
  EXPECT_EQ(IssuerOfDiscoveryUrl(
                "https://idp.example/.well-known/openid-configuration?x=1"),
            std::nullopt);
}

TEST(OidcDiscoveryTest, FollowsJwksUriOfTheExpectedIssuer) {
  auto uri = JwksUriFromDiscovery(
      R"({"issuer":"https://idp.example/realms/acme",
          "jwks_uri":"https://idp.example/realms/acme/certs",
          "id_token_signing_alg_values_supported":["RS256"]})",
      kIssuer);
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(*uri, "https://idp.example/realms/acme/certs");
}

TEST(OidcDiscoveryTest, RefusesAnythingElse) {
  for (
      const char* document : {
          // Another issuer, a trailing slash, a prefix of ours.
          R"({"issuer":"https://evil.example","jwks_uri":"https://evil.example/k"})",
          R"({"issuer":"https://idp.example/realms/acme/","jwks_uri":"https://idp.example/k"})",
          R"({"issuer":"https://idp.example/realms","jwks_uri":"https://idp.example/k"})",
          // Missing or mistyped members.
          R"({"jwks_uri":"https://idp.example/k"})",
          R"({"issuer":["https://idp.example/realms/acme"],"jwks_uri":"https://idp.example/k"})",
          R"({"issuer":"https://idp.example/realms/acme"})",
          R"({"issuer":"https://idp.example/realms/acme","jwks_uri":7})",
          // Keys over plain http, or with a credential in the URL.
          R"({"issuer":"https://idp.example/realms/acme","jwks_uri":"http://idp.example/k"})",
          R"({"issuer":"https://idp.example/realms/acme","jwks_uri":"https://u:p@idp.example/k"})",
          // Not a strict JSON object.
          R"(["https://idp.example/realms/acme"])",
          R"({"issuer":"https://idp.example/realms/acme","issuer":"x","jwks_uri":"https://idp.example/k"})",
          "<html>",
      }) {
    SCOPED_TRACE(document);
    EXPECT_EQ(JwksUriFromDiscovery(document, kIssuer).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(HttpsUrlTest, OnlyHttpsWithAHostAndNoCredential) {
  EXPECT_TRUE(CheckHttpsUrl("https://idp.example/jwks").ok());
  EXPECT_TRUE(CheckHttpsUrl("HTTPS://127.0.0.1:8443/jwks").ok());
  for (const char* url :
       {"http://idp.example/jwks", "http://127.0.0.1/jwks",
        "ftp://idp.example/", "file:///etc/jwks.json", "idp.example/jwks",
        "https://", "", "https://user:secret@idp.example/jwks"}) {
    SCOPED_TRACE(url);
    EXPECT_EQ(CheckHttpsUrl(url).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(CheckHttpsUrl(url).message()).find("secret"),
              std::string::npos);
  }
  EXPECT_EQ(UrlForLog("https://user:secret@idp.example:8443/jwks?token=t#x"),
            "https://idp.example:8443/jwks");
  EXPECT_EQ(UrlForLog("not a url"), "(invalid URL)");
}

}  // namespace
}  // namespace bastion::authn::jwt
