// The bastion command line end to end within one process: help at every
// level exits 0, malformed lines exit 2, errors get their exit codes and
// colour only on a terminal, and login stores only what authn accepts (a
// small in-process authn fake stands in for the real one; the integration
// test drives the real suite).
#include "tools/cli/cli.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bastion/authn/v1/authn.grpc.pb.h"
#include "common/clock/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli/exit_codes.h"

namespace bastion::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kGoodToken[] = "good.token.sig";

// authn's Authenticate as far as login needs it: kGoodToken is alice of
// tenant t1; a token whose claims are readable JSON is whoever its `sub`
// and `tenant_id` say (for minted development tokens); anything else is
// refused like authn refuses it.
class FakeAuthn final : public bastion::authn::v1::Authn::Service {
 public:
  grpc::Status Authenticate(
      grpc::ServerContext*,
      const bastion::authn::v1::AuthenticateRequest* request,
      bastion::authn::v1::AuthenticateResponse* response) override {
    seen.push_back(request->credential());
    bastion::common::v1::Principal* principal = response->mutable_principal();
    principal->set_credential_kind(bastion::common::v1::CREDENTIAL_KIND_JWT);
    principal->set_expires_at_unix(1900000000);
    if (request->credential() == kGoodToken) {
      principal->set_subject("alice");
      principal->set_tenant_id("t1");
      return grpc::Status::OK;
    }
    std::vector<std::string> parts = absl::StrSplit(request->credential(), '.');
    std::string claims_text;
    if (parts.size() == 3 &&
        absl::WebSafeBase64Unescape(parts[1], &claims_text)) {
      const nlohmann::json claims =
          nlohmann::json::parse(claims_text, nullptr, false);
      if (claims.is_object() && claims.contains("sub")) {
        principal->set_subject(claims["sub"].get<std::string>());
        principal->set_tenant_id(claims.value("tenant_id", "default"));
        for (const auto& role :
             claims.value("roles", nlohmann::json::array())) {
          principal->add_roles(role.get<std::string>());
        }
        return grpc::Status::OK;
      }
    }
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "invalid credential");
  }

  std::vector<std::string> seen;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        std::string(std::getenv("TEST_TMPDIR")) + "/cli.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    config_dir_ = pattern;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&authn_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  // Runs one command line with `input` on standard input; the authn fake
  // serves authn, nothing serves the others.
  int Run(std::vector<std::string> args, const std::string& input = "") {
    out_.str("");
    err_.str("");
    in_.str(input);
    in_.clear();
    terminal_.out = &out_;
    terminal_.err = &err_;
    terminal_.in = &in_;
    terminal_.clock = &clock_;
    terminal_.env["BASTION_CONFIG_DIR"] = config_dir_;
    args.insert(
        args.begin(),
        {"--authn-addr", "127.0.0.1:" + std::to_string(port_), "--data-addr",
         "127.0.0.1:1", "--runs-addr", "127.0.0.1:1", "--timeout", "5s"});
    return RunCli(args, terminal_);
  }

  std::string CredentialsPath() const { return config_dir_ + "/credentials"; }

  bool Stored() const {
    struct stat info {};
    return stat(CredentialsPath().c_str(), &info) == 0;
  }

  FakeAuthn authn_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string config_dir_;
  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  Terminal terminal_;
  std::ostringstream out_;
  std::ostringstream err_;
  std::istringstream in_;
};

