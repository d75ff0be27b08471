// TLS and mutual TLS between a real gRPC server on 127.0.0.1 port 0 (serving
// gRPC health) and real clients, with certificates made in the test; plus
// the startup validation of the configured files.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/status/status_matchers.h"
#include "common/tls/test_certs.h"
#include "common/tls/tls_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::tls {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::bastion::tls::testing::IssuedCert;
using ::bastion::tls::testing::IssueOptions;
using ::bastion::tls::testing::TestCa;
using ::bastion::tls::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// Refused handshakes fail at once (no wait_for_ready); the deadline only
// bounds a hang.
constexpr std::chrono::seconds kCallDeadline(5);

// The serialized grpc.health.v1.HealthCheckResponse{status: SERVING}.
constexpr char kServing[] = "\x08\x01";

// Calls grpc.health.v1.Health/Check for the whole server.
grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  grpc::Slice empty_request("");  // HealthCheckRequest{service: ""}
  grpc::ByteBuffer request(&empty_request, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response, [&](grpc::Status result) {
                   status = std::move(result);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "unreadable response");
  }
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  if (bytes != kServing) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "not SERVING");
  }
  return status;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* test =
        ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = absl::StrCat(::testing::TempDir(), "/", test->name());
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0) << dir_;

    absl::StatusOr<TestCa> ca = TestCa::Create("Bastion test CA");
    ASSERT_THAT(ca, IsOk());
    absl::StatusOr<TestCa> other_ca = TestCa::Create("Some other CA");
    ASSERT_THAT(other_ca, IsOk());

    ca_file_ = Write("ca.pem", ca->cert_pem());
    other_ca_file_ = Write("other_ca.pem", other_ca->cert_pem());
    server_ = WriteIssued(*ca, "server",
                          {"server", {"DNS:localhost", "IP:127.0.0.1"}});
    client_ = WriteIssued(*ca, "client", {"client", {"DNS:client"}});
    rogue_client_ = WriteIssued(*other_ca, "rogue", {"client", {"DNS:client"}});
    expired_ = WriteIssued(
        *ca, "expired",
        {"server", {"DNS:localhost"}, -absl::Hours(48), -absl::Hours(24)});
  }

  void TearDown() override {
    if (server_instance_ != nullptr) server_instance_->Shutdown();
  }

  std::string Write(const std::string& name, const std::string& contents) {
    absl::StatusOr<std::string> path = WriteTestFile(dir_, name, contents);
    EXPECT_THAT(path, IsOk());
    return path.value_or("");
  }

  // cert_file and key_file of a certificate issued by `ca`.
  TlsFiles WriteIssued(const TestCa& ca, const std::string& name,
                       const IssueOptions& options) {
    absl::StatusOr<IssuedCert> issued = ca.Issue(options);
    EXPECT_THAT(issued, IsOk());
    if (!issued.ok()) return {};
    TlsFiles files;
    files.cert_file = Write(name + ".pem", issued->cert_pem);
    files.key_file = Write(name + ".key", issued->key_pem);
    return files;
  }

  // Starts a health-serving server with credentials from `files`; returns
  // its address, or "" after recording a failure.
  std::string StartServer(const TlsFiles& files) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        ServerCredentialsFrom(files);
    EXPECT_THAT(credentials, IsOk());
    if (!credentials.ok()) return "";
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", *credentials, &port);
    // Something must be polled for the health service to be served; other
    // methods answer UNIMPLEMENTED.
    builder.RegisterCallbackGenericService(&unimplemented_);
    server_instance_ = builder.BuildAndStart();
    EXPECT_NE(server_instance_, nullptr);
    EXPECT_GT(port, 0);
    return absl::StrCat("127.0.0.1:", port);
  }

  TlsFiles MutualTlsServer() const {
    TlsFiles files = server_;
    files.ca_file = ca_file_;
    files.require_client_cert = true;
    return files;
  }

  // Client files: trusts `ca_file`, presents `identity` when it has one.
  static TlsFiles Client(const std::string& ca_file,
                         const TlsFiles& identity = {}) {
    TlsFiles files = identity;
    files.ca_file = ca_file;
    return files;
  }

  grpc::Status Call(const std::string& address, const TlsFiles& client,
                    const std::string& server_name_override = "") {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        CreateChannel(address, client, server_name_override);
    EXPECT_THAT(channel, IsOk());
    if (!channel.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "");
    return CheckHealth(*channel);
  }

  std::string dir_;
  std::string ca_file_;
  std::string other_ca_file_;
  TlsFiles server_;
  TlsFiles client_;
  TlsFiles rogue_client_;
  TlsFiles expired_;
  grpc::CallbackGenericService unimplemented_;
  std::unique_ptr<grpc::Server> server_instance_;
};

