// The one way a Bastion service opens a channel to another service (authn,
// authz, data, a tool server): the same keepalive and reconnect settings on
// every channel, and this service's identity on every call.
#ifndef BASTION_COMMON_AUTH_CHANNEL_FACTORY_H_
#define BASTION_COMMON_AUTH_CHANNEL_FACTORY_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "common/auth/service_identity.h"

namespace bastion {

// Reconnect backoff of every channel (grpc.initial_reconnect_backoff_ms,
// grpc.min_reconnect_backoff_ms, grpc.max_reconnect_backoff_ms): a call
// made after a dependency returns succeeds within about a second, instead
// of waiting out gRPC's default backoff (up to two minutes).
inline constexpr int kInitialReconnectBackoffMs = 100;
inline constexpr int kMaxReconnectBackoffMs = 1000;

// Keepalive of every channel: a ping after this long without traffic, idle
// channels included, and the connection is dropped when the answer takes
// longer than kKeepaliveTimeoutMs (a peer gone without closing its
// connection is noticed instead of hanging the next call). Bastion servers
// accept such pings (common/server/server.h).
inline constexpr int kKeepaliveTimeMs = 60 * 1000;
inline constexpr int kKeepaliveTimeoutMs = 20 * 1000;

// Immutable; thread-safe. Cheap to copy.
class ChannelFactory {
 public:
  // Null `credentials` means plaintext. `identity` (not owned; must outlive
  // every channel made here) is attached to every call of Channel(); null
  // attaches nothing.
  ChannelFactory(std::shared_ptr<grpc::ChannelCredentials> credentials,
                 ServiceIdentity* identity);

  // A channel to `address` whose client interceptor attaches this service's
  // own assertion (kServiceMetadataKey) to every call.
  std::shared_ptr<grpc::Channel> Channel(const std::string& address) const;

  // The same channel without the service's assertion, for calls that need
  // no service identity (authn's public Authenticate and GetAssertionKeys).
  std::shared_ptr<grpc::Channel> AnonymousChannel(
      const std::string& address) const;

  ServiceIdentity* identity() const { return identity_; }

 private:
  std::shared_ptr<grpc::Channel> Make(const std::string& address,
                                      ServiceIdentity* identity) const;

  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  ServiceIdentity* identity_;
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_CHANNEL_FACTORY_H_
