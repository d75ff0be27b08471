#include "common/auth/channel_factory.h"

#include <utility>
#include <vector>

#include <grpcpp/support/client_interceptor.h>

#include "absl/time/clock.h"
#include "common/log/log.h"

namespace bastion {
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

ChannelFactory::ChannelFactory(
    std::shared_ptr<grpc::ChannelCredentials> credentials,
    ServiceIdentity* identity)
    : credentials_(credentials != nullptr ? std::move(credentials)
                                          : grpc::InsecureChannelCredentials()),
      identity_(identity) {}

std::shared_ptr<grpc::Channel> ChannelFactory::Channel(
    const std::string& address) const {
  return Make(address, identity_);
}

std::shared_ptr<grpc::Channel> ChannelFactory::AnonymousChannel(
    const std::string& address) const {
  return Make(address, /*identity=*/nullptr);
}

std::shared_ptr<grpc::Channel> ChannelFactory::Make(
    const std::string& address, ServiceIdentity* identity) const {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                   kInitialReconnectBackoffMs);
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
                   kInitialReconnectBackoffMs);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  arguments.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  if (identity != nullptr) {
    interceptors.push_back(
        std::make_unique<ServiceIdentityInterceptorFactory>(identity));
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      address, credentials_, arguments, std::move(interceptors));
}

}  // namespace bastion
