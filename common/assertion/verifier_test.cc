// Tests of AssertionVerifier: the round trip and every rejection with its
// specific reason. Time comes from a FakeClock; nothing sleeps.
#include "common/assertion/verifier.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/assertion/assertion_limits.h"
#include "common/assertion/ed25519.h"
#include "common/assertion/key_set.h"
#include "common/assertion/local_authenticator.h"
#include "common/assertion/signer.h"
#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace bastion::assertion {
namespace {

using ::bastion::common::v1::AssertionClaims;
using ::bastion::common::v1::Principal;
using ::bastion::common::v1::SignedAssertion;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr char kAudience[] = "data";

std::string TextOf(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(message, &text);
  return text;
}

Principal ValidPrincipal() {
  Principal principal;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        tenant_id: "t1"
        subject: "u1"
        scopes: "agents:run"
        scopes: "sessions:s1:read"
        roles: "member"
        credential_kind: CREDENTIAL_KIND_API_KEY
        issuer: "authn"
        token_id: "key-1"
        expires_at_unix: 1800003600
      )pb",
      &principal));
  return principal;
}

AssertionClaims ValidClaims() {
  AssertionClaims claims;
  *claims.mutable_principal() = ValidPrincipal();
  claims.add_audiences(kAudience);
  claims.set_issued_at_unix(absl::ToUnixSeconds(kNow));
  claims.set_expires_at_unix(absl::ToUnixSeconds(kNow + absl::Minutes(5)));
  claims.set_assertion_id("00112233445566778899aabbccddeeff");
  return claims;
}

// A trusted key: the signer authn would hold, plus the raw OpenSSL key so a
// test can sign claims that the signer itself refuses to make.
struct TrustedKey {
  internal::PkeyPtr pkey;
  std::unique_ptr<AssertionSigner> signer;
};

TrustedKey MakeTrustedKey(const std::string& file_name) {
  TrustedKey key;
  key.pkey = *internal::GeneratePrivateKey();
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/",
                                        file_name);
  std::ofstream(path, std::ios::trunc)
      << *internal::PrivateKeyToPem(key.pkey.get());
  absl::StatusOr<AssertionSigner> signer = AssertionSigner::LoadPemFile(path);
  EXPECT_TRUE(signer.ok()) << signer.status();
  key.signer = std::make_unique<AssertionSigner>(*std::move(signer));
  return key;
}

// Signs arbitrary claim bytes with `pkey` and labels them with `key_id`.
std::string SignBytes(const EVP_PKEY* pkey, const std::string& key_id,
                      const std::string& claims) {
  SignedAssertion signed_assertion;
  signed_assertion.set_claims(claims);
  signed_assertion.set_key_id(key_id);
  signed_assertion.set_signature(
      *internal::Sign(pkey, internal::SigningInput(claims)));
  return signed_assertion.SerializeAsString();
}

std::string Forge(const EVP_PKEY* pkey, const std::string& key_id,
                  const AssertionClaims& claims) {
  return SignBytes(pkey, key_id, claims.SerializeAsString());
}

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest()
      : trusted_(MakeTrustedKey("trusted.pem")),
        clock_(kNow),
        keys_(std::make_shared<StaticKeyProvider>(
            *KeySet::Create({trusted_.signer->PublicKey()}))),
        verifier_(keys_, &clock_, kAudience) {}

  const std::string& key_id() const { return trusted_.signer->key_id(); }

  std::string ForgeTrusted(const AssertionClaims& claims) const {
    return Forge(trusted_.pkey.get(), key_id(), claims);
  }

  void ExpectRejected(const std::string& assertion, const std::string& why) {
    absl::StatusOr<Principal> principal = verifier_.Verify(assertion);
    EXPECT_THAT(principal, StatusIs(absl::StatusCode::kUnauthenticated));
    EXPECT_EQ(principal.status().message(),
              absl::StrCat("assertion rejected: ", why));
  }

  TrustedKey trusted_;
  FakeClock clock_;
  std::shared_ptr<KeyProvider> keys_;
  AssertionVerifier verifier_;
};