// --- mutual TLS: only a client certificate from our CA gets in -----------

TEST_F(TlsTest, MutualTlsAcceptsClientWithCertificateFromTheCa) {
  const std::string address = StartServer(MutualTlsServer());
  EXPECT_TRUE(Call(address, Client(ca_file_, client_)).ok());
}

TEST_F(TlsTest, MutualTlsRefusesClientWithoutCertificate) {
  const std::string address = StartServer(MutualTlsServer());
  EXPECT_EQ(Call(address, Client(ca_file_)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsRefusesClientCertificateFromAnotherCa) {
  const std::string address = StartServer(MutualTlsServer());
  EXPECT_EQ(Call(address, Client(ca_file_, rogue_client_)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsRefusesPlaintextClient) {
  const std::string address = StartServer(MutualTlsServer());
  EXPECT_EQ(CheckHealth(grpc::CreateChannel(address,
                                            grpc::InsecureChannelCredentials()))
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsStillWorksAfterARefusedClient) {
  const std::string address = StartServer(MutualTlsServer());
  EXPECT_EQ(Call(address, Client(ca_file_)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(Call(address, Client(ca_file_, client_)).ok());
}

// --- the client checks the server too -------------------------------------

TEST_F(TlsTest, ClientRefusesServerFromAnUntrustedCa) {
  const std::string address = StartServer(MutualTlsServer());
  EXPECT_EQ(Call(address, Client(other_ca_file_, client_)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, ServerNameOverrideIsCheckedAgainstTheCertificate) {
  const std::string address = StartServer(MutualTlsServer());
  EXPECT_TRUE(Call(address, Client(ca_file_, client_), "localhost").ok());
  EXPECT_EQ(
      Call(address, Client(ca_file_, client_), "authn.elsewhere").error_code(),
      grpc::StatusCode::UNAVAILABLE);
}

// --- server-only TLS --------------------------------------------------------

TEST_F(TlsTest, ServerTlsWithoutClientCertificates) {
  const std::string address = StartServer(server_);
  EXPECT_TRUE(Call(address, Client(ca_file_)).ok());
  // A client certificate nobody asked for does no harm.
  EXPECT_TRUE(Call(address, Client(ca_file_, client_)).ok());
  EXPECT_EQ(CheckHealth(grpc::CreateChannel(address,
                                            grpc::InsecureChannelCredentials()))
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, CaWithoutRequireVerifiesOnlyPresentedCertificates) {
  TlsFiles files = server_;
  files.ca_file = ca_file_;
  files.require_client_cert = false;
  const std::string address = StartServer(files);
  EXPECT_TRUE(Call(address, Client(ca_file_)).ok());
  EXPECT_TRUE(Call(address, Client(ca_file_, client_)).ok());
  EXPECT_EQ(Call(address, Client(ca_file_, rogue_client_)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, AllEmptyIsExplicitPlaintext) {
  EXPECT_TRUE(IsPlaintext(TlsFiles{}));
  const std::string address = StartServer(TlsFiles{});
  EXPECT_TRUE(Call(address, TlsFiles{}).ok());
}

// --- startup validation: INVALID_ARGUMENT naming the file -----------------

TEST_F(TlsTest, MissingFileIsNamed) {
  for (const char* field : {"cert_file", "key_file", "ca_file"}) {
    TlsFiles files = MutualTlsServer();
    const std::string missing = dir_ + "/no-such-file.pem";
    if (std::string(field) == "cert_file") files.cert_file = missing;
    if (std::string(field) == "key_file") files.key_file = missing;
    if (std::string(field) == "ca_file") files.ca_file = missing;
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server =
        ServerCredentialsFrom(files);
    EXPECT_THAT(server, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(server.status().message(),
                AllOf(HasSubstr(field), HasSubstr(missing)));
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> channel =
        ChannelCredentialsFrom(files);
    EXPECT_THAT(channel, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(channel.status().message(), HasSubstr(missing));
  }
}

TEST_F(TlsTest, DirectoryInsteadOfFileIsInvalid) {
  TlsFiles files = MutualTlsServer();
  files.ca_file = dir_;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server =
      ServerCredentialsFrom(files);
  EXPECT_THAT(server, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server.status().message(), HasSubstr("ca_file"));
}

TEST_F(TlsTest, GarbagePemIsNamed) {
  const std::string not_pem = Write("not_pem.pem", "hello, I am not PEM\n");
  const std::string bad_block =
      Write("bad_block.pem",
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
            "-----END CERTIFICATE-----\n");
  for (const std::string& garbage : {not_pem, bad_block}) {
    TlsFiles cert = MutualTlsServer();
    cert.cert_file = garbage;
    EXPECT_THAT(ServerCredentialsFrom(cert),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(ServerCredentialsFrom(cert).status().message(),
                AllOf(HasSubstr("cert_file"), HasSubstr(garbage)));

    TlsFiles key = MutualTlsServer();
    key.key_file = garbage;
    EXPECT_THAT(ServerCredentialsFrom(key).status().message(),
                AllOf(HasSubstr("key_file"), HasSubstr(garbage)));
    EXPECT_THAT(ServerCredentialsFrom(key),
                StatusIs(absl::StatusCode::kInvalidArgument));

    TlsFiles ca = MutualTlsServer();
    ca.ca_file = garbage;
    EXPECT_THAT(ServerCredentialsFrom(ca),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(ChannelCredentialsFrom(ca).status().message(),
                AllOf(HasSubstr("ca_file"), HasSubstr(garbage)));
  }
}

TEST_F(TlsTest, ValidCertificateFollowedByGarbageIsInvalid) {
  std::ifstream good(ca_file_);
  std::string contents((std::istreambuf_iterator<char>(good)),
                       std::istreambuf_iterator<char>());
  TlsFiles files = MutualTlsServer();
  files.ca_file =
      Write("half_good.pem", contents +
                                 "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                 "-----END CERTIFICATE-----\n");
  EXPECT_THAT(ServerCredentialsFrom(files),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(TlsTest, KeyNotMatchingCertificateIsNamedWithoutKeyMaterial) {
  TlsFiles files = MutualTlsServer();
  files.key_file = client_.key_file;  // a valid key, of another certificate
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server =
      ServerCredentialsFrom(files);
  EXPECT_THAT(server, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server.status().message(),
              AllOf(HasSubstr("key_file"), HasSubstr(client_.key_file),
                    HasSubstr(files.cert_file), Not(HasSubstr("PRIVATE")),
                    Not(HasSubstr("-----"))));
  EXPECT_THAT(ChannelCredentialsFrom(files),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(TlsTest, ExpiredCertificateIsRefusedAtStartup) {
  TlsFiles files = expired_;
  files.ca_file = ca_file_;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server =
      ServerCredentialsFrom(files);
  EXPECT_THAT(server, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server.status().message(),
              AllOf(HasSubstr(expired_.cert_file), HasSubstr("expired")));
}

TEST_F(TlsTest, EncryptedKeyIsRefusedWithoutPrompting) {
  TlsFiles files = MutualTlsServer();
  files.key_file = Write("encrypted.key",
                         "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
                         "MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhK\n"
                         "-----END ENCRYPTED PRIVATE KEY-----\n");
  EXPECT_THAT(ServerCredentialsFrom(files),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(TlsTest, IncompleteCombinationsAreInvalid) {
  TlsFiles cert_only;
  cert_only.cert_file = server_.cert_file;
  TlsFiles key_only;
  key_only.key_file = server_.key_file;
  TlsFiles ca_only;
  ca_only.ca_file = ca_file_;
  TlsFiles require_only;
  require_only.require_client_cert = true;
  TlsFiles require_without_ca = server_;
  require_without_ca.require_client_cert = true;

  for (const TlsFiles& files :
       {cert_only, key_only, ca_only, require_only, require_without_ca}) {
    EXPECT_FALSE(IsPlaintext(files));
    EXPECT_THAT(ServerCredentialsFrom(files),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  // Clients never fall back to public roots or to half a key pair.
  for (const TlsFiles& files : {cert_only, key_only, server_}) {
    EXPECT_THAT(ChannelCredentialsFrom(files),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(ChannelCredentialsFrom(ca_only), IsOk());
  EXPECT_THAT(CreateChannel("127.0.0.1:1", TlsFiles{}, "localhost"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Stands in for a generated config message.
struct FakeConfig {
  std::string tls_cert_file() const { return "c.pem"; }
  std::string tls_key_file() const { return "c.key"; }
  std::string tls_ca_file() const { return "ca.pem"; }
  bool tls_require_client_cert() const { return true; }
};

TEST(TlsFilesOfTest, ReadsTheFourConfigFields) {
  const TlsFiles files = TlsFilesOf(FakeConfig{});
  EXPECT_EQ(files.cert_file, "c.pem");
  EXPECT_EQ(files.key_file, "c.key");
  EXPECT_EQ(files.ca_file, "ca.pem");
  EXPECT_TRUE(files.require_client_cert);
}

}  // namespace
}  // namespace bastion::tls
