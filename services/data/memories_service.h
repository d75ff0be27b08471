// gRPC adapter of data's Memories: runs the guard, hands the verified
// Caller to the domain, maps the status.
#ifndef BASTION_SERVICES_DATA_MEMORIES_SERVICE_H_
#define BASTION_SERVICES_DATA_MEMORIES_SERVICE_H_

#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/data/domain/memories.h"

namespace bastion::data {

// Thread-safe (the domain and the guard are).
class MemoriesService final : public v1::Memories::CallbackService {
 public:
  MemoriesService(domain::Memories* domain, CallGuard guard);

  grpc::ServerUnaryReactor* CreateMemory(grpc::CallbackServerContext* context,
                                         const v1::CreateMemoryRequest* request,
                                         v1::Memory* response) override;
  grpc::ServerUnaryReactor* GetMemory(grpc::CallbackServerContext* context,
                                      const v1::GetMemoryRequest* request,
                                      v1::Memory* response) override;
  grpc::ServerUnaryReactor* ListMemories(
      grpc::CallbackServerContext* context,
      const v1::ListMemoriesRequest* request,
      v1::ListMemoriesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateMemory(grpc::CallbackServerContext* context,
                                         const v1::UpdateMemoryRequest* request,
                                         v1::Memory* response) override;
  grpc::ServerUnaryReactor* DeleteMemory(
      grpc::CallbackServerContext* context,
      const v1::DeleteMemoryRequest* request,
      v1::DeleteMemoryResponse* response) override;

 private:
  domain::Memories* domain_;
  CallGuard guard_;
};

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_MEMORIES_SERVICE_H_
