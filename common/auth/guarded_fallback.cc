#include "common/auth/guarded_fallback.h"

#include <algorithm>

#include "absl/strings/str_split.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"

namespace bastion {
namespace {

// Reads the one request message, asks the service for a decision, finishes.
class FallbackReactor final : public grpc::ServerGenericBidiReactor {
 public:
  FallbackReactor(const GuardedFallbackService* service,
                  grpc::GenericCallbackServerContext* context)
      : service_(service), context_(context) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    Finish(service_->Decide(*context_, ok ? &request_ : nullptr));
  }

  void OnDone() override { delete this; }

 private:
  const GuardedFallbackService* service_;
  grpc::GenericCallbackServerContext* context_;
  grpc::ByteBuffer request_;
};

bool ParseInto(const grpc::ByteBuffer& buffer,
               google::protobuf::Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return message->ParseFromString(bytes);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GuardedFallbackService>>
GuardedFallbackService::Create(const std::vector<std::string>& service_full_names,
                               GuardDependencies dependencies) {
  std::unique_ptr<GuardedFallbackService> service(new GuardedFallbackService());
  for (const std::string& name : service_full_names) {
    absl::StatusOr<CallGuard> guard = CallGuard::Create(name, dependencies);
    if (!guard.ok()) return guard.status();
    service->guards_.emplace(name, *std::move(guard));
  }
  return service;
}

grpc::ServerGenericBidiReactor* GuardedFallbackService::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return new FallbackReactor(this, context);
}

grpc::Status GuardedFallbackService::Decide(
    const grpc::GenericCallbackServerContext& context,
    const grpc::ByteBuffer* request) const {
  const grpc::Status unimplemented(grpc::StatusCode::UNIMPLEMENTED,
                                   "method not implemented");
  // "/package.Service/Method"
  std::vector<absl::string_view> parts =
      absl::StrSplit(context.method(), '/');
  if (parts.size() != 3 || !parts[0].empty()) return unimplemented;
  auto guard = guards_.find(parts[1]);
  if (guard == guards_.end()) return unimplemented;
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(parts[1]));
  const google::protobuf::MethodDescriptor* method =
      service == nullptr ? nullptr
                         : service->FindMethodByName(std::string(parts[2]));
  if (method == nullptr) return unimplemented;

  std::unique_ptr<google::protobuf::Message> message(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(method->input_type())
          ->New());
  // Authenticate and authorize before looking at what was sent; a request
  // that does not parse is authorized as if empty, then refused.
  const bool parsed = request != nullptr && ParseInto(*request, message.get());
  if (!parsed) message->Clear();
  absl::StatusOr<Caller> caller =
      guard->second.Authorize(context, parts[2], *message);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (!parsed) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "malformed request");
  }
  return unimplemented;
}

std::vector<std::string> UnservedServices(
    const google::protobuf::FileDescriptor& file,
    const std::vector<std::string>& served) {
  std::vector<std::string> unserved;
  for (int i = 0; i < file.service_count(); ++i) {
    const std::string& name = file.service(i)->full_name();
    if (std::find(served.begin(), served.end(), name) == served.end()) {
      unserved.push_back(name);
    }
  }
  return unserved;
}

absl::Status ServeDeclared(ServerOptions options,
                           const std::vector<ServiceBinding>& served,
                           const google::protobuf::FileDescriptor& declared,
                           GuardDependencies dependencies) {
  options.fallback_services = UnservedServices(declared, Names(served));
  absl::StatusOr<std::unique_ptr<GuardedFallbackService>> fallback =
      GuardedFallbackService::Create(options.fallback_services, dependencies);
  if (!fallback.ok()) return fallback.status();
  options.fallback = fallback->get();
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      StartServer(options, served);
  if (!server.ok()) return server.status();
  ServeUntilSignal(**server);
  return absl::OkStatus();
}

}  // namespace bastion
