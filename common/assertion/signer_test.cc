// Tests of AssertionSigner: key generation, PEM persistence with 0600
// permissions, and what Sign produces and refuses.
#include "common/assertion/signer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/assertion/assertion_limits.h"
#include "common/assertion/ed25519.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::assertion {
namespace {

using ::bastion::common::v1::AssertionClaims;
using ::bastion::common::v1::Principal;
using ::bastion::common::v1::SignedAssertion;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

Principal ValidPrincipal() {
  Principal principal;
  principal.set_tenant_id("t1");
  principal.set_subject("u1");
  principal.add_scopes("agents:run");
  principal.add_roles("member");
  principal.set_credential_kind(bastion::common::v1::CREDENTIAL_KIND_JWT);
  principal.set_issuer("https://idp.example");
  principal.set_token_id("jti-1");
  principal.set_expires_at_unix(absl::ToUnixSeconds(kNow + absl::Hours(1)));
  return principal;
}

AssertionSigner MustGenerate() {
  absl::StatusOr<AssertionSigner> signer = AssertionSigner::Generate();
  EXPECT_TRUE(signer.ok()) << signer.status();
  return *std::move(signer);
}

TEST(SignerTest, KeyIdAndPublicKey) {
  const AssertionSigner signer = MustGenerate();
  const auto key = signer.PublicKey();
  EXPECT_EQ(key.algorithm(), "EdDSA");
  EXPECT_EQ(key.public_key().size(), kPublicKeyBytes);
  EXPECT_EQ(key.key_id(), signer.key_id());
  EXPECT_EQ(signer.key_id(), internal::KeyIdOf(key.public_key()));
  EXPECT_EQ(signer.key_id().size(), 16u);
  EXPECT_NE(MustGenerate().key_id(), signer.key_id());
}

TEST(SignerTest, SignProducesVerifiableClaims) {
  const AssertionSigner signer = MustGenerate();
  const Principal principal = ValidPrincipal();
  absl::StatusOr<std::string> out =
      signer.Sign(principal, {"data", "authz"}, kNow, kNow + absl::Minutes(5));
  ASSERT_TRUE(out.ok()) << out.status();

  SignedAssertion signed_assertion;
  ASSERT_TRUE(signed_assertion.ParseFromString(*out));
  EXPECT_EQ(signed_assertion.key_id(), signer.key_id());
  EXPECT_EQ(signed_assertion.signature().size(), kSignatureBytes);
  absl::StatusOr<internal::PkeyPtr> pub =
      internal::PublicKeyFromRaw(signer.PublicKey().public_key());
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(internal::Verify(pub->get(),
                               internal::SigningInput(signed_assertion.claims()),
                               signed_assertion.signature()));
  // The bare claims (without the context prefix) do not verify.
  EXPECT_FALSE(internal::Verify(pub->get(), signed_assertion.claims(),
                                signed_assertion.signature()));

  AssertionClaims claims;
  ASSERT_TRUE(claims.ParseFromString(signed_assertion.claims()));
  EXPECT_EQ(claims.principal().SerializeAsString(),
            principal.SerializeAsString());
  EXPECT_THAT(claims.audiences(), ElementsAre("data", "authz"));
  EXPECT_EQ(claims.issued_at_unix(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(claims.expires_at_unix(),
            absl::ToUnixSeconds(kNow + absl::Minutes(5)));
  EXPECT_EQ(claims.assertion_id().size(), 32u);
  EXPECT_EQ(claims.assertion_id().find_first_not_of("0123456789abcdef"),
            std::string::npos);

  absl::StatusOr<std::string> again =
      signer.Sign(principal, {"data"}, kNow, kNow + absl::Minutes(5));
  ASSERT_TRUE(again.ok());
  SignedAssertion second;
  AssertionClaims second_claims;
  ASSERT_TRUE(second.ParseFromString(*again));
  ASSERT_TRUE(second_claims.ParseFromString(second.claims()));
  EXPECT_NE(second_claims.assertion_id(), claims.assertion_id());
}

TEST(SignerTest, FifteenMinutesExactlyIsAllowed) {
  const AssertionSigner signer = MustGenerate();
  EXPECT_TRUE(
      signer.Sign(ValidPrincipal(), {"data"}, kNow, kNow + absl::Minutes(15))
          .ok());
}

struct RefusedCase {
  std::string name;
  Principal principal;
  std::vector<std::string> audiences;
  absl::Duration lifetime;
  std::string message;
};

class SignRefusedTest : public ::testing::TestWithParam<RefusedCase> {};

TEST_P(SignRefusedTest, Refuses) {
  const RefusedCase& c = GetParam();
  static const AssertionSigner* const signer =
      new AssertionSigner(MustGenerate());
  absl::StatusOr<std::string> out =
      signer->Sign(c.principal, c.audiences, kNow, kNow + c.lifetime);
  EXPECT_THAT(out, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(out.status().message(), c.message);
}

Principal With(void (*change)(Principal*)) {
  Principal principal = ValidPrincipal();
  change(&principal);
  return principal;
}

Principal Huge() {
  Principal principal = ValidPrincipal();
  for (int i = 0; i < 2000; ++i) {
    principal.add_scopes(absl::StrCat("sessions:s", i, ":read"));
  }
  return principal;
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, SignRefusedTest,
    ::testing::Values(
        RefusedCase{"NoTenant",
                    With([](Principal* p) { p->clear_tenant_id(); }),
                    {"data"},
                    absl::Minutes(5),
                    "principal has no tenant_id"},
        RefusedCase{"NoSubject",
                    With([](Principal* p) { p->clear_subject(); }),
                    {"data"},
                    absl::Minutes(5),
                    "principal has no subject"},
        RefusedCase{"UnspecifiedKind",
                    With([](Principal* p) { p->clear_credential_kind(); }),
                    {"data"},
                    absl::Minutes(5),
                    "principal has no valid credential_kind"},
        RefusedCase{"UnknownKind",
                    With([](Principal* p) {
                      p->set_credential_kind(
                          static_cast<bastion::common::v1::CredentialKind>(99));
                    }),
                    {"data"},
                    absl::Minutes(5),
                    "principal has no valid credential_kind"},
        RefusedCase{"NoAudience", ValidPrincipal(), {}, absl::Minutes(5),
                    "assertion needs at least one audience"},
        RefusedCase{"EmptyAudience", ValidPrincipal(), {"data", ""},
                    absl::Minutes(5), "assertion audience is empty"},
        RefusedCase{"ZeroLifetime", ValidPrincipal(), {"data"},
                    absl::ZeroDuration(), "expires_at must be after issued_at"},
        RefusedCase{"NegativeLifetime", ValidPrincipal(), {"data"},
                    -absl::Minutes(1), "expires_at must be after issued_at"},
        RefusedCase{"TooLong", ValidPrincipal(), {"data"},
                    absl::Minutes(15) + absl::Seconds(1),
                    "assertion lifetime exceeds 15 minutes"},
        RefusedCase{"OutlivesCredential",
                    With([](Principal* p) {
                      p->set_expires_at_unix(
                          absl::ToUnixSeconds(kNow + absl::Minutes(2)));
                    }),
                    {"data"},
                    absl::Minutes(5),
                    "assertion would outlive the principal's credential"},
        RefusedCase{"Oversized", Huge(), {"data"}, absl::Minutes(5),
                    "assertion would be 41098 bytes, over the limit of "
                    "16384"}),
    [](const ::testing::TestParamInfo<RefusedCase>& info) {
      return info.param.name;
    });

TEST(SignerTest, SaveToWritesPemWithMode0600) {
  const AssertionSigner signer = MustGenerate();
  const std::string path = TempPath("save_to.pem");
  // An existing world-readable file is replaced by a 0600 one.
  WriteFile(path, "old");
  chmod(path.c_str(), 0644);
  ASSERT_THAT(signer.SaveTo(path), ::bastion::testing::IsOk());
  EXPECT_EQ(ModeOf(path), 0600u);

  absl::StatusOr<AssertionSigner> loaded = AssertionSigner::LoadPemFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->key_id(), signer.key_id());
  EXPECT_EQ(loaded->PublicKey().SerializeAsString(),
            signer.PublicKey().SerializeAsString());
}

TEST(SignerTest, SaveToMissingDirectoryFails) {
  const AssertionSigner signer = MustGenerate();
  EXPECT_THAT(signer.SaveTo(TempPath("no/such/dir/key.pem")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SignerTest, LoadErrors) {
  EXPECT_THAT(AssertionSigner::LoadPemFile(TempPath("missing.pem")),
              StatusIs(absl::StatusCode::kNotFound));
  const std::string garbage = TempPath("garbage.pem");
  WriteFile(garbage, "-----BEGIN PRIVATE KEY-----\nAAAA\n");
  absl::StatusOr<AssertionSigner> loaded = AssertionSigner::LoadPemFile(garbage);
  EXPECT_THAT(loaded, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(loaded.status().message(),
            garbage + ": not an unencrypted PEM private key");
  EXPECT_THAT(AssertionSigner::LoadPemFile(TempPath("")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SignerTest, LoadOrGenerateCreatesOnceThenLoads) {
  const std::string path = TempPath("load_or_generate.pem");
  unlink(path.c_str());
  absl::StatusOr<AssertionSigner> first =
      AssertionSigner::LoadOrGenerate(path);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(ModeOf(path), 0600u);
  absl::StatusOr<AssertionSigner> second =
      AssertionSigner::LoadOrGenerate(path);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->key_id(), first->key_id());
}

TEST(SignerTest, LoadOrGenerateNeverReplacesABadFile) {
  const std::string path = TempPath("bad_existing.pem");
  WriteFile(path, "not a key");
  EXPECT_THAT(AssertionSigner::LoadOrGenerate(path),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "not a key");
}

}  // namespace
}  // namespace bastion::assertion
