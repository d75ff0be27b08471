#include "services/data/memories_service.h"

#include <utility>

#include "common/server/finish.h"
#include "common/status/answer.h"

namespace bastion::data {

MemoriesService::MemoriesService(domain::Memories* domain, CallGuard guard)
    : domain_(domain), guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* MemoriesService::CreateMemory(
    grpc::CallbackServerContext* context,
    const v1::CreateMemoryRequest* request, v1::Memory* response) {
  return Finish(
      context,
      guard_.Run(context, "CreateMemory", *request, [&](const Caller& c) {
        return Answer(domain_->CreateMemory(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* MemoriesService::GetMemory(
    grpc::CallbackServerContext* context, const v1::GetMemoryRequest* request,
    v1::Memory* response) {
  return Finish(
      context, guard_.Run(context, "GetMemory", *request, [&](const Caller& c) {
        return Answer(domain_->GetMemory(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* MemoriesService::ListMemories(
    grpc::CallbackServerContext* context,
    const v1::ListMemoriesRequest* request,
    v1::ListMemoriesResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "ListMemories", *request, [&](const Caller& c) {
        return Answer(domain_->ListMemories(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* MemoriesService::UpdateMemory(
    grpc::CallbackServerContext* context,
    const v1::UpdateMemoryRequest* request, v1::Memory* response) {
  return Finish(
      context,
      guard_.Run(context, "UpdateMemory", *request, [&](const Caller& c) {
        return Answer(domain_->UpdateMemory(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* MemoriesService::DeleteMemory(
    grpc::CallbackServerContext* context,
    const v1::DeleteMemoryRequest* request, v1::DeleteMemoryResponse*) {
  return Finish(context, guard_.Run(context, "DeleteMemory", *request,
                                    [&](const Caller& c) {
                                      return domain_->DeleteMemory(c, *request);
                                    }));
}

}  // namespace bastion::data
