#include "services/authn/delegations_service.h"

#include <utility>

#include "common/status/status_macros.h"

namespace bastion::authn {
namespace {

absl::Status DelegationsNotConfigured() {
  return absl::FailedPreconditionError(
      "delegations are not configured on this authn (no database_url)");
}

}  // namespace

DelegationsService::DelegationsService(const DelegationManager* manager,
                                       CallGuard guard)
    : manager_(manager), guard_(std::move(guard)) {}

grpc::Status DelegationsService::ExchangeForRun(
    grpc::ServerContext* context, const v1::ExchangeForRunRequest* request,
    v1::DelegationGrant* response) {
  return guard_.Run(context, "ExchangeForRun", *request,
                    [&](const Caller& caller) -> absl::Status {
                      if (manager_ == nullptr) return DelegationsNotConfigured();
                      ASSIGN_OR_RETURN(*response,
                                       manager_->Exchange(caller, *request));
                      return absl::OkStatus();
                    });
}

grpc::Status DelegationsService::RenewDelegation(
    grpc::ServerContext* context, const v1::RenewDelegationRequest* request,
    v1::DelegationGrant* response) {
  return guard_.Run(
      context, "RenewDelegation", *request,
      [&](const Caller& caller) -> absl::Status {
        if (manager_ == nullptr) return DelegationsNotConfigured();
        ASSIGN_OR_RETURN(*response,
                         manager_->Renew(caller, request->delegation_id()));
        return absl::OkStatus();
      });
}

grpc::Status DelegationsService::EndDelegation(
    grpc::ServerContext* context, const v1::EndDelegationRequest* request,
    v1::EndDelegationResponse* response) {
  return guard_.Run(
      context, "EndDelegation", *request,
      [&](const Caller& caller) -> absl::Status {
        if (manager_ == nullptr) return DelegationsNotConfigured();
        ASSIGN_OR_RETURN(*response,
                         manager_->End(caller, request->delegation_id()));
        return absl::OkStatus();
      });
}

grpc::Status DelegationsService::EndDelegations(
    grpc::ServerContext* context, const v1::EndDelegationsRequest* request,
    v1::EndDelegationsResponse* response) {
  return guard_.Run(
      context, "EndDelegations", *request,
      [&](const Caller& caller) -> absl::Status {
        if (manager_ == nullptr) return DelegationsNotConfigured();
        ASSIGN_OR_RETURN(*response,
                         manager_->EndMany(caller, request->delegation_ids()));
        return absl::OkStatus();
      });
}

grpc::Status DelegationsService::ExchangeForSchedule(
    grpc::ServerContext* context, const v1::ExchangeForScheduleRequest* request,
    v1::ScheduleGrant* response) {
  return guard_.Run(
      context, "ExchangeForSchedule", *request,
      [&](const Caller& caller) -> absl::Status {
        if (manager_ == nullptr) return DelegationsNotConfigured();
        ASSIGN_OR_RETURN(*response,
                         manager_->ExchangeForSchedule(caller, *request));
        return absl::OkStatus();
      });
}

grpc::Status DelegationsService::ExchangeScheduleForRun(
    grpc::ServerContext* context,
    const v1::ExchangeScheduleForRunRequest* request,
    v1::DelegationGrant* response) {
  return guard_.Run(
      context, "ExchangeScheduleForRun", *request,
      [&](const Caller& caller) -> absl::Status {
        if (manager_ == nullptr) return DelegationsNotConfigured();
        ASSIGN_OR_RETURN(*response,
                         manager_->ExchangeScheduleForRun(caller, *request));
        return absl::OkStatus();
      });
}

grpc::Status DelegationsService::EndScheduleGrant(
    grpc::ServerContext* context, const v1::EndScheduleGrantRequest* request,
    v1::EndScheduleGrantResponse* response) {
  return guard_.Run(
      context, "EndScheduleGrant", *request,
      [&](const Caller& caller) -> absl::Status {
        if (manager_ == nullptr) return DelegationsNotConfigured();
        ASSIGN_OR_RETURN(*response,
                         manager_->EndScheduleGrant(caller, request->grant_id()));
        return absl::OkStatus();
      });
}

}  // namespace bastion::authn
