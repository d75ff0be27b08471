#include "services/data/sessions_service.h"

#include <utility>

#include "common/server/finish.h"
#include "common/status/answer.h"

namespace bastion::data {

SessionsService::SessionsService(domain::Sessions* domain, CallGuard guard)
    : domain_(domain), guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* SessionsService::CreateSession(
    grpc::CallbackServerContext* context,
    const v1::CreateSessionRequest* request, v1::Session* response) {
  return Finish(
      context,
      guard_.Run(context, "CreateSession", *request, [&](const Caller& c) {
        return Answer(domain_->CreateSession(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* SessionsService::GetSession(
    grpc::CallbackServerContext* context, const v1::GetSessionRequest* request,
    v1::Session* response) {
  return Finish(
      context,
      guard_.Run(context, "GetSession", *request, [&](const Caller& c) {
        return Answer(domain_->GetSession(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* SessionsService::ListSessions(
    grpc::CallbackServerContext* context,
    const v1::ListSessionsRequest* request,
    v1::ListSessionsResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "ListSessions", *request, [&](const Caller& c) {
        return Answer(domain_->ListSessions(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* SessionsService::UpdateSession(
    grpc::CallbackServerContext* context,
    const v1::UpdateSessionRequest* request, v1::Session* response) {
  return Finish(
      context,
      guard_.Run(context, "UpdateSession", *request, [&](const Caller& c) {
        return Answer(domain_->UpdateSession(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* SessionsService::DeleteSession(
    grpc::CallbackServerContext* context,
    const v1::DeleteSessionRequest* request, v1::DeleteSessionResponse*) {
  return Finish(
      context,
      guard_.Run(context, "DeleteSession", *request, [&](const Caller& c) {
        return domain_->DeleteSession(c, *request);
      }));
}

grpc::ServerUnaryReactor* SessionsService::DeleteSessions(
    grpc::CallbackServerContext* context,
    const v1::DeleteSessionsRequest* request,
    v1::DeleteSessionsResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "DeleteSessions", *request, [&](const Caller& c) {
        return Answer(domain_->DeleteSessions(c, *request), response);
      }));
}

}  // namespace bastion::data
