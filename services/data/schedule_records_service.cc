#include "services/data/schedule_records_service.h"

#include <utility>

#include "common/server/finish.h"
#include "common/status/answer.h"

namespace bastion::data {

ScheduleRecordsService::ScheduleRecordsService(domain::Schedules* domain,
                                               CallGuard guard)
    : domain_(domain), guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* ScheduleRecordsService::CreateSchedule(
    grpc::CallbackServerContext* context,
    const v1::CreateScheduleRequest* request, v1::Schedule* response) {
  return Finish(
      context,
      guard_.Run(context, "CreateSchedule", *request, [&](const Caller& c) {
        return Answer(domain_->CreateSchedule(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* ScheduleRecordsService::GetSchedule(
    grpc::CallbackServerContext* context, const v1::GetScheduleRequest* request,
    v1::Schedule* response) {
  return Finish(
      context,
      guard_.Run(context, "GetSchedule", *request, [&](const Caller& c) {
        return Answer(domain_->GetSchedule(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* ScheduleRecordsService::ListSchedules(
    grpc::CallbackServerContext* context,
    const v1::ListSchedulesRequest* request,
    v1::ListSchedulesResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "ListSchedules", *request, [&](const Caller& c) {
        return Answer(domain_->ListSchedules(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* ScheduleRecordsService::UpdateSchedule(
    grpc::CallbackServerContext* context,
    const v1::UpdateScheduleRequest* request, v1::Schedule* response) {
  return Finish(
      context,
      guard_.Run(context, "UpdateSchedule", *request, [&](const Caller& c) {
        return Answer(domain_->UpdateSchedule(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* ScheduleRecordsService::DeleteSchedule(
    grpc::CallbackServerContext* context,
    const v1::DeleteScheduleRequest* request, v1::DeleteScheduleResponse*) {
  return Finish(
      context,
      guard_.Run(context, "DeleteSchedule", *request, [&](const Caller& c) {
        return domain_->DeleteSchedule(c, *request);
      }));
}

grpc::ServerUnaryReactor* ScheduleRecordsService::ClaimDueSchedules(
    grpc::CallbackServerContext* context,
    const v1::ClaimDueSchedulesRequest* request,
    v1::ClaimDueSchedulesResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "ClaimDueSchedules", *request, [&](const Caller& c) {
        return Answer(domain_->ClaimDueSchedules(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* ScheduleRecordsService::AdvanceSchedule(
    grpc::CallbackServerContext* context,
    const v1::AdvanceScheduleRequest* request, v1::Schedule* response) {
  return Finish(
      context,
      guard_.Run(context, "AdvanceSchedule", *request, [&](const Caller& c) {
        return Answer(domain_->AdvanceSchedule(c, *request), response);
      }));
}

}  // namespace bastion::data
