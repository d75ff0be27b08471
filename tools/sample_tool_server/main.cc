// sample_tool_server: a small external tool server (bastion.runs.v1.
// ToolService) for demos and tests. See README.md for its tools and flags.
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/assertion/local_authenticator.h"
#include "common/auth/channel_factory.h"
#include "common/auth/guard_wiring.h"
#include "common/auth/remote_assertion_keys.h"
#include "common/auth/trusted_services.h"
#include "common/log/log.h"
#include "common/server/server.h"
#include "common/status/status_macros.h"
#include "tools/sample_tool_server/sample_tool_service.h"

ABSL_FLAG(std::string, listen_address, "127.0.0.1:7005",
          "host:port to listen on (port 0 picks a free port)");
ABSL_FLAG(std::string, port_file, "", "write the chosen port here");
ABSL_FLAG(std::string, trusted_services_file, "",
          "required: the services allowed to call (service_identity init "
          "writes it)");
ABSL_FLAG(std::string, authn_address, "",
          "authn, whose GetAssertionKeys verify forwarded user assertions");
ABSL_FLAG(std::string, assertion_keys_file, "",
          "instead of authn_address: a JSON GetAssertionKeysResponse with "
          "authn's assertion keys");
ABSL_FLAG(std::string, audience, bastion::kDefaultAudience,
          "audience expected in user assertions");
ABSL_FLAG(std::string, count_file, "",
          "rewritten after every counted call with {\"counts\": {tool: n}, "
          "\"total\": n}");

namespace bastion::sample {
namespace {

absl::StatusOr<std::shared_ptr<assertion::KeyProvider>> UserKeys() {
  const std::string authn = absl::GetFlag(FLAGS_authn_address);
  const std::string file = absl::GetFlag(FLAGS_assertion_keys_file);
  if (authn.empty() == file.empty()) {
    return absl::InvalidArgumentError(
        "give exactly one of --authn_address and --assertion_keys_file: "
        "forwarded user assertions must be verified");
  }
  if (!authn.empty()) {
    return std::shared_ptr<assertion::KeyProvider>(
        std::make_shared<RemoteAssertionKeyProvider>(
            ChannelFactory(/*credentials=*/nullptr, /*identity=*/nullptr)
                .AnonymousChannel(authn),
            kAssertionKeyRefresh, kAssertionKeyRefetch, SystemClock::Get()));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const assertion::KeySet> keys,
                   LoadAssertionKeysFile(file));
  return std::shared_ptr<assertion::KeyProvider>(
      std::make_shared<assertion::StaticKeyProvider>(std::move(keys)));
}

absl::Status Run() {
  if (absl::GetFlag(FLAGS_trusted_services_file).empty()) {
    return absl::InvalidArgumentError(
        "--trusted_services_file is required: ToolService is internal, only "
        "trusted Bastion services may call it");
  }
  // Each trusted service may call the ToolService methods listed for it.
  ASSIGN_OR_RETURN(
      std::unique_ptr<TrustedServices> services,
      TrustedServices::Load(absl::GetFlag(FLAGS_trusted_services_file)));
  ASSIGN_OR_RETURN(std::shared_ptr<assertion::KeyProvider> user_keys, UserKeys());
  assertion::LocalAssertionAuthenticator users(
      std::make_shared<const assertion::AssertionVerifier>(
          std::move(user_keys), SystemClock::Get(),
          absl::GetFlag(FLAGS_audience)));

  GuardDependencies dependencies;
  dependencies.services = services.get();
  ASSIGN_OR_RETURN(CallGuard guard,
                   CallGuard::Create(runs::v1::ToolService::service_full_name(),
                                     dependencies));
  const std::string count_file = absl::GetFlag(FLAGS_count_file);
  SampleTools tools(
      count_file.empty()
          ? std::function<void(const std::map<std::string, int64_t>&)>()
          : [count_file](const std::map<std::string, int64_t>& counts) {
              WriteCountFile(count_file, counts);
            });
  SampleToolService service(std::move(guard), &users, &tools);

  ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen_address);
  options.port_file = absl::GetFlag(FLAGS_port_file);
  ASSIGN_OR_RETURN(
      std::unique_ptr<RunningServer> server,
      StartServer(options,
                  {{&service, runs::v1::ToolService::service_full_name()}}));
  ServeUntilSignal(*server);
  return absl::OkStatus();
}

}  // namespace
}  // namespace bastion::sample

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "sample_tool_server --trusted_services_file=FILE "
      "(--authn_address=HOST:PORT | --assertion_keys_file=FILE) [flags]");
  absl::ParseCommandLine(argc, argv);
  bastion::SetLogService("sample_tool_server");
  absl::Status status = bastion::sample::Run();
  if (!status.ok()) {
    bastion::Log(bastion::LogLevel::kError, "startup_failed",
                 {{"error", status.ToString()}});
    return 1;
  }
  return 0;
}
