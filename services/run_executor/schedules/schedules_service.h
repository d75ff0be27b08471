// gRPC adapter of bastion.runs.v1.Schedules: runs the guard, calls the
// ScheduleManager and maps the status; nothing else.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULES_SERVICE_H_
#define BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULES_SERVICE_H_

#include "bastion/runs/v1/runs.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/run_executor/schedules/schedule_manager.h"

namespace bastion::schedules {

// Thread-safe: the manager and the guard are.
class SchedulesService final : public runs::v1::Schedules::Service {
 public:
  // `manager` is not owned and must outlive the service.
  SchedulesService(ScheduleManager* manager, CallGuard guard);

  grpc::Status CreateSchedule(grpc::ServerContext* context,
                              const runs::v1::CreateScheduleRequest* request,
                              runs::v1::Schedule* response) override;
  grpc::Status ListSchedules(grpc::ServerContext* context,
                             const runs::v1::ListSchedulesRequest* request,
                             runs::v1::ListSchedulesResponse* response) override;
  grpc::Status GetSchedule(grpc::ServerContext* context,
                           const runs::v1::GetScheduleRequest* request,
                           runs::v1::Schedule* response) override;
  grpc::Status UpdateSchedule(grpc::ServerContext* context,
                              const runs::v1::UpdateScheduleRequest* request,
                              runs::v1::Schedule* response) override;
  grpc::Status DeleteSchedule(grpc::ServerContext* context,
                              const runs::v1::DeleteScheduleRequest* request,
                              runs::v1::DeleteScheduleResponse* response) override;
  grpc::Status TriggerSchedule(
      grpc::ServerContext* context,
      const runs::v1::TriggerScheduleRequest* request,
      runs::v1::TriggerScheduleResponse* response) override;

 private:
  ScheduleManager* const manager_;
  CallGuard guard_;
};

}  // namespace bastion::schedules

#endif  // BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULES_SERVICE_H_
