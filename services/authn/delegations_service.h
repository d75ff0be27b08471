// gRPC adapter of authn's Delegations service (internal methods only).
#ifndef BASTION_SERVICES_AUTHN_DELEGATIONS_SERVICE_H_
#define BASTION_SERVICES_AUTHN_DELEGATIONS_SERVICE_H_

#include "bastion/authn/v1/authn.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/authn/delegation_manager.h"

namespace bastion::authn {

// Thread-safe. Translates only: the guard admits trusted services, the
// manager decides.
class DelegationsService final : public v1::Delegations::Service {
 public:
  // `manager` is null when authn has no database: every method then
  // answers FAILED_PRECONDITION (after the guard).
  DelegationsService(const DelegationManager* manager, CallGuard guard);

  grpc::Status ExchangeForRun(grpc::ServerContext* context,
                              const v1::ExchangeForRunRequest* request,
                              v1::DelegationGrant* response) override;
  grpc::Status RenewDelegation(grpc::ServerContext* context,
                               const v1::RenewDelegationRequest* request,
                               v1::DelegationGrant* response) override;
  grpc::Status EndDelegation(grpc::ServerContext* context,
                             const v1::EndDelegationRequest* request,
                             v1::EndDelegationResponse* response) override;
  grpc::Status EndDelegations(grpc::ServerContext* context,
                              const v1::EndDelegationsRequest* request,
                              v1::EndDelegationsResponse* response) override;
  grpc::Status ExchangeForSchedule(
      grpc::ServerContext* context,
      const v1::ExchangeForScheduleRequest* request,
      v1::ScheduleGrant* response) override;
  grpc::Status ExchangeScheduleForRun(
      grpc::ServerContext* context,
      const v1::ExchangeScheduleForRunRequest* request,
      v1::DelegationGrant* response) override;
  grpc::Status EndScheduleGrant(grpc::ServerContext* context,
                                const v1::EndScheduleGrantRequest* request,
                                v1::EndScheduleGrantResponse* response) override;

 private:
  const DelegationManager* manager_;
  CallGuard guard_;
};

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_DELEGATIONS_SERVICE_H_
