#include "services/authn/api_key_backend.h"

#include "common/log/log.h"

namespace bastion::authn {

absl::StatusOr<std::unique_ptr<ApiKeyBackend>> ApiKeyBackend::FromConfig(
    const v1::AuthnConfig& config, const Clock* clock) {
  std::unique_ptr<ApiKeyBackend> backend(new ApiKeyBackend());
  if (config.database_pool_size() < 0 || config.database_pool_size() > 100) {
    return absl::InvalidArgumentError("database_pool_size: must be 0..100");
  }
  if (config.database_url().empty()) {
    Log(LogLevel::kWarning, "api_keys_disabled",
        {{"reason", "no database_url; JWTs only"}});
    return backend;
  }
  pg::PgPoolOptions options;
  options.conninfo = config.database_url();
  if (config.database_pool_size() > 0) {
    options.max_size = config.database_pool_size();
  }
  backend->pool_ = std::make_unique<pg::PgPool>(options);
  backend->store_ = std::make_unique<storage::PgApiKeyStore>(*backend->pool_);
  backend->delegations_ =
      std::make_unique<storage::PgDelegationStore>(*backend->pool_);
  backend->manager_ =
      std::make_unique<ApiKeyManager>(backend->store_.get(), clock);
  return backend;
}

}  // namespace bastion::authn
