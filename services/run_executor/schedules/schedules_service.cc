#include "services/run_executor/schedules/schedules_service.h"

#include <utility>

#include "common/status/answer.h"

namespace bastion::schedules {

SchedulesService::SchedulesService(ScheduleManager* manager, CallGuard guard)
    : manager_(manager), guard_(std::move(guard)) {}

grpc::Status SchedulesService::CreateSchedule(
    grpc::ServerContext* context, const runs::v1::CreateScheduleRequest* request,
    runs::v1::Schedule* response) {
  return guard_.Run(context, "CreateSchedule", *request,
                    [&](const Caller& caller) {
                      return Answer(
                          manager_->Create(caller, request->schedule()),
                          response);
                    });
}

grpc::Status SchedulesService::ListSchedules(
    grpc::ServerContext* context, const runs::v1::ListSchedulesRequest* request,
    runs::v1::ListSchedulesResponse* response) {
  return guard_.Run(context, "ListSchedules", *request,
                    [&](const Caller& caller) {
                      return Answer(manager_->List(caller, *request), response);
                    });
}

grpc::Status SchedulesService::GetSchedule(
    grpc::ServerContext* context, const runs::v1::GetScheduleRequest* request,
    runs::v1::Schedule* response) {
  return guard_.Run(context, "GetSchedule", *request,
                    [&](const Caller& caller) {
                      return Answer(
                          manager_->Get(caller, request->schedule_id()),
                          response);
                    });
}

grpc::Status SchedulesService::UpdateSchedule(
    grpc::ServerContext* context, const runs::v1::UpdateScheduleRequest* request,
    runs::v1::Schedule* response) {
  return guard_.Run(context, "UpdateSchedule", *request,
                    [&](const Caller& caller) {
                      return Answer(manager_->Update(caller, *request),
                                    response);
                    });
}

grpc::Status SchedulesService::DeleteSchedule(
    grpc::ServerContext* context, const runs::v1::DeleteScheduleRequest* request,
    runs::v1::DeleteScheduleResponse*) {
  return guard_.Run(context, "DeleteSchedule", *request,
                    [&](const Caller& caller) {
                      return manager_->Delete(caller, request->schedule_id());
                    });
}

grpc::Status SchedulesService::TriggerSchedule(
    grpc::ServerContext* context,
    const runs::v1::TriggerScheduleRequest* request,
    runs::v1::TriggerScheduleResponse* response) {
  return guard_.Run(context, "TriggerSchedule", *request,
                    [&](const Caller& caller) {
                      absl::StatusOr<std::string> run_id =
                          manager_->Trigger(caller, request->schedule_id());
                      if (!run_id.ok()) return run_id.status();
                      response->set_run_id(*std::move(run_id));
                      return absl::OkStatus();
                    });
}

}  // namespace bastion::schedules
