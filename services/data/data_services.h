// Composition of the data service: for every service of bastion.data.v1,
// one PostgreSQL store, the domain over it and one guarded gRPC adapter
// over that, on one connection pool. main.cc serves these; the isolation
// tests serve exactly the same.
#ifndef BASTION_SERVICES_DATA_DATA_SERVICES_H_
#define BASTION_SERVICES_DATA_DATA_SERVICES_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/call_guard.h"
#include "common/pg/pg_pool.h"
#include "common/server/server.h"
#include "services/data/approval_records_service.h"
#include "services/data/domain/approvals.h"
#include "services/data/domain/audit.h"
#include "services/data/domain/memories.h"
#include "services/data/domain/runs.h"
#include "services/data/domain/schedules.h"
#include "services/data/domain/sessions.h"
#include "services/data/domain/traces.h"
#include "services/data/audit_log_service.h"
#include "services/data/memories_service.h"
#include "services/data/run_records_service.h"
#include "services/data/schedule_records_service.h"
#include "services/data/sessions_service.h"
#include "services/data/storage/pg_approval_store.h"
#include "services/data/storage/pg_audit_store.h"
#include "services/data/storage/pg_memory_store.h"
#include "services/data/storage/pg_run_store.h"
#include "services/data/storage/pg_schedule_store.h"
#include "services/data/storage/pg_session_store.h"
#include "services/data/storage/pg_trace_store.h"
#include "services/data/traces_service.h"

namespace bastion::data {

// Thread-safe once created. `pool` (connected as bastion_data_svc) and the
// guard dependencies must outlive it.
class DataServices {
 public:
  // FAILED_PRECONDITION when a method of bastion.data.v1 lacks a permission.
  static absl::StatusOr<std::unique_ptr<DataServices>> Create(
      pg::PgPool& pool, GuardDependencies dependencies);

  // Every adapter with the proto service it implements, for StartServer.
  std::vector<ServiceBinding> Bindings();

 private:
  explicit DataServices(pg::PgPool& pool);

  storage::PgSessionStore sessions_store_;
  storage::PgMemoryStore memories_store_;
  storage::PgTraceStore traces_store_;
  storage::PgRunStore runs_store_;
  storage::PgApprovalStore approvals_store_;
  storage::PgScheduleStore schedules_store_;
  storage::PgAuditStore audit_store_;

  domain::Sessions sessions_domain_;
  domain::Memories memories_domain_;
  domain::Traces traces_domain_;
  domain::Runs runs_domain_;
  domain::Approvals approvals_domain_;
  domain::Schedules schedules_domain_;
  domain::AuditLog audit_domain_;

  std::unique_ptr<SessionsService> sessions_;
  std::unique_ptr<MemoriesService> memories_;
  std::unique_ptr<TracesService> traces_;
  std::unique_ptr<RunRecordsService> runs_;
  std::unique_ptr<ApprovalRecordsService> approvals_;
  std::unique_ptr<ScheduleRecordsService> schedules_;
  std::unique_ptr<AuditLogService> audit_;
};

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_DATA_SERVICES_H_
