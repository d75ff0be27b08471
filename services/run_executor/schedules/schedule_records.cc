#include "services/run_executor/schedules/schedule_records.h"

#include <utility>

#include "bastion/data/v1/data.grpc.pb.h"
#include "services/run_executor/runs/data_call.h"

namespace bastion::schedules {
namespace {

using runs::CallData;
using runs::CallDataAsService;

class GrpcScheduleRecords final : public ScheduleRecords {
 public:
  explicit GrpcScheduleRecords(std::shared_ptr<grpc::Channel> channel)
      : stub_(data::v1::ScheduleRecords::NewStub(std::move(channel))) {}

  absl::StatusOr<data::v1::Schedule> Create(
      const Caller& caller,
      const data::v1::CreateScheduleRequest& request) override {
    return CallData<data::v1::Schedule>(
        caller, "CreateSchedule",
        [&](auto* c, auto* r) { return stub_->CreateSchedule(c, request, r); });
  }
  absl::StatusOr<data::v1::Schedule> Get(
      const Caller& caller,
      const data::v1::GetScheduleRequest& request) override {
    return CallData<data::v1::Schedule>(
        caller, "GetSchedule",
        [&](auto* c, auto* r) { return stub_->GetSchedule(c, request, r); });
  }
  absl::StatusOr<data::v1::ListSchedulesResponse> List(
      const Caller& caller,
      const data::v1::ListSchedulesRequest& request) override {
    return CallData<data::v1::ListSchedulesResponse>(
        caller, "ListSchedules",
        [&](auto* c, auto* r) { return stub_->ListSchedules(c, request, r); });
  }
  absl::StatusOr<data::v1::Schedule> Update(
      const Caller& caller,
      const data::v1::UpdateScheduleRequest& request) override {
    return CallData<data::v1::Schedule>(
        caller, "UpdateSchedule",
        [&](auto* c, auto* r) { return stub_->UpdateSchedule(c, request, r); });
  }
  absl::Status Delete(const Caller& caller,
                      const data::v1::DeleteScheduleRequest& request) override {
    return CallData<data::v1::DeleteScheduleResponse>(
               caller, "DeleteSchedule",
               [&](auto* c, auto* r) {
                 return stub_->DeleteSchedule(c, request, r);
               })
        .status();
  }
  absl::StatusOr<data::v1::ClaimDueSchedulesResponse> Claim(
      const data::v1::ClaimDueSchedulesRequest& request) override {
    return CallDataAsService<data::v1::ClaimDueSchedulesResponse>(
        "ClaimDueSchedules", [&](auto* c, auto* r) {
          return stub_->ClaimDueSchedules(c, request, r);
        });
  }
  absl::StatusOr<data::v1::Schedule> Advance(
      const data::v1::AdvanceScheduleRequest& request) override {
    return CallDataAsService<data::v1::Schedule>(
        "AdvanceSchedule",
        [&](auto* c, auto* r) { return stub_->AdvanceSchedule(c, request, r); });
  }

 private:
  std::unique_ptr<data::v1::ScheduleRecords::Stub> stub_;
};

}  // namespace

std::unique_ptr<ScheduleRecords> DataChannelScheduleRecords(
    std::shared_ptr<grpc::Channel> channel) {
  return std::make_unique<GrpcScheduleRecords>(std::move(channel));
}

}  // namespace bastion::schedules
