// service_identity: manages the keys with which Bastion services prove to
// each other that a call comes from a service (internal RPCs).
//
//   service_identity init DIR NAME...
//       creates DIR/NAME.pem for each service (kept if present) and writes
//       DIR/trusted_services.json: each service's public key with the
//       methods it may call (suite_grants.h), what receivers load as
//       trusted_services_file. A NAME without grants is refused.
//   service_identity assertion KEY_FILE NAME
//       prints a fresh service assertion, base64 (for tests and debugging)
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "bastion/common/v1/common.pb.h"
#include "common/auth/service_identity.h"
#include "common/auth/trusted_services.h"
#include "tools/service_identity/suite_grants.h"
#include "google/protobuf/util/json_util.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "service_identity: " << status << "\n";
  return 1;
}

int Init(const std::string& dir, const std::vector<std::string>& names) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Fail(absl::InvalidArgumentError("cannot create " + dir));
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, error);
  bastion::common::v1::TrustedServices trusted;
  for (const std::string& name : names) {
    auto grants = bastion::service_identity::SuiteGrants().find(name);
    if (grants == bastion::service_identity::SuiteGrants().end()) {
      return Fail(absl::InvalidArgumentError(
          "no grants for service \"" + name +
          "\" (tools/service_identity/suite_grants.cc)"));
    }
    absl::StatusOr<std::vector<std::string>> methods =
        bastion::service_identity::ExpandGrants(grants->second);
    if (!methods.ok()) return Fail(methods.status());
    absl::StatusOr<std::unique_ptr<bastion::ServiceIdentity>> identity =
        bastion::ServiceIdentity::LoadOrGenerate(dir + "/" + name + ".pem", name);
    if (!identity.ok()) return Fail(identity.status());
    *trusted.add_services() =
        bastion::TrustedServiceOf(**identity, *std::move(methods));
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  if (!google::protobuf::util::MessageToJsonString(trusted, &json, options).ok()) {
    return Fail(absl::InternalError("cannot render trusted services"));
  }
  const std::string path = dir + "/trusted_services.json";
  std::ofstream out(path + ".tmp", std::ios::trunc);
  out << json;
  out.close();
  if (!out || std::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
    return Fail(absl::InternalError("cannot write " + path));
  }
  std::cout << path << "\n";
  return 0;
}

int PrintAssertion(const std::string& key_file, const std::string& name) {
  absl::StatusOr<std::unique_ptr<bastion::ServiceIdentity>> identity =
      bastion::ServiceIdentity::LoadOrGenerate(key_file, name);
  if (!identity.ok()) return Fail(identity.status());
  absl::StatusOr<std::string> assertion = (*identity)->Assertion(absl::Now());
  if (!assertion.ok()) return Fail(assertion.status());
  std::cout << absl::Base64Escape(*assertion) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 3 && args[0] == "init") {
    return Init(args[1], std::vector<std::string>(args.begin() + 2, args.end()));
  }
  if (args.size() == 3 && args[0] == "assertion") {
    return PrintAssertion(args[1], args[2]);
  }
  std::cerr << "usage: service_identity init DIR NAME... | "
               "service_identity assertion KEY_FILE NAME\n";
  return 2;
}
