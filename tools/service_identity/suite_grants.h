// The one source of what each Bastion service may call at another as a
// trusted service: `service_identity init` writes it into the
// trusted_services_file every receiver loads (common/auth/trusted_services.h).
#ifndef BASTION_TOOLS_SERVICE_IDENTITY_SUITE_GRANTS_H_
#define BASTION_TOOLS_SERVICE_IDENTITY_SUITE_GRANTS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bastion::service_identity {

// By service name, what it may call: a whole service
// ("bastion.data.v1.RunRecords", every method it declares) or one method
// ("bastion.data.v1.Traces/AppendSpans").
//
//   authn         authz Check/CheckTool (its own methods' permissions);
//                 data AuditWriter (its denials)
//   authz         data AuditWriter (its denials and role changes)
//   data          authz Check/CheckTool
//   run_executor  authz Check/CheckTool; data RunRecords, ApprovalRecords,
//                 ScheduleRecords, Traces/AppendSpans, Memories (its memory
//                 tools, for the run's owner), AuditWriter; the ToolService
//                 of tool servers
const std::map<std::string, std::vector<std::string>>& SuiteGrants();

// The fully-qualified methods ("<package>.<Service>/<Method>") `grants`
// name, sorted, from the compiled protos. INVALID_ARGUMENT naming an
// unknown service or method.
absl::StatusOr<std::vector<std::string>> ExpandGrants(
    const std::vector<std::string>& grants);

}  // namespace bastion::service_identity

#endif  // BASTION_TOOLS_SERVICE_IDENTITY_SUITE_GRANTS_H_
