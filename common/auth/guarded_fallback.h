// Serves every RPC a binary declares but does not implement yet: the call
// guard runs first, exactly as for implemented methods, and only an
// authorized caller learns that the method is UNIMPLEMENTED. Unknown methods
// answer UNIMPLEMENTED without any work. So deny-by-default holds for every
// declared RPC from the day it is declared.
#ifndef BASTION_COMMON_AUTH_GUARDED_FALLBACK_H_
#define BASTION_COMMON_AUTH_GUARDED_FALLBACK_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/generic/async_generic_service.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/auth/call_guard.h"
#include "common/server/server.h"
#include "google/protobuf/descriptor.h"

namespace bastion {

// Thread-safe: immutable after Create.
class GuardedFallbackService final : public grpc::CallbackGenericService {
 public:
  // FAILED_PRECONDITION if any method of the services lacks a permission.
  static absl::StatusOr<std::unique_ptr<GuardedFallbackService>> Create(
      const std::vector<std::string>& service_full_names,
      GuardDependencies dependencies);

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

  // What the reactor decides for one call (exposed for the reactor only).
  grpc::Status Decide(const grpc::GenericCallbackServerContext& context,
                      const grpc::ByteBuffer* request) const;

 private:
  GuardedFallbackService() = default;

  absl::flat_hash_map<std::string, CallGuard> guards_;
};

// Serves `served` and, behind the same guard dependencies, every other
// service declared in `declared` (answering UNIMPLEMENTED once authorized),
// until SIGINT/SIGTERM.
absl::Status ServeDeclared(ServerOptions options,
                           const std::vector<ServiceBinding>& served,
                           const google::protobuf::FileDescriptor& declared,
                           GuardDependencies dependencies);

// The services of `file` whose full names are not in `served`.
std::vector<std::string> UnservedServices(
    const google::protobuf::FileDescriptor& file,
    const std::vector<std::string>& served);

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_GUARDED_FALLBACK_H_
