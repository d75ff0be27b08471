// authn: verifies JWTs and API keys, signs principal assertions, manages
// API keys (when a database is configured) and serves its public keys.
#include "bastion/authn/v1/authn_config.pb.h"
#include "common/assertion/local_authenticator.h"
#include "common/auth/guard_wiring.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/server/server.h"
#include "common/status/status_macros.h"
#include "services/authn/agentos_env.h"
#include "services/authn/api_key_backend.h"
#include "services/authn/authn_options.h"
#include "services/authn/authn_service.h"
#include "services/authn/delegation_manager.h"
#include "services/authn/delegations_service.h"
#include "services/authn/key_sources.h"

namespace bastion::authn {
namespace {

absl::Status Run(const std::string& config_path) {
  v1::AuthnConfig config;
  RETURN_IF_ERROR(LoadConfig(config_path, "BASTION_",
                             WithAgentOsAliases(ProcessEnv()), &config));
  const Clock* clock = SystemClock::Get();
  ASSIGN_OR_RETURN(jwt::JwtVerifierOptions options,
                   VerifierOptionsFrom(config));
  ASSIGN_OR_RETURN(absl::Duration assertion_ttl, AssertionTtlFrom(config));
  ASSIGN_OR_RETURN(absl::Duration api_key_assertion_ttl,
                   ApiKeyAssertionTtlFrom(config, assertion_ttl));
  ASSIGN_OR_RETURN(std::unique_ptr<ApiKeyBackend> api_keys,
                   ApiKeyBackend::FromConfig(config, clock));
  ASSIGN_OR_RETURN(std::shared_ptr<jwt::KeySource> keys,
                   LoadKeySource(config, clock));
  ASSIGN_OR_RETURN(
      std::unique_ptr<jwt::JwtVerifier> verifier,
      jwt::JwtVerifier::Create(
          options, std::move(keys), clock,
          std::make_shared<jwt::VerifiedTokenCache>(
              config.token_cache_capacity() > 0 ? config.token_cache_capacity()
                                                : 100000)));
  if (config.assertion_key_file().empty()) {
    return absl::InvalidArgumentError("assertion_key_file: required");
  }
  ASSIGN_OR_RETURN(
      assertion::AssertionSigner signer,
      assertion::AssertionSigner::LoadOrGenerate(config.assertion_key_file()));
  const std::string audience = AudienceOrDefault(config.assertion_audience());
  CredentialAuthenticator authenticator(
      std::move(verifier), &signer, audience, assertion_ttl, clock,
      api_keys->manager(), api_key_assertion_ttl);

  // Our own assertions verify with our own key; decisions come from authz.
  ASSIGN_OR_RETURN(std::unique_ptr<AssertionAuthenticator> assertions,
                   OwnAssertions(signer, audience));
  LocalGuardParts local;
  local.authenticator = &authenticator;
  local.assertions = assertions.get();
  ASSIGN_OR_RETURN(std::unique_ptr<GuardWiring> wiring,
                   GuardWiring::FromConfig(config, "authn", local));
  ASSIGN_OR_RETURN(CallGuard guard,
                   CallGuard::Create(v1::Authn::service_full_name(),
                                     wiring->dependencies()));
  AuthnService service(&authenticator, &signer, api_keys->manager(),
                       std::move(guard));
  ASSIGN_OR_RETURN(DelegationOptions delegation_options,
                   DelegationOptionsFrom(config));
  std::unique_ptr<DelegationManager> delegations;
  if (api_keys->delegation_store() != nullptr) {
    delegations = std::make_unique<DelegationManager>(
        api_keys->delegation_store(), &signer, audience,
        std::move(delegation_options), clock);
  }
  ASSIGN_OR_RETURN(CallGuard delegation_guard,
                   CallGuard::Create(v1::Delegations::service_full_name(),
                                     wiring->dependencies()));
  DelegationsService delegations_service(delegations.get(),
                                         std::move(delegation_guard));

  const ServerOptions server_options =
      ServerOptionsFrom(config, wiring->server_credentials());
  ASSIGN_OR_RETURN(std::unique_ptr<RunningServer> server,
                   StartServer(server_options,
                               {{&service, v1::Authn::service_full_name()},
                                {&delegations_service,
                                 v1::Delegations::service_full_name()}}));
  ServeUntilSignal(*server);
  return absl::OkStatus();
}

}  // namespace
}  // namespace bastion::authn

int main(int argc, char** argv) {
  bastion::SetLogService("authn");
  absl::Status status = bastion::authn::Run(argc > 1 ? argv[1] : "");
  if (!status.ok()) {
    bastion::Log(bastion::LogLevel::kError, "startup_failed",
                 {{"error", status.ToString()}});
    return 1;
  }
  return 0;
}
