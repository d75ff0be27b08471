// gRPC adapter of data's Sessions: runs the guard, hands the verified
// Caller to the domain, maps the status.
#ifndef BASTION_SERVICES_DATA_SESSIONS_SERVICE_H_
#define BASTION_SERVICES_DATA_SESSIONS_SERVICE_H_

#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/data/domain/sessions.h"

namespace bastion::data {

// Thread-safe (the domain and the guard are).
class SessionsService final : public v1::Sessions::CallbackService {
 public:
  SessionsService(domain::Sessions* domain, CallGuard guard);

  grpc::ServerUnaryReactor* CreateSession(
      grpc::CallbackServerContext* context,
      const v1::CreateSessionRequest* request, v1::Session* response) override;
  grpc::ServerUnaryReactor* GetSession(grpc::CallbackServerContext* context,
                                       const v1::GetSessionRequest* request,
                                       v1::Session* response) override;
  grpc::ServerUnaryReactor* ListSessions(
      grpc::CallbackServerContext* context,
      const v1::ListSessionsRequest* request,
      v1::ListSessionsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateSession(
      grpc::CallbackServerContext* context,
      const v1::UpdateSessionRequest* request, v1::Session* response) override;
  grpc::ServerUnaryReactor* DeleteSession(
      grpc::CallbackServerContext* context,
      const v1::DeleteSessionRequest* request,
      v1::DeleteSessionResponse* response) override;
  grpc::ServerUnaryReactor* DeleteSessions(
      grpc::CallbackServerContext* context,
      const v1::DeleteSessionsRequest* request,
      v1::DeleteSessionsResponse* response) override;

 private:
  domain::Sessions* domain_;
  CallGuard guard_;
};

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_SESSIONS_SERVICE_H_