TEST_F(VerifierTest, RoundTrip) {
  absl::StatusOr<std::string> assertion = trusted_.signer->Sign(
      ValidPrincipal(), {"authz", kAudience}, kNow, kNow + absl::Minutes(5));
  ASSERT_TRUE(assertion.ok()) << assertion.status();
  absl::StatusOr<Principal> principal = verifier_.Verify(*assertion);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(TextOf(*principal), TextOf(ValidPrincipal()));

  absl::StatusOr<AssertionClaims> claims = verifier_.VerifyClaims(*assertion);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_THAT(claims->audiences(), ElementsAre("authz", kAudience));
  EXPECT_EQ(claims->issued_at_unix(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(claims->expires_at_unix(),
            absl::ToUnixSeconds(kNow + absl::Minutes(5)));
  EXPECT_EQ(claims->assertion_id().size(), 32u);
}

TEST_F(VerifierTest, ForgedValidClaimsVerify) {
  // The forging helper itself produces acceptable assertions, so each
  // rejection below is caused by the one thing it changes.
  absl::StatusOr<Principal> principal =
      verifier_.Verify(ForgeTrusted(ValidClaims()));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(TextOf(*principal), TextOf(ValidPrincipal()));
}

TEST_F(VerifierTest, Oversized) {
  ExpectRejected(std::string(kMaxAssertionBytes + 1, '\0'),
                 "larger than 16384 bytes");
  // A trusted assertion padded past the limit with an unknown field.
  SignedAssertion padded;
  ASSERT_TRUE(padded.ParseFromString(ForgeTrusted(ValidClaims())));
  std::string bytes = padded.SerializeAsString();
  const std::string filler(kMaxAssertionBytes, 'x');
  // Field 15, wire type 2 (length-delimited), length as a varint.
  bytes += std::string("\x7a\x80\x80\x01", 4) + filler;
  ASSERT_GT(bytes.size(), kMaxAssertionBytes);
  ExpectRejected(bytes, "larger than 16384 bytes");
}

TEST_F(VerifierTest, Unparsable) {
  ExpectRejected("\xff\xff\xff\xff", "not a SignedAssertion");
  ExpectRejected(std::string(kMaxAssertionBytes, '\xff'),
                 "not a SignedAssertion");
  ExpectRejected("", "no key id");
  ExpectRejected("Bearer abc.def.ghi", "not a SignedAssertion");
}

TEST_F(VerifierTest, SignatureMustBe64Bytes) {
  SignedAssertion signed_assertion;
  ASSERT_TRUE(signed_assertion.ParseFromString(ForgeTrusted(ValidClaims())));
  for (size_t size : {size_t{0}, size_t{63}, size_t{65}, size_t{128}}) {
    SignedAssertion copy = signed_assertion;
    std::string signature = copy.signature();
    signature.resize(size, '\0');
    copy.set_signature(signature);
    ExpectRejected(copy.SerializeAsString(), "signature is not 64 bytes");
  }
}

TEST_F(VerifierTest, BadSignature) {
  SignedAssertion signed_assertion;
  ASSERT_TRUE(signed_assertion.ParseFromString(ForgeTrusted(ValidClaims())));
  std::string signature = signed_assertion.signature();
  signature[0] ^= 0x01;
  signed_assertion.set_signature(signature);
  ExpectRejected(signed_assertion.SerializeAsString(),
                 "signature does not verify");
  signed_assertion.set_signature(std::string(kSignatureBytes, '\0'));
  ExpectRejected(signed_assertion.SerializeAsString(),
                 "signature does not verify");
}

TEST_F(VerifierTest, RemembersOnlyAssertionsThatPassedEveryCheck) {
  const std::string assertion = ForgeTrusted(ValidClaims());
  ASSERT_TRUE(verifier_.Verify(assertion).ok());
  EXPECT_EQ(verifier_.remembered(), 1u);
  absl::StatusOr<Principal> again = verifier_.Verify(assertion);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(TextOf(*again), TextOf(ValidPrincipal()));
  EXPECT_EQ(verifier_.remembered(), 1u);

  // A bad signature over the same claims is never taken for the good one.
  SignedAssertion tampered;
  ASSERT_TRUE(tampered.ParseFromString(assertion));
  std::string signature = tampered.signature();
  signature[0] ^= 0x01;
  tampered.set_signature(signature);
  ExpectRejected(tampered.SerializeAsString(), "signature does not verify");
  AssertionClaims wrong_audience = ValidClaims();
  wrong_audience.clear_audiences();
  wrong_audience.add_audiences("authz");
  ExpectRejected(ForgeTrusted(wrong_audience), "audience not listed");
  EXPECT_EQ(verifier_.remembered(), 1u);
}

TEST_F(VerifierTest, ARememberedAssertionStillExpires) {
  const std::string assertion = ForgeTrusted(ValidClaims());
  ASSERT_TRUE(verifier_.Verify(assertion).ok());
  clock_.Advance(absl::Minutes(5));
  ExpectRejected(assertion, "expired");
}

// Keys that a test replaces, as a rotation or a withdrawn key would.
class SwappableKeys final : public KeyProvider {
 public:
  explicit SwappableKeys(std::shared_ptr<const KeySet> keys)
      : keys_(std::move(keys)) {}
  absl::StatusOr<std::shared_ptr<const KeySet>> Keys() override {
    absl::MutexLock lock(&mutex_);
    return keys_;
  }
  void Set(std::shared_ptr<const KeySet> keys) {
    absl::MutexLock lock(&mutex_);
    keys_ = std::move(keys);
  }

 private:
  absl::Mutex mutex_;
  std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mutex_);
};

TEST_F(VerifierTest, AChangedKeySetChecksEverySignatureAgain) {
  auto keys = std::make_shared<SwappableKeys>(
      *KeySet::Create({trusted_.signer->PublicKey()}));
  AssertionVerifier verifier(keys, &clock_, kAudience);
  const std::string assertion = ForgeTrusted(ValidClaims());
  ASSERT_TRUE(verifier.Verify(assertion).ok());
  ASSERT_EQ(verifier.remembered(), 1u);

  // The key is withdrawn: what it verified is no longer taken.
  TrustedKey other = MakeTrustedKey("other.pem");
  keys->Set(*KeySet::Create({other.signer->PublicKey()}));
  absl::StatusOr<Principal> withdrawn = verifier.Verify(assertion);
  EXPECT_THAT(withdrawn, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(withdrawn.status().message(), "assertion rejected: unknown key id");
  EXPECT_EQ(verifier.remembered(), 0u);

  // Back again (a new set with the same key): verified again, in full.
  keys->Set(*KeySet::Create({trusted_.signer->PublicKey()}));
  EXPECT_TRUE(verifier.Verify(assertion).ok());
  EXPECT_EQ(verifier.remembered(), 1u);
}

TEST_F(VerifierTest, EveryTamperedClaimsByteIsRejected) {
  SignedAssertion signed_assertion;
  ASSERT_TRUE(signed_assertion.ParseFromString(ForgeTrusted(ValidClaims())));
  const std::string claims = signed_assertion.claims();
  for (size_t i = 0; i < claims.size(); ++i) {
    SignedAssertion copy = signed_assertion;
    std::string tampered = claims;
    tampered[i] ^= 0x01;
    copy.set_claims(tampered);
    ExpectRejected(copy.SerializeAsString(), "signature does not verify");
  }
  // Appending bytes (e.g. a second principal field) is tampering too.
  SignedAssertion appended = signed_assertion;
  AssertionClaims extra;
  extra.mutable_principal()->set_tenant_id("t2");
  appended.set_claims(claims + extra.SerializeAsString());
  ExpectRejected(appended.SerializeAsString(), "signature does not verify");
}

TEST_F(VerifierTest, EveryBitFlipOfTheWholeAssertionIsRejected) {
  const std::string assertion = ForgeTrusted(ValidClaims());
  ASSERT_TRUE(verifier_.Verify(assertion).ok());
  for (size_t i = 0; i < assertion.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = assertion;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      absl::StatusOr<Principal> principal = verifier_.Verify(flipped);
      EXPECT_THAT(principal, StatusIs(absl::StatusCode::kUnauthenticated))
          << "byte " << i << " bit " << bit;
    }
  }
}

TEST_F(VerifierTest, SignedWithoutTheContextPrefixIsRejected) {
  const std::string claims = ValidClaims().SerializeAsString();
  SignedAssertion signed_assertion;
  signed_assertion.set_claims(claims);
  signed_assertion.set_key_id(key_id());
  signed_assertion.set_signature(*internal::Sign(trusted_.pkey.get(), claims));
  ExpectRejected(signed_assertion.SerializeAsString(),
                 "signature does not verify");
}

TEST_F(VerifierTest, AnotherKeyWithTheTrustedKeyId) {
  const internal::PkeyPtr other = *internal::GeneratePrivateKey();
  ExpectRejected(Forge(other.get(), key_id(), ValidClaims()),
                 "signature does not verify");
}

TEST_F(VerifierTest, ClientMadeAssertionIsRejected) {
  // A client generates its own key and signs a perfect-looking assertion.
  absl::StatusOr<AssertionSigner> client = AssertionSigner::Generate();
  ASSERT_TRUE(client.ok());
  absl::StatusOr<std::string> assertion = client->Sign(
      ValidPrincipal(), {kAudience}, kNow, kNow + absl::Minutes(5));
  ASSERT_TRUE(assertion.ok());
  ExpectRejected(*assertion, "unknown key id");
}

TEST_F(VerifierTest, MissingKeyId) {
  SignedAssertion signed_assertion;
  ASSERT_TRUE(signed_assertion.ParseFromString(ForgeTrusted(ValidClaims())));
  signed_assertion.clear_key_id();
  ExpectRejected(signed_assertion.SerializeAsString(), "no key id");
}

TEST_F(VerifierTest, ExpiryBoundary) {
  AssertionClaims claims = ValidClaims();
  claims.set_expires_at_unix(absl::ToUnixSeconds(kNow + absl::Seconds(1)));
  const std::string assertion = ForgeTrusted(claims);
  EXPECT_TRUE(verifier_.Verify(assertion).ok());
  clock_.Set(kNow + absl::Milliseconds(999));
  EXPECT_TRUE(verifier_.Verify(assertion).ok());
  clock_.Set(kNow + absl::Seconds(1));  // expires_at == now
  ExpectRejected(assertion, "expired");
  clock_.Advance(absl::Hours(1));
  ExpectRejected(assertion, "expired");
}

TEST_F(VerifierTest, NotYetValid) {
  AssertionClaims claims = ValidClaims();
  claims.set_issued_at_unix(absl::ToUnixSeconds(kNow + absl::Seconds(30)));
  claims.set_expires_at_unix(absl::ToUnixSeconds(kNow + absl::Minutes(5)));
  EXPECT_TRUE(verifier_.Verify(ForgeTrusted(claims)).ok());
  claims.set_issued_at_unix(absl::ToUnixSeconds(kNow + absl::Seconds(31)));
  ExpectRejected(ForgeTrusted(claims), "issued in the future");
}

TEST_F(VerifierTest, ExpiresBeforeIssued) {
  AssertionClaims claims = ValidClaims();
  claims.set_issued_at_unix(absl::ToUnixSeconds(kNow + absl::Seconds(20)));
  claims.set_expires_at_unix(absl::ToUnixSeconds(kNow + absl::Seconds(10)));
  ExpectRejected(ForgeTrusted(claims), "expires before it is issued");
}

TEST_F(VerifierTest, LifetimeOver15Minutes) {
  AssertionClaims claims = ValidClaims();
  claims.set_expires_at_unix(absl::ToUnixSeconds(kNow + absl::Minutes(15)));
  EXPECT_TRUE(verifier_.Verify(ForgeTrusted(claims)).ok());
  claims.set_expires_at_unix(
      absl::ToUnixSeconds(kNow + absl::Minutes(15) + absl::Seconds(1)));
  ExpectRejected(ForgeTrusted(claims), "lifetime exceeds 15 minutes");
  // Extreme values do not overflow into acceptance.
  claims.set_issued_at_unix(INT64_MIN);
  claims.set_expires_at_unix(INT64_MAX);
  ExpectRejected(ForgeTrusted(claims), "lifetime exceeds 15 minutes");
}

TEST_F(VerifierTest, OutlivesCredential) {
  AssertionClaims claims = ValidClaims();
  claims.mutable_principal()->set_expires_at_unix(
      absl::ToUnixSeconds(kNow + absl::Minutes(2)));
  ExpectRejected(ForgeTrusted(claims), "outlives the principal's credential");
  // 0 means the credential states no expiry of its own.
  claims.mutable_principal()->set_expires_at_unix(0);
  EXPECT_TRUE(verifier_.Verify(ForgeTrusted(claims)).ok());
}

TEST_F(VerifierTest, AudienceMustBeListed) {
  AssertionClaims claims = ValidClaims();
  claims.clear_audiences();
  ExpectRejected(ForgeTrusted(claims), "audience not listed");
  claims.add_audiences("Data");
  claims.add_audiences("data ");
  claims.add_audiences("");
  ExpectRejected(ForgeTrusted(claims), "audience not listed");
}

TEST_F(VerifierTest, SwappedAudience) {
  // Minted for authz, replayed to data.
  absl::StatusOr<std::string> for_authz = trusted_.signer->Sign(
      ValidPrincipal(), {"authz"}, kNow, kNow + absl::Minutes(5));
  ASSERT_TRUE(for_authz.ok());
  ExpectRejected(*for_authz, "audience not listed");
  const AssertionVerifier authz(keys_, &clock_, "authz");
  EXPECT_TRUE(authz.Verify(*for_authz).ok());
}

TEST_F(VerifierTest, EmptyVerifierAudienceRejectsEverything) {
  const AssertionVerifier no_audience(keys_, &clock_, "");
  AssertionClaims claims = ValidClaims();
  claims.add_audiences("");
  absl::StatusOr<Principal> principal =
      no_audience.Verify(ForgeTrusted(claims));
  EXPECT_THAT(principal, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(principal.status().message(),
            "assertion rejected: audience not listed");
}

struct PrincipalCase {
  std::string name;
  void (*change)(AssertionClaims*);
  std::string why;
};

class PrincipalRejectedTest
    : public VerifierTest,
      public ::testing::WithParamInterface<PrincipalCase> {};

TEST_P(PrincipalRejectedTest, Rejected) {
  AssertionClaims claims = ValidClaims();
  GetParam().change(&claims);
  ExpectRejected(ForgeTrusted(claims), GetParam().why);
}

INSTANTIATE_TEST_SUITE_P(
    Principals, PrincipalRejectedTest,
    ::testing::Values(
        PrincipalCase{"NoPrincipal",
                      [](AssertionClaims* c) { c->clear_principal(); },
                      "no principal"},
        PrincipalCase{"NoTenant",
                      [](AssertionClaims* c) {
                        c->mutable_principal()->clear_tenant_id();
                      },
                      "principal has no tenant_id"},
        PrincipalCase{"NoSubject",
                      [](AssertionClaims* c) {
                        c->mutable_principal()->clear_subject();
                      },
                      "principal has no subject"},
        PrincipalCase{"UnspecifiedKind",
                      [](AssertionClaims* c) {
                        c->mutable_principal()->set_credential_kind(
                            bastion::common::v1::CREDENTIAL_KIND_UNSPECIFIED);
                      },
                      "principal has no valid credential_kind"},
        PrincipalCase{"UnknownKind",
                      [](AssertionClaims* c) {
                        c->mutable_principal()->set_credential_kind(
                            static_cast<bastion::common::v1::CredentialKind>(
                                42));
                      },
                      "principal has no valid credential_kind"}),
    [](const ::testing::TestParamInfo<PrincipalCase>& info) {
      return info.param.name;
    });

TEST_F(VerifierTest, ClaimsThatDoNotParse) {
  // Validly signed bytes that are not AssertionClaims.
  ExpectRejected(SignBytes(trusted_.pkey.get(), key_id(), "\xff\xff\xff"),
                 "claims do not parse");
}

class FailingProvider final : public KeyProvider {
 public:
  absl::StatusOr<std::shared_ptr<const KeySet>> Keys() override {
    return absl::UnavailableError("authn unreachable: connection refused");
  }
};

class NullProvider final : public KeyProvider {
 public:
  absl::StatusOr<std::shared_ptr<const KeySet>> Keys() override {
    return std::shared_ptr<const KeySet>();
  }
};

TEST_F(VerifierTest, KeySourceFailureIsUnavailableNotARejection) {
  const std::string assertion = ForgeTrusted(ValidClaims());
  for (std::shared_ptr<KeyProvider> provider :
       {std::shared_ptr<KeyProvider>(std::make_shared<FailingProvider>()),
        std::shared_ptr<KeyProvider>(std::make_shared<NullProvider>()),
        std::shared_ptr<KeyProvider>()}) {
    const AssertionVerifier verifier(provider, &clock_, kAudience);
    absl::StatusOr<Principal> principal = verifier.Verify(assertion);
    EXPECT_THAT(principal, StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_EQ(principal.status().message(), "assertion keys are unavailable");
  }
}

// Serves an old key set until asked about a missing key id (rotation).
class RotatingProvider final : public KeyProvider {
 public:
  RotatingProvider(std::shared_ptr<const KeySet> before,
                   std::shared_ptr<const KeySet> after)
      : before_(std::move(before)), after_(std::move(after)) {}
  absl::StatusOr<std::shared_ptr<const KeySet>> Keys() override {
    return before_;
  }
  absl::StatusOr<std::shared_ptr<const KeySet>> KeysAfterMiss(
      absl::string_view key_id) override {
    misses.push_back(std::string(key_id));
    return after_;
  }
  std::vector<std::string> misses;

 private:
  std::shared_ptr<const KeySet> before_;
  std::shared_ptr<const KeySet> after_;
};

TEST_F(VerifierTest, UnknownKeyIdAsksTheProviderOnce) {
  TrustedKey rotated = MakeTrustedKey("rotated.pem");
  auto provider = std::make_shared<RotatingProvider>(
      *KeySet::Create({trusted_.signer->PublicKey()}),
      *KeySet::Create(
          {trusted_.signer->PublicKey(), rotated.signer->PublicKey()}));
  const AssertionVerifier verifier(provider, &clock_, kAudience);

  EXPECT_TRUE(verifier.Verify(ForgeTrusted(ValidClaims())).ok());
  EXPECT_TRUE(provider->misses.empty());

  EXPECT_TRUE(verifier
                  .Verify(Forge(rotated.pkey.get(), rotated.signer->key_id(),
                                ValidClaims()))
                  .ok());
  EXPECT_THAT(provider->misses, ElementsAre(rotated.signer->key_id()));

  absl::StatusOr<Principal> unknown = verifier.Verify(
      Forge(rotated.pkey.get(), "ffffffffffffffff", ValidClaims()));
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(unknown.status().message(), "assertion rejected: unknown key id");
}

TEST_F(VerifierTest, ConcurrentVerification) {
  const std::string good = ForgeTrusted(ValidClaims());
  AssertionClaims other = ValidClaims();
  other.clear_audiences();
  const std::string bad = ForgeTrusted(other);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (!verifier_.Verify(good).ok()) ++failures;
        if (verifier_.Verify(bad).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

common::v1::DelegationClaims RunDelegation() {
  common::v1::DelegationClaims delegation;
  delegation.set_delegation_id("dlg_00112233445566778899aabbccddeeff");
  delegation.set_run_id("run-R");
  delegation.set_holder_service("service:run_executor");
  return delegation;
}

TEST_F(VerifierTest, DelegationIsAcceptedFromItsHolderOnly) {
  absl::StatusOr<std::string> delegation = trusted_.signer->SignDelegation(
      ValidPrincipal(), RunDelegation(), {kAudience}, kNow,
      kNow + absl::Minutes(5));
  ASSERT_TRUE(delegation.ok()) << delegation.status();

  absl::StatusOr<AssertionClaims> claims =
      verifier_.VerifyPresentedBy(*delegation, "service:run_executor");
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(TextOf(claims->delegation()), TextOf(RunDelegation()));
  EXPECT_EQ(TextOf(claims->principal()), TextOf(ValidPrincipal()));

  for (absl::string_view presenter :
       {"", "service:scheduler", "run_executor", "service:run_executor "}) {
    SCOPED_TRACE(presenter);
    absl::StatusOr<AssertionClaims> refused =
        verifier_.VerifyPresentedBy(*delegation, presenter);
    EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnauthenticated));
    EXPECT_EQ(refused.status().message(),
              "assertion rejected: delegation not presented by its holder "
              "service");
  }
  // Verify knows no presenter: a delegation is never a plain assertion.
  ExpectRejected(*delegation,
                 "delegation not presented by its holder service");
}

TEST_F(VerifierTest, PlainAssertionIsAcceptedFromAnyPresenter) {
  absl::StatusOr<std::string> assertion = trusted_.signer->Sign(
      ValidPrincipal(), {kAudience}, kNow, kNow + absl::Minutes(5));
  ASSERT_TRUE(assertion.ok());
  for (absl::string_view presenter : {"", "service:scheduler"}) {
    absl::StatusOr<AssertionClaims> claims =
        verifier_.VerifyPresentedBy(*assertion, presenter);
    ASSERT_TRUE(claims.ok()) << claims.status();
    EXPECT_FALSE(claims->has_delegation());
  }
}

TEST_F(VerifierTest, DelegationKeepsTheAssertionBounds) {
  absl::StatusOr<std::string> delegation = trusted_.signer->SignDelegation(
      ValidPrincipal(), RunDelegation(), {kAudience}, kNow,
      kNow + absl::Minutes(5));
  ASSERT_TRUE(delegation.ok());
  clock_.Advance(absl::Minutes(5));
  EXPECT_THAT(verifier_.VerifyPresentedBy(*delegation, "service:run_executor"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(trusted_.signer->SignDelegation(ValidPrincipal(), RunDelegation(),
                                              {kAudience}, kNow,
                                              kNow + absl::Minutes(16)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(VerifierTest, IncompleteDelegationClaimsAreRefused) {
  for (int missing = 0; missing < 3; ++missing) {
    SCOPED_TRACE(missing);
    common::v1::DelegationClaims delegation = RunDelegation();
    if (missing == 0) delegation.clear_delegation_id();
    if (missing == 1) delegation.clear_run_id();
    if (missing == 2) delegation.clear_holder_service();
    EXPECT_THAT(trusted_.signer->SignDelegation(ValidPrincipal(), delegation,
                                                {kAudience}, kNow,
                                                kNow + absl::Minutes(5)),
                StatusIs(absl::StatusCode::kInvalidArgument));
    // Forged past the signer, the verifier refuses it as well.
    AssertionClaims claims = ValidClaims();
    *claims.mutable_delegation() = delegation;
    EXPECT_THAT(verifier_.VerifyPresentedBy(ForgeTrusted(claims),
                                            delegation.holder_service()),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
}

TEST_F(VerifierTest, LocalAuthenticatorReportsTheDelegation) {
  LocalAssertionAuthenticator authenticator(
      std::make_shared<const AssertionVerifier>(keys_, &clock_, kAudience));
  absl::StatusOr<std::string> delegation = trusted_.signer->SignDelegation(
      ValidPrincipal(), RunDelegation(), {kAudience}, kNow,
      kNow + absl::Minutes(5));
  ASSERT_TRUE(delegation.ok());
  absl::StatusOr<VerifiedAssertion> verified =
      authenticator.VerifyPresentedBy(*delegation, "service:run_executor");
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->delegation_id, "dlg_00112233445566778899aabbccddeeff");
  EXPECT_EQ(verified->delegation_run_id, "run-R");
  EXPECT_EQ(verified->principal.subject(), "u1");
  EXPECT_THAT(authenticator.Verify(*delegation),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(authenticator.VerifyPresentedBy(*delegation, "service:other"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(VerifierTest, LocalAuthenticatorDelegates) {
  LocalAssertionAuthenticator authenticator(
      std::make_shared<AssertionVerifier>(keys_, &clock_, kAudience));
  absl::StatusOr<Principal> principal =
      authenticator.Verify(ForgeTrusted(ValidClaims()));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject(), "u1");
  EXPECT_THAT(authenticator.Verify("junk"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace bastion::assertion
