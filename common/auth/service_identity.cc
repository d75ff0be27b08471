#include "common/auth/service_identity.h"

#include <vector>

#include <grpcpp/support/client_interceptor.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bastion/authn/v1/authn.pb.h"
#include "common/assertion/verifier.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace bastion {
namespace {

constexpr absl::Duration kServiceAssertionLifetime = absl::Minutes(5);
constexpr absl::Duration kRenewBefore = absl::Minutes(1);

// Accepts only service principals; user assertions signed by a trusted key
// would be a misuse of that key.
class ServiceVerifier final : public AssertionAuthenticator {
 public:
  explicit ServiceVerifier(std::shared_ptr<const assertion::KeySet> trusted)
      : verifier_(std::make_shared<assertion::StaticKeyProvider>(trusted),
                  SystemClock::Get(), kDefaultAudience) {}

  absl::StatusOr<common::v1::Principal> Verify(
      absl::string_view serialized) override {
    ASSIGN_OR_RETURN(common::v1::Principal principal,
                     verifier_.Verify(serialized));
    if (principal.credential_kind() != common::v1::CREDENTIAL_KIND_SERVICE ||
        principal.tenant_id() != kServiceTenant ||
        !absl::StartsWith(principal.subject(), kServiceSubjectPrefix)) {
      return absl::UnauthenticatedError("not a service principal");
    }
    return principal;
  }

 private:
  const assertion::AssertionVerifier verifier_;
};

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

absl::StatusOr<std::shared_ptr<const assertion::KeySet>> LoadTrustedServices(
    const std::string& path) {
  authn::v1::GetAssertionKeysResponse keys;
  RETURN_IF_ERROR(LoadConfig(path, /*env_prefix=*/"",
                             [](absl::string_view) { return std::nullopt; },
                             &keys));
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> set =
      assertion::KeySet::Create(std::vector<common::v1::AssertionKey>(
          keys.keys().begin(), keys.keys().end()));
  if (!set.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", set.status().message()));
  }
  return set;
}

absl::StatusOr<std::unique_ptr<AssertionAuthenticator>> MakeServiceVerifier(
    std::shared_ptr<const assertion::KeySet> trusted) {
  if (trusted == nullptr) {
    return absl::InvalidArgumentError("no trusted service keys");
  }
  return std::make_unique<ServiceVerifier>(std::move(trusted));
}

namespace {

// Adds the service assertion before the call's headers go out.
class ServiceIdentityInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit ServiceIdentityInterceptor(ServiceIdentity* identity)
      : identity_(identity) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::
                PRE_SEND_INITIAL_METADATA)) {
      absl::StatusOr<std::string> assertion = identity_->Assertion(absl::Now());
      if (assertion.ok()) {
        methods->GetSendInitialMetadata()->emplace(kServiceMetadataKey,
                                                  *std::move(assertion));
      } else {
        // Without it the receiver denies the call: fail closed, say why.
        Log(LogLevel::kError, "service_assertion_failed",
            {{"error", assertion.status().message()}});
      }
    }
    methods->Proceed();
  }

 private:
  ServiceIdentity* identity_;
};

class ServiceIdentityInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit ServiceIdentityInterceptorFactory(ServiceIdentity* identity)
      : identity_(identity) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new ServiceIdentityInterceptor(identity_);
  }

 private:
  ServiceIdentity* identity_;
};

}  // namespace

std::shared_ptr<grpc::Channel> ServiceChannel(
    const std::string& address,
    std::shared_ptr<grpc::ChannelCredentials> credentials,
    ServiceIdentity* identity) {
  // Reconnect quickly once the other service is back: calls resume within
  // about a second of its return instead of gRPC's default backoff (up to
  // two minutes).
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  if (identity != nullptr) {
    interceptors.push_back(
        std::make_unique<ServiceIdentityInterceptorFactory>(identity));
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      address,
      credentials != nullptr ? credentials : grpc::InsecureChannelCredentials(),
      arguments, std::move(interceptors));
}

absl::Status ForwardCaller(const Caller& caller, grpc::ClientContext* context) {
  if (caller.assertion.empty()) {
    return absl::FailedPreconditionError("caller has no assertion to forward");
  }
  context->AddMetadata(kPrincipalMetadataKey, caller.assertion);
  return absl::OkStatus();
}

}  // namespace bastion
