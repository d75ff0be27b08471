// Tests of the Ed25519 primitives against RFC 8032 and OpenSSL edge cases.
#include "common/assertion/ed25519.h"

#include <cstring>
#include <string>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "absl/strings/escaping.h"
#include "common/assertion/assertion_limits.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::assertion::internal {
namespace {

using ::bastion::testing::StatusIs;

// RFC 8032, section 7.1, TEST 1.
const std::string kRfcSecret = absl::HexStringToBytes(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const std::string kRfcPublic = absl::HexStringToBytes(
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
const std::string kRfcSignature = absl::HexStringToBytes(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb882"
    "1590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

PkeyPtr RfcPrivateKey() {
  return PkeyPtr(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(kRfcSecret.data()),
      kRfcSecret.size()));
}

std::string ToPem(EVP_PKEY* pkey, const EVP_CIPHER* cipher = nullptr,
                  const char* password = nullptr) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (cipher != nullptr) {
    PEM_write_bio_PKCS8PrivateKey(bio, pkey, cipher, password,
                                  static_cast<int>(strlen(password)), nullptr,
                                  nullptr);
  } else {
    PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

TEST(Ed25519Test, Rfc8032Vector) {
  PkeyPtr key = RfcPrivateKey();
  ASSERT_NE(key, nullptr);
  absl::StatusOr<std::string> raw = RawPublicKey(key.get());
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(*raw, kRfcPublic);
  absl::StatusOr<std::string> signature = Sign(key.get(), "");
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(absl::BytesToHexString(*signature),
            absl::BytesToHexString(kRfcSignature));

  absl::StatusOr<PkeyPtr> pub = PublicKeyFromRaw(kRfcPublic);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_TRUE(Verify(pub->get(), "", kRfcSignature));
  EXPECT_FALSE(Verify(pub->get(), "x", kRfcSignature));
}

TEST(Ed25519Test, KeyIdIsFirst16HexOfSha256) {
  // sha256(d75a98...511a) = 21fe31dfa154a261...
  EXPECT_EQ(KeyIdOf(kRfcPublic), "21fe31dfa154a261");
}

TEST(Ed25519Test, SigningInputIsContextNulClaims) {
  EXPECT_EQ(SigningInput("abc"),
            std::string("bastion.assertion.v1\0abc", 24));
  EXPECT_EQ(SigningInput(""), std::string("bastion.assertion.v1\0", 21));
}

TEST(Ed25519Test, VerifyRequiresExactly64Bytes) {
  absl::StatusOr<PkeyPtr> pub = PublicKeyFromRaw(kRfcPublic);
  ASSERT_TRUE(pub.ok());
  EXPECT_FALSE(Verify(pub->get(), "", kRfcSignature.substr(0, 63)));
  EXPECT_FALSE(Verify(pub->get(), "", kRfcSignature + "x"));
  EXPECT_FALSE(Verify(pub->get(), "", ""));
  std::string flipped = kRfcSignature;
  flipped[10] ^= 0x01;
  EXPECT_FALSE(Verify(pub->get(), "", flipped));
  // An all-zero signature is not valid either.
  EXPECT_FALSE(Verify(pub->get(), "", std::string(kSignatureBytes, '\0')));
}

TEST(Ed25519Test, PublicKeyFromRawNeeds32Bytes) {
  EXPECT_THAT(PublicKeyFromRaw(kRfcPublic.substr(0, 31)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PublicKeyFromRaw(kRfcPublic + "x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PublicKeyFromRaw(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Ed25519Test, PemRoundTrip) {
  PkeyPtr key = RfcPrivateKey();
  absl::StatusOr<std::string> pem = PrivateKeyToPem(key.get());
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_THAT(*pem, ::testing::HasSubstr("BEGIN PRIVATE KEY"));
  absl::StatusOr<PkeyPtr> back = PrivateKeyFromPem(*pem);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*RawPublicKey(back->get()), kRfcPublic);
}

TEST(Ed25519Test, PemMustBeAnUnencryptedEd25519PrivateKey) {
  absl::StatusOr<PkeyPtr> garbage = PrivateKeyFromPem("not a pem");
  EXPECT_THAT(garbage, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(garbage.status().message(), "not an unencrypted PEM private key");

  PkeyPtr key = RfcPrivateKey();
  absl::StatusOr<PkeyPtr> encrypted =
      PrivateKeyFromPem(ToPem(key.get(), EVP_aes_256_cbc(), "secret"));
  EXPECT_THAT(encrypted, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(encrypted.status().message(), "not an unencrypted PEM private key");

  PkeyPtr ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ASSERT_NE(ec, nullptr);
  absl::StatusOr<PkeyPtr> wrong_type = PrivateKeyFromPem(ToPem(ec.get()));
  EXPECT_THAT(wrong_type, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(wrong_type.status().message(), "private key is not an Ed25519 key");
}

TEST(Ed25519Test, GeneratedKeysDifferAndSign) {
  absl::StatusOr<PkeyPtr> a = GeneratePrivateKey();
  absl::StatusOr<PkeyPtr> b = GeneratePrivateKey();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*RawPublicKey(a->get()), *RawPublicKey(b->get()));
  absl::StatusOr<std::string> signature = Sign(a->get(), "message");
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(signature->size(), kSignatureBytes);
  EXPECT_TRUE(Verify(a->get(), "message", *signature));
  EXPECT_FALSE(Verify(b->get(), "message", *signature));
}

TEST(Ed25519Test, RandomHex) {
  absl::StatusOr<std::string> a = RandomHex(16);
  absl::StatusOr<std::string> b = RandomHex(16);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace bastion::assertion::internal
