// Builds authn's database backend from its configuration: a connection pool
// on authn's own database, the PostgreSQL key store and the key manager, and
// the PostgreSQL delegation store.
#ifndef BASTION_SERVICES_AUTHN_API_KEY_BACKEND_H_
#define BASTION_SERVICES_AUTHN_API_KEY_BACKEND_H_

#include <memory>

#include "absl/status/statusor.h"
#include "bastion/authn/v1/authn_config.pb.h"
#include "common/clock/clock.h"
#include "common/pg/pg_pool.h"
#include "services/authn/api_key_manager.h"
#include "services/authn/storage/pg_api_key_store.h"
#include "services/authn/storage/pg_delegation_store.h"

namespace bastion::authn {

// Owns the pieces; `manager()` is null when no database is configured.
// Thread-safe once built.
class ApiKeyBackend {
 public:
  // No database_url: an empty backend (authn serves JWTs only).
  // INVALID_ARGUMENT for a pool size outside 0..100. Connects lazily, so a
  // database that is down makes API key calls UNAVAILABLE, not startup fail.
  static absl::StatusOr<std::unique_ptr<ApiKeyBackend>> FromConfig(
      const v1::AuthnConfig& config, const Clock* clock);

  const ApiKeyManager* manager() const { return manager_.get(); }
  // Null when no database is configured.
  storage::DelegationStore* delegation_store() const {
    return delegations_.get();
  }

 private:
  ApiKeyBackend() = default;

  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<storage::PgApiKeyStore> store_;
  std::unique_ptr<ApiKeyManager> manager_;
  std::unique_ptr<storage::PgDelegationStore> delegations_;
};

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_API_KEY_BACKEND_H_
