#include "tools/sample_tool_server/sample_tool_service.h"

#include <utility>

#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace bastion::sample {

absl::StatusOr<common::v1::Principal> ForwardedUser(
    const grpc::ServerContextBase& context, AssertionAuthenticator& users,
    absl::string_view calling_service) {
  const auto& metadata = context.client_metadata();
  auto Refuse = [](absl::string_view reason) {
    Log(LogLevel::kWarning, "tool_call_refused", {{"reason", reason}});
    return absl::UnauthenticatedError("no verifiable user assertion");
  };
  if (metadata.count(kPrincipalMetadataKey) != 1) {
    return Refuse("not exactly one forwarded user assertion");
  }
  const grpc::string_ref value = metadata.find(kPrincipalMetadataKey)->second;
  // A run acts through its delegation: accepted only from its holder, the
  // service that makes this call.
  absl::StatusOr<VerifiedAssertion> user = users.VerifyPresentedBy(
      absl::string_view(value.data(), value.size()), calling_service);
  if (!user.ok()) {
    if (user.status().code() == absl::StatusCode::kUnavailable) {
      return absl::UnavailableError("cannot verify the user assertion now");
    }
    return Refuse(user.status().message());
  }
  if (user->principal.credential_kind() == common::v1::CREDENTIAL_KIND_SERVICE) {
    return Refuse("the forwarded assertion names a service, not a user");
  }
  return std::move(user->principal);
}

grpc::Status SampleToolService::ListTools(
    grpc::ServerContext* context, const runs::v1::ListToolsRequest* request,
    runs::v1::ListToolsResponse* response) {
  return guard_.Run(context, "ListTools", *request, [&](const Caller&) {
    for (runs::v1::ToolSpec& spec : SampleTools::Specs()) {
      *response->add_tools() = std::move(spec);
    }
    return absl::OkStatus();
  });
}

grpc::Status SampleToolService::Invoke(grpc::ServerContext* context,
                                       const runs::v1::InvokeToolRequest* request,
                                       runs::v1::InvokeToolResponse* response) {
  // The guard's Caller is the calling service; the user comes next.
  return guard_.Run(context, "Invoke", *request, [&](const Caller& service) {
    ASSIGN_OR_RETURN(common::v1::Principal user,
                     ForwardedUser(*context, *users_, service.calling_service));
    ASSIGN_OR_RETURN(
        *response->mutable_result(),
        tools_->Invoke(user, *request, [context] { return context->IsCancelled(); }));
    return absl::OkStatus();
  });
}

}  // namespace bastion::sample
