// traces: list the caller's traces, and show one as a tree of spans with
// its hash-chain verification.
#include "absl/strings/str_cat.h"
#include "bastion/data/v1/data.grpc.pb.h"
#include "common/status/status_macros.h"
#include "tools/cli/commands.h"
#include "tools/cli/listing.h"
#include "tools/cli/trace_tree.h"

namespace bastion::cli {
namespace {

namespace data = bastion::data::v1;

std::string Duration(int64_t start_nanos, int64_t end_nanos) {
  return end_nanos == 0 ? "open" : FormatNanos(end_nanos - start_nanos);
}

absl::Status ListTraces(CommandContext& context) {
  const ParsedArgs& args = context.args();
  data::ListTracesRequest request;
  ASSIGN_OR_RETURN(*request.mutable_page(), PageFrom(args));
  request.set_user_id(args.Value("user").value_or(""));

  ASSIGN_OR_RETURN(Client client, context.Connect());
  data::ListTracesResponse response;
  RETURN_IF_ERROR(client.Call(Service::kData, &data::Traces::Stub::ListTraces,
                              request, &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  if (response.traces().empty()) {
    out.Line("No traces.", Colour::kDim);
    return absl::OkStatus();
  }
  std::vector<std::vector<Cell>> rows;
  for (const data::TraceSummary& trace : response.traces()) {
    rows.push_back(
        {Cell(trace.trace_id(), Colour::kCyan), trace.root_name(),
         absl::StrCat(trace.span_count()),
         FormatUnixMicros(trace.start_time_unix_nano() / 1000),
         Duration(trace.start_time_unix_nano(), trace.end_time_unix_nano()),
         trace.user_id()});
  }
  out.Table({"ID", "ROOT", "SPANS", "STARTED", "DURATION", "OWNER"}, rows);
  PrintNextPage(out, "traces list", response.page().next_cursor());
  return absl::OkStatus();
}

void PrintTree(Output& out, const std::string& trace_id,
               const data::GetTraceResponse& trace) {
  const Style& style = out.style();
  std::vector<data::Span> spans(trace.spans().begin(), trace.spans().end());
  out.stream() << style.Paint(Colour::kBold, "Trace ")
               << style.Paint(Colour::kCyan, Printable(trace_id)) << "  "
               << spans.size() << (spans.size() == 1 ? " span" : " spans")
               << "  ";
  if (trace.chain_valid()) {
    out.stream() << style.Paint(Colour::kGreen, "hash chain verified") << "\n";
  } else {
    out.stream() << style.Paint(Colour::kRed,
                                absl::StrCat("hash chain BROKEN at span #",
                                             trace.first_invalid_seq(),
                                             ": the stored spans were altered"))
                 << "\n";
  }
  for (const TraceLine& line : LayoutTrace(spans)) {
    const data::Span& span = *line.span;
    std::string text = style.Paint(Colour::kDim, line.prefix);
    if (line.depth > kMaxDrawnDepth) {
      absl::StrAppend(
          &text,
          style.Paint(Colour::kDim, absl::StrCat("[depth ", line.depth, "] ")));
    }
    absl::StrAppend(
        &text, Printable(span.name()), "  ",
        style.Paint(Colour::kDim, Duration(span.start_time_unix_nano(),
                                           span.end_time_unix_nano())));
    if (span.status() == data::SPAN_STATUS_ERROR) {
      absl::StrAppend(
          &text, "  ",
          style.Paint(
              Colour::kRed,
              absl::StrCat("error", span.status_message().empty() ? "" : ": ",
                           Printable(span.status_message()))));
    }
    if (line.detached) {
      absl::StrAppend(
          &text, "  ",
          style.Paint(Colour::kYellow,
                      absl::StrCat("(parent ", Printable(span.parent_span_id()),
                                   " not reachable)")));
    }
    absl::StrAppend(&text, "  ",
                    style.Paint(Colour::kDim, Printable(span.span_id())));
    out.stream() << text << "\n";
  }
}

absl::Status ShowTrace(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  data::GetTraceRequest request;
  request.set_trace_id(context.args().positionals()[0]);
  data::GetTraceResponse response;
  RETURN_IF_ERROR(client.Call(Service::kData, &data::Traces::Stub::GetTrace,
                              request, &response));
  if (context.out().json()) return context.out().Json(response);
  PrintTree(context.out(), request.trace_id(), response);
  return absl::OkStatus();
}

}  // namespace

void AddTraceCommands(CommandTable* table) {
  table->groups.push_back(
      {"traces", "Traces of your runs (append-only, hash-chained)"});
  std::vector<FlagSpec> list_flags = PageFlags();
  list_flags.push_back({"user", FlagKind::kValue, "USER",
                        "Only this user's (tenant admins only)"});
  table->commands.push_back(Command{{"traces", "list"},
                                    "List your traces, newest first",
                                    "",
                                    {},
                                    list_flags,
                                    ListTraces});
  table->commands.push_back(Command{
      {"traces", "show"},
      "Show one trace as a tree of spans",
      "Spans are drawn under their parent, siblings by start time, with each\n"
      "span's duration and errors. The header says whether the trace's hash\n"
      "chain verifies (it does not when stored spans were altered).",
      {{"TRACE_ID", "The trace's id"}},
      {},
      ShowTrace});
}

}  // namespace bastion::cli
