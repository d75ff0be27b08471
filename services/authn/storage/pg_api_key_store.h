// ApiKeyStore on PostgreSQL (bastion_authn.api_keys). Management calls run
// as the owner in one pipelined principal transaction (row-level security
// shows nothing else); FindBySecretHash runs before any principal is known,
// through the SECURITY DEFINER function bastion_authn.find_api_key, which
// returns only the row holding that hash.
#ifndef BASTION_SERVICES_AUTHN_STORAGE_PG_API_KEY_STORE_H_
#define BASTION_SERVICES_AUTHN_STORAGE_PG_API_KEY_STORE_H_

#include "common/pg/pg_pool.h"
#include "services/authn/storage/api_key_store.h"

namespace bastion::authn::storage {

// Thread-safe; `pool` (connected as bastion_authn_svc) must outlive it.
class PgApiKeyStore final : public ApiKeyStore {
 public:
  explicit PgApiKeyStore(pg::PgPool& pool) : pool_(pool) {}

  absl::StatusOr<ApiKeyRecord> Insert(const ApiKeyOwner& owner,
                                      const NewApiKey& key) override;
  absl::StatusOr<std::vector<ApiKeyRecord>> List(
      const ApiKeyOwner& owner, const ApiKeyListQuery& query) override;
  absl::StatusOr<ApiKeyRecord> Revoke(const ApiKeyOwner& owner,
                                      const std::string& key_id,
                                      absl::Time now) override;
  absl::StatusOr<ApiKeyRecord> Rotate(const ApiKeyOwner& owner,
                                      const std::string& key_id,
                                      const std::string& new_secret_hash,
                                      const std::string& new_display_prefix,
                                      absl::Time now,
                                      absl::Time previous_expires_at) override;
  absl::StatusOr<std::optional<ApiKeyMatch>> FindBySecretHash(
      const std::string& secret_hash) override;

 private:
  pg::PgPool& pool_;
};

}  // namespace bastion::authn::storage

#endif  // BASTION_SERVICES_AUTHN_STORAGE_PG_API_KEY_STORE_H_
