// approvals: list, show, approve and reject the approvals of protected tool
// calls on run-executor. Who may see and resolve which is the server's
// decision; the requester can never resolve its own.
#include "absl/strings/str_cat.h"
#include "bastion/runs/v1/runs.grpc.pb.h"
#include "common/status/status_macros.h"
#include "tools/cli/commands.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/listing.h"

namespace bastion::cli {
namespace {

namespace runs = bastion::runs::v1;

Cell ApprovalState(runs::ApprovalStatus status) {
  switch (status) {
    case runs::APPROVAL_STATUS_PENDING:
      return Cell("pending", Colour::kYellow);
    case runs::APPROVAL_STATUS_APPROVED:
      return Cell("approved", Colour::kGreen);
    case runs::APPROVAL_STATUS_REJECTED:
      return Cell("rejected", Colour::kRed);
    case runs::APPROVAL_STATUS_EXPIRED:
      return Cell("expired", Colour::kDim);
    default:
      return Cell("?");
  }
}

absl::StatusOr<runs::ApprovalStatus> ParseApprovalStatus(
    const std::string& value) {
  if (value == "pending") return runs::APPROVAL_STATUS_PENDING;
  if (value == "approved") return runs::APPROVAL_STATUS_APPROVED;
  if (value == "rejected") return runs::APPROVAL_STATUS_REJECTED;
  if (value == "expired") return runs::APPROVAL_STATUS_EXPIRED;
  return UsageError(absl::StrCat(
      "--status must be pending, approved, rejected or expired, not '", value,
      "'"));
}

// "approval" (an approver decides) or "audit" (the owner's recorded
// confirmation).
const char* ApprovalKindName(runs::ApprovalKind kind) {
  return kind == runs::APPROVAL_KIND_AUDIT ? "audit" : "approval";
}

void PrintApproval(Output& out, const runs::Approval& approval) {
  out.Fields({
      {"ID", Cell(approval.approval_id(), Colour::kCyan)},
      {"Kind", ApprovalKindName(approval.kind())},
      {"State", ApprovalState(approval.status())},
      {"Run", approval.run_id()},
      {"Tool call", approval.tool_call_id()},
      {"Tool", approval.tool_name()},
      {"Arguments", approval.arguments_json()},
      {"Arguments SHA-256", approval.arguments_sha256()},
      {"Requester", absl::StrCat(approval.requester(), " (tenant ",
                                 approval.tenant_id(), ")")},
      {"Created", FormatUnixSeconds(approval.created_at_unix())},
      {"Expires", FormatUnixSeconds(approval.expires_at_unix())},
      {"Resolved by",
       approval.resolved_by().empty() ? "-" : approval.resolved_by()},
      {"Resolved", FormatUnixSeconds(approval.resolved_at_unix())},
  });
}

absl::Status ListApprovals(CommandContext& context) {
  const ParsedArgs& args = context.args();
  runs::ListApprovalsRequest request;
  ASSIGN_OR_RETURN(*request.mutable_page(), PageFrom(args));
  if (auto status = args.Value("status")) {
    ASSIGN_OR_RETURN(auto parsed, ParseApprovalStatus(*status));
    request.set_status(parsed);
  }
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::ListApprovalsResponse response;
  RETURN_IF_ERROR(client.Call(Service::kRuns,
                              &runs::Approvals::Stub::ListApprovals, request,
                              &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  if (response.approvals().empty()) {
    out.Line("No approvals.", Colour::kDim);
    return absl::OkStatus();
  }
  std::vector<std::vector<Cell>> rows;
  for (const runs::Approval& approval : response.approvals()) {
    rows.push_back({Cell(approval.approval_id(), Colour::kCyan),
                    ApprovalKindName(approval.kind()),
                    ApprovalState(approval.status()), approval.tool_name(),
                    approval.requester(), approval.run_id(),
                    FormatUnixSeconds(approval.expires_at_unix())});
  }
  out.Table({"ID", "KIND", "STATE", "TOOL", "REQUESTER", "RUN", "EXPIRES"},
            rows);
  PrintNextPage(out, "approvals list", response.page().next_cursor());
  return absl::OkStatus();
}

absl::Status ShowApproval(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::GetApprovalRequest request;
  request.set_approval_id(context.args().positionals()[0]);
  runs::Approval approval;
  RETURN_IF_ERROR(client.Call(Service::kRuns,
                              &runs::Approvals::Stub::GetApproval, request,
                              &approval));
  if (context.out().json()) return context.out().Json(approval);
  PrintApproval(context.out(), approval);
  return absl::OkStatus();
}

absl::Status Resolve(CommandContext& context, bool approve) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::ResolveApprovalRequest request;
  request.set_approval_id(context.args().positionals()[0]);
  request.set_approve(approve);
  runs::Approval approval;
  RETURN_IF_ERROR(client.Call(Service::kRuns,
                              &runs::Approvals::Stub::ResolveApproval, request,
                              &approval));
  Output& out = context.out();
  if (out.json()) return out.Json(approval);
  out.Line(absl::StrCat(approve ? "Approved " : "Rejected ",
                        approval.tool_name(), " for run ", approval.run_id(),
                        " (approval ", approval.approval_id(), ")."),
           approve ? Colour::kGreen : Colour::kYellow);
  return absl::OkStatus();
}

absl::Status ApproveApproval(CommandContext& context) {
  return Resolve(context, /*approve=*/true);
}

absl::Status RejectApproval(CommandContext& context) {
  return Resolve(context, /*approve=*/false);
}

}  // namespace

void AddApprovalCommands(CommandTable* table) {
  table->groups.push_back(
      {"approvals", "Approvals of protected tool calls (yours, or as approver)"});
  std::vector<FlagSpec> list_flags = PageFlags();
  list_flags.push_back(
      {"status", FlagKind::kValue, "STATE",
       "Only pending, approved, rejected or expired ones"});
  table->commands.push_back(Command{{"approvals", "list"},
                                    "List the approvals you may see",
                                    "",
                                    {},
                                    list_flags,
                                    ListApprovals});
  table->commands.push_back(Command{
      {"approvals", "show"},
      "Show one approval with the arguments it is bound to",
      "",
      {{"APPROVAL_ID", "The approval's id"}},
      {},
      ShowApproval});
  table->commands.push_back(Command{
      {"approvals", "approve"},
      "Approve a tool call; the run may then go on",
      "Needs the approver's permission. Nobody resolves an approval their\n"
      "own run asked for, and an expired one cannot be approved.",
      {{"APPROVAL_ID", "The approval's id"}},
      {},
      ApproveApproval});
  table->commands.push_back(Command{{"approvals", "reject"},
                                    "Reject a tool call",
                                    "",
                                    {{"APPROVAL_ID", "The approval's id"}},
                                    {},
                                    RejectApproval});
}

}  // namespace bastion::cli
