// Tests the trusted services: a trusted service's own key proves that
// service and nothing else, it may call only the methods listed for it, and
// the file form is validated (a bare key list is refused, saying why).
#include "common/auth/trusted_services.h"

#include <fstream>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/assertion/signer.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/json_util.h"

namespace bastion {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

constexpr char kAppendSpans[] = "bastion.data.v1.Traces/AppendSpans";

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::unique_ptr<ServiceIdentity> Identity(const std::string& name) {
  absl::StatusOr<std::unique_ptr<ServiceIdentity>> identity =
      ServiceIdentity::LoadOrGenerate(TempDir() + "/" + name + ".pem", name);
  EXPECT_TRUE(identity.ok()) << identity.status();
  return *std::move(identity);
}

std::unique_ptr<TrustedServices> Trusting(
    std::vector<common::v1::TrustedService> entries) {
  common::v1::TrustedServices trusted;
  for (auto& entry : entries) *trusted.add_services() = std::move(entry);
  absl::StatusOr<std::unique_ptr<TrustedServices>> services =
      TrustedServices::Create(trusted);
  EXPECT_THAT(services, IsOk());
  return *std::move(services);
}

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = TempDir() + "/" + name;
  std::ofstream(path, std::ios::trunc) << text;
  return path;
}

TEST(TrustedServicesTest, ATrustedServiceMayCallWhatIsListedForIt) {
  std::unique_ptr<ServiceIdentity> runs = Identity("run_executor");
  std::unique_ptr<ServiceIdentity> authn = Identity("authn");
  std::unique_ptr<TrustedServices> trusted =
      Trusting({TrustedServiceOf(*runs, {kAppendSpans}),
                TrustedServiceOf(*authn, {})});
  absl::StatusOr<common::v1::Principal> principal =
      trusted->Verify(*runs->Assertion(absl::Now()));
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject(), "service:run_executor");
  EXPECT_EQ(principal->credential_kind(), common::v1::CREDENTIAL_KIND_SERVICE);
  EXPECT_TRUE(trusted->MayCall("service:run_executor", kAppendSpans));
  EXPECT_FALSE(trusted->MayCall("service:run_executor",
                                "bastion.data.v1.Traces/GetTrace"));
  EXPECT_FALSE(trusted->MayCall("service:authn", kAppendSpans));
  EXPECT_FALSE(trusted->MayCall("service:stranger", kAppendSpans));
  EXPECT_THAT(trusted->Verify(*authn->Assertion(absl::Now())), IsOk());
}

TEST(TrustedServicesTest, UntrustedServiceIsRefused) {
  std::unique_ptr<ServiceIdentity> trusted = Identity("data_a");
  std::unique_ptr<ServiceIdentity> stranger = Identity("stranger");
  std::unique_ptr<TrustedServices> services =
      Trusting({TrustedServiceOf(*trusted, {kAppendSpans})});
  EXPECT_THAT(services->Verify(*stranger->Assertion(absl::Now())),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(services->Verify("garbage"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

// A trusted key that signs an assertion naming another trusted service gains
// nothing: the key proves its own service only.
TEST(TrustedServicesTest, AKeyNeverProvesAnotherServicesName) {
  std::unique_ptr<ServiceIdentity> authn = Identity("authn");
  std::unique_ptr<ServiceIdentity> runs = Identity("run_executor");
  absl::StatusOr<std::unique_ptr<ServiceIdentity>> impostor =
      ServiceIdentity::LoadOrGenerate(TempDir() + "/authn.pem", "run_executor");
  ASSERT_THAT(impostor, IsOk());
  std::unique_ptr<TrustedServices> trusted =
      Trusting({TrustedServiceOf(*authn, {}),
                TrustedServiceOf(*runs, {kAppendSpans})});
  EXPECT_THAT(trusted->Verify(*(*impostor)->Assertion(absl::Now())),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(TrustedServicesTest, UserAssertionSignedByAServiceKeyIsNotAService) {
  absl::StatusOr<assertion::AssertionSigner> signer =
      assertion::AssertionSigner::LoadOrGenerate(TempDir() + "/misused.pem");
  ASSERT_THAT(signer, IsOk());
  common::v1::Principal user;
  user.set_tenant_id(kServiceTenant);
  user.set_subject("service:pretender");
  user.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  absl::StatusOr<std::string> assertion =
      signer->Sign(user, {kDefaultAudience}, now, now + absl::Minutes(1));
  ASSERT_THAT(assertion, IsOk());
  common::v1::TrustedService pretender;
  pretender.set_name("pretender");
  *pretender.mutable_key() = signer->PublicKey();
  EXPECT_THAT(Trusting({pretender})->Verify(*assertion),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(TrustedServicesTest, EntriesAreValidated) {
  std::unique_ptr<ServiceIdentity> runs = Identity("run_executor");
  std::unique_ptr<ServiceIdentity> authz = Identity("authz");
  auto create = [](std::vector<common::v1::TrustedService> entries) {
    common::v1::TrustedServices trusted;
    for (auto& entry : entries) *trusted.add_services() = std::move(entry);
    return TrustedServices::Create(trusted).status();
  };
  for (const char* method :
       {"Traces/AppendSpans", "bastion.data.v1.Traces", "bastion.data.v1.Traces/",
        "bastion..v1.Traces/AppendSpans", "bastion.data.v1.Traces/*",
        "bastion.data.v1.Traces/Append Spans"}) {
    EXPECT_THAT(create({TrustedServiceOf(*runs, {method})}),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << method;
  }
  common::v1::TrustedService unnamed = TrustedServiceOf(*runs, {});
  unnamed.set_name("Run-Executor");
  EXPECT_THAT(create({unnamed}), StatusIs(absl::StatusCode::kInvalidArgument));
  // The same name twice, or one key for two services.
  EXPECT_THAT(create({TrustedServiceOf(*runs, {}), TrustedServiceOf(*runs, {})}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  common::v1::TrustedService borrowed = TrustedServiceOf(*authz, {});
  *borrowed.mutable_key() = runs->PublicKey();
  EXPECT_THAT(create({TrustedServiceOf(*runs, {}), borrowed}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TrustedServicesTest, TheFileIsLoadedAndValidated) {
  std::unique_ptr<ServiceIdentity> runs = Identity("run_executor");
  common::v1::TrustedServices trusted;
  *trusted.add_services() = TrustedServiceOf(*runs, {kAppendSpans});
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(trusted, &json).ok());
  absl::StatusOr<std::unique_ptr<TrustedServices>> loaded =
      TrustedServices::Load(Write("trusted.json", json));
  ASSERT_THAT(loaded, IsOk());
  EXPECT_TRUE((*loaded)->MayCall("service:run_executor", kAppendSpans));

  EXPECT_THAT(TrustedServices::Load(Write("typo.json", R"({"servicez": []})")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TrustedServices::Load(TempDir() + "/missing.json"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TrustedServicesTest, ABareKeyListIsRefusedSayingHowToWriteItAgain) {
  std::unique_ptr<ServiceIdentity> runs = Identity("run_executor");
  common::v1::AssertionKey key = runs->PublicKey();
  std::string key_json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(key, &key_json).ok());
  absl::StatusOr<std::unique_ptr<TrustedServices>> loaded =
      TrustedServices::Load(Write("bare.json", "{\"keys\": [" + key_json + "]}"));
  ASSERT_THAT(loaded, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(absl::StrContains(loaded.status().message(), "bare list of keys"))
      << loaded.status();
  EXPECT_TRUE(absl::StrContains(loaded.status().message(),
                                "service_identity init"))
      << loaded.status();
}

}  // namespace
}  // namespace bastion
