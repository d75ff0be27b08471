// gRPC adapter of data's ScheduleRecords: runs the guard, hands the verified
// Caller to the domain, maps the status.
#ifndef BASTION_SERVICES_DATA_SCHEDULE_RECORDS_SERVICE_H_
#define BASTION_SERVICES_DATA_SCHEDULE_RECORDS_SERVICE_H_

#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/data/domain/schedules.h"

namespace bastion::data {

// Thread-safe (the domain and the guard are).
class ScheduleRecordsService final
    : public v1::ScheduleRecords::CallbackService {
 public:
  ScheduleRecordsService(domain::Schedules* domain, CallGuard guard);

  grpc::ServerUnaryReactor* CreateSchedule(
      grpc::CallbackServerContext* context,
      const v1::CreateScheduleRequest* request,
      v1::Schedule* response) override;
  grpc::ServerUnaryReactor* GetSchedule(grpc::CallbackServerContext* context,
                                        const v1::GetScheduleRequest* request,
                                        v1::Schedule* response) override;
  grpc::ServerUnaryReactor* ListSchedules(
      grpc::CallbackServerContext* context,
      const v1::ListSchedulesRequest* request,
      v1::ListSchedulesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateSchedule(
      grpc::CallbackServerContext* context,
      const v1::UpdateScheduleRequest* request,
      v1::Schedule* response) override;
  grpc::ServerUnaryReactor* DeleteSchedule(
      grpc::CallbackServerContext* context,
      const v1::DeleteScheduleRequest* request,
      v1::DeleteScheduleResponse* response) override;
  grpc::ServerUnaryReactor* ClaimDueSchedules(
      grpc::CallbackServerContext* context,
      const v1::ClaimDueSchedulesRequest* request,
      v1::ClaimDueSchedulesResponse* response) override;
  grpc::ServerUnaryReactor* AdvanceSchedule(
      grpc::CallbackServerContext* context,
      const v1::AdvanceScheduleRequest* request,
      v1::Schedule* response) override;

 private:
  domain::Schedules* domain_;
  CallGuard guard_;
};

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_SCHEDULE_RECORDS_SERVICE_H_
