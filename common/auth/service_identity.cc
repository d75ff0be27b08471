#include "common/auth/service_identity.h"

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace bastion {
namespace {

constexpr absl::Duration kServiceAssertionLifetime = absl::Minutes(5);
constexpr absl::Duration kRenewBefore = absl::Minutes(1);

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceIdentity>> ServiceIdentity::LoadOrGenerate(
    const std::string& key_file, const std::string& service_name) {
  if (service_name.empty()) {
    return absl::InvalidArgumentError("service identity needs a name");
  }
  ASSIGN_OR_RETURN(assertion::AssertionSigner signer,
                   assertion::AssertionSigner::LoadOrGenerate(key_file));
  return std::unique_ptr<ServiceIdentity>(
      new ServiceIdentity(std::move(signer), service_name));
}

absl::StatusOr<std::string> ServiceIdentity::Assertion(absl::Time now) {
  absl::MutexLock lock(&mutex_);
  if (cached_expiry_ - now > kRenewBefore) return cached_;
  const absl::Time issued = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
  common::v1::Principal principal;
  principal.set_tenant_id(kServiceTenant);
  principal.set_subject(absl::StrCat(kServiceSubjectPrefix, name_));
  principal.set_credential_kind(common::v1::CREDENTIAL_KIND_SERVICE);
  principal.set_issuer(absl::StrCat(kServiceSubjectPrefix, name_));
  ASSIGN_OR_RETURN(cached_,
                   signer_.Sign(principal, {kDefaultAudience}, issued,
                                issued + kServiceAssertionLifetime));
  cached_expiry_ = issued + kServiceAssertionLifetime;
  return cached_;
}

absl::Status ForwardCaller(const Caller& caller, grpc::ClientContext* context) {
  if (caller.assertion.empty()) {
    return absl::FailedPreconditionError("caller has no assertion to forward");
  }
  context->AddMetadata(kPrincipalMetadataKey, caller.assertion);
  return absl::OkStatus();
}

}  // namespace bastion
