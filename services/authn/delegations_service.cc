#include "services/authn/delegations_service.h"

#include <utility>

#include "common/server/finish.h"
#include "common/status/answer.h"

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

grpc::ServerUnaryReactor* DelegationsService::ExchangeForRun(
    grpc::CallbackServerContext* context,
    const v1::ExchangeForRunRequest* request, v1::DelegationGrant* response) {
  return Finish(
      context,
      guard_.Run(context, "ExchangeForRun", *request, [&](const Caller& c) {
        if (manager_ == nullptr) return DelegationsNotConfigured();
        return Answer(manager_->Exchange(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* DelegationsService::RenewDelegation(
    grpc::CallbackServerContext* context,
    const v1::RenewDelegationRequest* request, v1::DelegationGrant* response) {
  return Finish(
      context,
      guard_.Run(context, "RenewDelegation", *request, [&](const Caller& c) {
        if (manager_ == nullptr) return DelegationsNotConfigured();
        return Answer(manager_->Renew(c, request->delegation_id()), response);
      }));
}

grpc::ServerUnaryReactor* DelegationsService::EndDelegation(
    grpc::CallbackServerContext* context,
    const v1::EndDelegationRequest* request,
    v1::EndDelegationResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "EndDelegation", *request, [&](const Caller& c) {
        if (manager_ == nullptr) return DelegationsNotConfigured();
        return Answer(manager_->End(c, request->delegation_id()), response);
      }));
}

grpc::ServerUnaryReactor* DelegationsService::EndDelegations(
    grpc::CallbackServerContext* context,
    const v1::EndDelegationsRequest* request,
    v1::EndDelegationsResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "EndDelegations", *request, [&](const Caller& c) {
        if (manager_ == nullptr) return DelegationsNotConfigured();
        return Answer(manager_->EndMany(c, request->delegation_ids()),
                      response);
      }));
}

grpc::ServerUnaryReactor* DelegationsService::ExchangeForSchedule(
    grpc::CallbackServerContext* context,
    const v1::ExchangeForScheduleRequest* request,
    v1::ScheduleGrant* response) {
  return Finish(
      context,
      guard_.Run(
          context, "ExchangeForSchedule", *request, [&](const Caller& c) {
            if (manager_ == nullptr) return DelegationsNotConfigured();
            return Answer(manager_->ExchangeForSchedule(c, *request), response);
          }));
}

grpc::ServerUnaryReactor* DelegationsService::ExchangeScheduleForRun(
    grpc::CallbackServerContext* context,
    const v1::ExchangeScheduleForRunRequest* request,
    v1::DelegationGrant* response) {
  return Finish(context,
                guard_.Run(context, "ExchangeScheduleForRun", *request,
                           [&](const Caller& c) {
                             if (manager_ == nullptr)
                               return DelegationsNotConfigured();
                             return Answer(
                                 manager_->ExchangeScheduleForRun(c, *request),
                                 response);
                           }));
}

grpc::ServerUnaryReactor* DelegationsService::EndScheduleGrant(
    grpc::CallbackServerContext* context,
    const v1::EndScheduleGrantRequest* request,
    v1::EndScheduleGrantResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "EndScheduleGrant", *request, [&](const Caller& c) {
        if (manager_ == nullptr) return DelegationsNotConfigured();
        return Answer(manager_->EndScheduleGrant(c, request->grant_id()),
                      response);
      }));
}

}  // namespace bastion::authn
