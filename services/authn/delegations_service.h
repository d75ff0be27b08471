// gRPC adapter of authn's Delegations service (internal methods only).
#ifndef BASTION_SERVICES_AUTHN_DELEGATIONS_SERVICE_H_
#define BASTION_SERVICES_AUTHN_DELEGATIONS_SERVICE_H_

#include "bastion/authn/v1/authn.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/authn/delegation_manager.h"

namespace bastion::authn {

// Thread-safe. Translates only: the guard admits trusted services, the
// manager decides.
class DelegationsService final : public v1::Delegations::CallbackService {
 public:
  // `manager` is null when authn has no database: every method then
  // answers FAILED_PRECONDITION (after the guard).
  DelegationsService(const DelegationManager* manager, CallGuard guard);

  grpc::ServerUnaryReactor* ExchangeForRun(
      grpc::CallbackServerContext* context,
      const v1::ExchangeForRunRequest* request,
      v1::DelegationGrant* response) override;
  grpc::ServerUnaryReactor* RenewDelegation(
      grpc::CallbackServerContext* context,
      const v1::RenewDelegationRequest* request,
      v1::DelegationGrant* response) override;
  grpc::ServerUnaryReactor* EndDelegation(
      grpc::CallbackServerContext* context,
      const v1::EndDelegationRequest* request,
      v1::EndDelegationResponse* response) override;
  grpc::ServerUnaryReactor* EndDelegations(
      grpc::CallbackServerContext* context,
      const v1::EndDelegationsRequest* request,
      v1::EndDelegationsResponse* response) override;
  grpc::ServerUnaryReactor* ExchangeForSchedule(
      grpc::CallbackServerContext* context,
      const v1::ExchangeForScheduleRequest* request,
      v1::ScheduleGrant* response) override;
  grpc::ServerUnaryReactor* ExchangeScheduleForRun(
      grpc::CallbackServerContext* context,
      const v1::ExchangeScheduleForRunRequest* request,
      v1::DelegationGrant* response) override;
  grpc::ServerUnaryReactor* EndScheduleGrant(
      grpc::CallbackServerContext* context,
      const v1::EndScheduleGrantRequest* request,
      v1::EndScheduleGrantResponse* response) override;

 private:
  const DelegationManager* manager_;
  CallGuard guard_;
};

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_DELEGATIONS_SERVICE_H_