TEST(CommandTableTest, IsWellFormed) {
  const CommandTable& table = Commands();
  std::set<std::string> groups;
  for (const CommandGroup& group : table.groups) {
    EXPECT_TRUE(groups.insert(group.name).second) << group.name;
    EXPECT_FALSE(group.summary.empty()) << group.name;
  }
  std::set<std::string> global;
  for (const FlagSpec& flag : GlobalFlags()) global.insert(flag.name);
  std::set<std::string> paths;
  std::set<std::string> used_groups;
  for (const Command& command : table.commands) {
    const std::string path = absl::StrJoin(command.path, " ");
    EXPECT_TRUE(paths.insert(path).second) << path;
    EXPECT_FALSE(command.summary.empty()) << path;
    EXPECT_TRUE(command.run) << path;
    ASSERT_GE(command.path.size(), 1u);
    ASSERT_LE(command.path.size(), 2u);
    // A two-word command belongs to a declared group; a one-word command is
    // not also a group.
    EXPECT_EQ(groups.count(command.path[0]) == 1, command.path.size() == 2)
        << path;
    if (command.path.size() == 2) used_groups.insert(command.path[0]);
    std::set<std::string> own;
    for (const FlagSpec& flag : command.flags) {
      EXPECT_TRUE(own.insert(flag.name).second) << path << " --" << flag.name;
      EXPECT_EQ(global.count(flag.name), 0u) << path << " --" << flag.name;
      EXPECT_NE(flag.name, "help") << path;
      EXPECT_FALSE(flag.help.empty()) << path << " --" << flag.name;
      EXPECT_EQ(flag.kind == FlagKind::kSwitch, flag.value_name.empty())
          << path;
    }
  }
  EXPECT_EQ(used_groups, groups);
}

