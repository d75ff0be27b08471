// The optional parts of a service's call guard that every service configures
// the same way: its service identity, the services it trusts, rate limits,
// and the audit sink that sends its denials to data's AuditWriter.
#ifndef BASTION_COMMON_AUTH_GUARD_EXTRAS_H_
#define BASTION_COMMON_AUTH_GUARD_EXTRAS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/auth/audit_sink.h"
#include "common/auth/call_guard.h"
#include "common/auth/rate_limiter.h"
#include "common/auth/remote_audit.h"
#include "common/auth/service_identity.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "common/tls/tls_config.h"

namespace bastion {

// Owns what dependencies() points to. Not copyable.
class GuardExtras {
 public:
  // Reads `service_key_file`, `trusted_services_file`, `data_address` and
  // `rate_limits` of a service config message. Denials are audited only
  // with both a key and a data address (data must trust the key).
  template <typename Config>
  static absl::StatusOr<std::unique_ptr<GuardExtras>> FromConfig(
      const Config& config, const std::string& service_name,
      const tls::ServiceCredentials& credentials) {
    std::unique_ptr<GuardExtras> extras(new GuardExtras());
    if (!config.service_key_file().empty()) {
      ASSIGN_OR_RETURN(extras->identity_,
                       ServiceIdentity::LoadOrGenerate(config.service_key_file(),
                                                       service_name));
    }
    if (!config.trusted_services_file().empty()) {
      ASSIGN_OR_RETURN(std::shared_ptr<const assertion::KeySet> trusted,
                       LoadTrustedServices(config.trusted_services_file()));
      ASSIGN_OR_RETURN(extras->services_,
                       MakeServiceVerifier(std::move(trusted)));
    }
    if (!config.rate_limits().disabled()) {
      ASSIGN_OR_RETURN(extras->rate_limiter_,
                       TokenBucketLimiter::Create(config.rate_limits(),
                                                  SystemClock::Get()));
    }
    if (extras->identity_ != nullptr && !config.data_address().empty()) {
      extras->audit_ = std::make_unique<QueuedAuditSink>(
          RemoteAuditWriter(ServiceChannel(config.data_address(),
                                           credentials.channels,
                                           extras->identity_.get())));
    } else {
      Log(LogLevel::kWarning, "denials_not_audited",
          {{"detail", "set service_key_file and data_address to append "
                      "denials to the audit log; they are only logged"}});
    }
    return extras;
  }

  // Sets the rate limiter and the audit sink of `dependencies`, and the
  // trusted services when a file was configured.
  void AddTo(GuardDependencies* dependencies) const {
    dependencies->rate_limiter = rate_limiter_.get();
    dependencies->audit = audit_.get();
    if (services_ != nullptr) dependencies->services = services_.get();
  }

  // The identity, or INVALID_ARGUMENT naming service_key_file and `why` it
  // is needed (startup refuses to go on without it).
  absl::StatusOr<ServiceIdentity*> RequiredIdentity(
      absl::string_view why) const {
    if (identity_ == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("service_key_file: required (", why, ")"));
    }
    return identity_.get();
  }

  // Null without a service_key_file.
  ServiceIdentity* identity() const { return identity_.get(); }

 private:
  GuardExtras() = default;

  std::unique_ptr<ServiceIdentity> identity_;
  std::unique_ptr<AssertionAuthenticator> services_;
  std::unique_ptr<TokenBucketLimiter> rate_limiter_;
  std::unique_ptr<QueuedAuditSink> audit_;  // destroyed first: uses identity_
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_GUARD_EXTRAS_H_