TEST_F(CliTest, EveryCommandAndGroupAnswersHelpWithExitZero) {
  for (const Command& command : Commands().commands) {
    std::vector<std::string> line = command.path;
    line.push_back("--help");
    EXPECT_EQ(Run(line), kExitOk) << absl::StrJoin(line, " ");
    EXPECT_THAT(out_.str(), HasSubstr("Usage:\n  bastion " +
                                      absl::StrJoin(command.path, " ")));
    for (const FlagSpec& flag : command.flags)
      EXPECT_THAT(out_.str(), HasSubstr("--" + flag.name));
    line = command.path;
    line.insert(line.begin(), "help");
    EXPECT_EQ(Run(line), kExitOk) << absl::StrJoin(line, " ");
    line = command.path;
    line.push_back("-h");
    EXPECT_EQ(Run(line), kExitOk) << absl::StrJoin(line, " ");
  }
  for (const CommandGroup& group : Commands().groups) {
    EXPECT_EQ(Run({group.name, "--help"}), kExitOk) << group.name;
    EXPECT_THAT(out_.str(), HasSubstr("\n  " + group.name + " list "));
  }
  EXPECT_EQ(Run({"--help"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("Exit codes:"));
  EXPECT_EQ(Run({"help"}), kExitOk);
  EXPECT_FALSE(Stored());
}

TEST_F(CliTest, HelpWinsOverOtherwiseBrokenArguments) {
  EXPECT_EQ(Run({"sessions", "show", "--bogus", "--help"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("SESSION_ID"));
}

TEST_F(CliTest, MalformedCommandLinesExitWithTwo) {
  EXPECT_EQ(Run({}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("bastion --help"));
  EXPECT_EQ(Run({"frob"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("unknown command 'frob'"));
  EXPECT_EQ(Run({"sessions"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("\n  sessions list "));
  EXPECT_EQ(Run({"sessions", "frob"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("unknown command 'sessions frob'"));
  EXPECT_EQ(Run({"sessions", "list", "--bogus"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("unknown flag --bogus"));
  EXPECT_THAT(err_.str(), HasSubstr("bastion sessions list --help"));
  EXPECT_EQ(Run({"sessions", "show"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("missing SESSION_ID"));
  EXPECT_EQ(Run({"sessions", "list", "--limit", "0"}), kExitUsage);
  EXPECT_EQ(Run({"sessions", "list", "--component-type", "robot"}), kExitUsage);
  EXPECT_EQ(Run({"sessions", "create", "--component-id", "echo"}), kExitUsage);
  EXPECT_EQ(Run({"memories", "create"}), kExitUsage);
  EXPECT_EQ(Run({"keys", "create", "--scope", "agents:read"}), kExitUsage);
  EXPECT_EQ(Run({"--timeout", "soon", "agents", "list"}, ""), kExitUsage);
  EXPECT_EQ(Run({"agents", "list", "--addr", "a:1", "--addr", "b:2"}),
            kExitUsage);
}

TEST_F(CliTest, WithJsonErrorsAreJsonOnStderr) {
  EXPECT_EQ(Run({"--json", "frob"}), kExitUsage);
  const nlohmann::json error = nlohmann::json::parse(err_.str());
  EXPECT_EQ(error["error"]["code"], "USAGE");
  EXPECT_EQ(error["error"]["exit_code"], 2);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(Run({"--json", "frob\xff"}),
            kExitUsage);  // not UTF-8: replaced, no crash
  EXPECT_EQ(nlohmann::json::parse(err_.str())["error"]["code"], "USAGE");
  EXPECT_EQ(Run({"sessions", "list", "--json"}), kExitUnauthenticated);
  EXPECT_EQ(nlohmann::json::parse(err_.str())["error"]["code"],
            "UNAUTHENTICATED");
}

TEST_F(CliTest, WithoutACredentialCommandsExitWithThree) {
  EXPECT_EQ(Run({"sessions", "list"}), kExitUnauthenticated);
  EXPECT_THAT(err_.str(), HasSubstr("bastion login"));
  terminal_.env["BASTION_TOKEN"] = "not a credential";
  EXPECT_EQ(Run({"agents", "list"}), kExitUnauthenticated);
  EXPECT_THAT(err_.str(), HasSubstr("BASTION_TOKEN"));
  EXPECT_THAT(err_.str(), Not(HasSubstr("not a credential")));
}

TEST_F(CliTest, ACredentialsFileOthersMayReadIsRefusedWithSix) {
  ASSERT_EQ(Run({"login"}, std::string(kGoodToken) + "\n"), kExitOk);
  ASSERT_EQ(chmod(CredentialsPath().c_str(), 0644), 0);
  EXPECT_EQ(Run({"whoami"}), kExitInvalid);
  EXPECT_THAT(err_.str(), HasSubstr("chmod 600"));
  EXPECT_THAT(err_.str(), Not(HasSubstr(kGoodToken)));
}

TEST_F(CliTest, ErrorsAreColouredOnlyOnATerminalWithoutNoColor) {
  terminal_.err_is_tty = false;
  Run({"frob"});
  EXPECT_THAT(err_.str(), StartsWith("error: "));
  terminal_.err_is_tty = true;
  terminal_.env["TERM"] = "xterm";
  Run({"frob"});
  EXPECT_THAT(err_.str(), StartsWith("\x1b[31merror:\x1b[0m "));
  Run({"frob", "--no-color"});
  EXPECT_THAT(err_.str(), StartsWith("error: "));
  terminal_.env["NO_COLOR"] = "1";
  Run({"frob"});
  EXPECT_THAT(err_.str(), StartsWith("error: "));
}

TEST_F(CliTest, LoginStoresAPastedCredentialAuthnAccepts) {
  EXPECT_EQ(Run({"login"}, std::string("  ") + kGoodToken + "\n"), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("Logged in as alice (tenant t1)"));
  EXPECT_EQ(authn_.seen.back(), kGoodToken);
  struct stat info {};
  ASSERT_EQ(stat(CredentialsPath().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::ifstream file(CredentialsPath());
  const nlohmann::json stored = nlohmann::json::parse(file);
  EXPECT_EQ(stored["credential"], kGoodToken);
  EXPECT_EQ(stored["subject"], "alice");

  EXPECT_EQ(Run({"whoami", "--json"}), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out_.str())["subject"], "alice");
  EXPECT_EQ(authn_.seen.back(), kGoodToken);
}

TEST_F(CliTest, LoginStoresNothingAuthnRefusesOrThatIsNoCredential) {
  EXPECT_EQ(Run({"login"}, "forged.token.sig\n"), kExitUnauthenticated);
  EXPECT_FALSE(Stored());
  EXPECT_EQ(Run({"login"}, "hunter2\n"), kExitInvalid);
  EXPECT_THAT(err_.str(), Not(HasSubstr("hunter2")));
  EXPECT_EQ(Run({"login"}, ""), kExitInvalid);
  EXPECT_FALSE(Stored());
  EXPECT_EQ(authn_.seen.size(),
            1u);  // malformed pastes never leave the machine
}

TEST_F(CliTest, OnATerminalTheCredentialIsReadWithoutEcho) {
  std::string prompt;
  terminal_.in_is_tty = true;
  terminal_.read_secret =
      [&](const std::string& shown) -> absl::StatusOr<std::string> {
    prompt = shown;
    return std::string(kGoodToken);
  };
  EXPECT_EQ(Run({"login"}, "ignored: not read from the stream\n"), kExitOk);
  EXPECT_THAT(prompt, HasSubstr("Paste a token or API key"));
  EXPECT_EQ(authn_.seen.back(), kGoodToken);
}

TEST_F(CliTest, LoginWithTheDevKeyMintsATokenForTheNamedUser) {
  const std::string key_path = config_dir_ + "/dev.private.pem";
  {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), EVP_PKEY_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_file(key_path.c_str(), "w"), BIO_free);
    ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr,
                                       0, nullptr, nullptr),
              1);
  }
  EXPECT_EQ(Run({"login", "--dev-key", key_path, "--sub", "dana", "--tenant",
                 "acme", "--role", "member", "--json"}),
            kExitOk)
      << err_.str();
  const nlohmann::json principal = nlohmann::json::parse(out_.str());
  EXPECT_EQ(principal["subject"], "dana");
  EXPECT_EQ(principal["tenantId"], "acme");
  EXPECT_EQ(principal["roles"], nlohmann::json({"member"}));
  std::vector<std::string> parts = absl::StrSplit(authn_.seen.back(), '.');
  std::string header;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[0], &header));
  EXPECT_EQ(nlohmann::json::parse(header)["kid"],
            "dev");  // from dev.private.pem
  EXPECT_EQ(nlohmann::json::parse(header)["alg"], "EdDSA");
  EXPECT_TRUE(Stored());

  EXPECT_EQ(Run({"login", "--dev-key", key_path}), kExitUsage);  // no --sub
  EXPECT_EQ(Run({"login", "--sub", "dana"}), kExitUsage);        // no --dev-key
  EXPECT_EQ(
      Run({"login", "--dev-key", config_dir_ + "/missing.pem", "--sub", "x"}),
      kExitInvalid);
}

TEST_F(CliTest, LogoutForgetsTheCredential) {
  ASSERT_EQ(Run({"login"}, kGoodToken), kExitOk);
  EXPECT_EQ(Run({"logout"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("Logged out"));
  EXPECT_FALSE(Stored());
  EXPECT_EQ(Run({"logout"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("Not logged in."));
  EXPECT_EQ(Run({"whoami"}), kExitUnauthenticated);
}

TEST_F(CliTest, BastionTokenTakesPrecedenceOverTheStoredCredential) {
  ASSERT_EQ(Run({"login"}, "x.eyJzdWIiOiJzdG9yZWQifQ.s"),
            kExitOk);  // {"sub":"stored"}
  terminal_.env["BASTION_TOKEN"] = kGoodToken;
  EXPECT_EQ(Run({"whoami"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("alice"));
  EXPECT_EQ(authn_.seen.back(), kGoodToken);
}

TEST_F(CliTest, AnUnreachableServiceExitsWithSeven) {
  terminal_.env["BASTION_TOKEN"] = kGoodToken;
  EXPECT_EQ(Run({"sessions", "list"}), kExitUnavailable);
  EXPECT_THAT(err_.str(), HasSubstr("cannot reach data at 127.0.0.1:1"));
}

}  // namespace
}  // namespace bastion::cli
