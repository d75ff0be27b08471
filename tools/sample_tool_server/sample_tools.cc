#include "tools/sample_tool_server/sample_tools.h"

#include <algorithm>
#include <optional>

#include <cstdio>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "nlohmann/json.hpp"

namespace bastion::sample {

using nlohmann::json;

namespace {

constexpr size_t kMaxArgumentsBytes = 64 * 1024;
constexpr int64_t kMaxSleepMs = 60 * 1000;
constexpr int64_t kMaxBigResultBytes = 8 * 1024 * 1024;

struct Order {
  const char* id;
  const char* status;
};
constexpr Order kOrders[] = {
    {"A-1001", "shipped"}, {"A-1002", "processing"}, {"A-1003", "delivered"}};

runs::v1::ToolSpec Spec(const char* name, const char* description,
                        const char* schema) {
  runs::v1::ToolSpec spec;
  spec.set_name(name);
  spec.set_description(description);
  spec.set_parameters_json_schema(schema);
  return spec;
}

runs::v1::ToolResult Result(const runs::v1::InvokeToolRequest& request,
                            std::string content, bool is_error) {
  runs::v1::ToolResult result;
  result.set_tool_call_id(request.tool_call_id());
  result.set_content(std::move(content));
  result.set_is_error(is_error);
  return result;
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false,
                    json::error_handler_t::replace);
}

json ActedFor(const common::v1::Principal& user) {
  return {{"tenant_id", user.tenant_id()}, {"subject", user.subject()}};
}

bool ValidServiceName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
  });
}

// An integer argument within [0, max], or nullopt.
std::optional<int64_t> Bounded(const json& arguments, const char* key,
                               int64_t max) {
  auto found = arguments.find(key);
  if (found == arguments.end() || !found->is_number_integer()) {
    return std::nullopt;
  }
  const int64_t value = found->get<int64_t>();
  if (value < 0 || value > max) return std::nullopt;
  return value;
}

}  // namespace

std::vector<runs::v1::ToolSpec> SampleTools::Specs() {
  return {
      Spec("lookup_order", "Looks up the status of an order by its id.",
           R"({"type":"object","properties":{"order_id":{"type":"string"}},)"
           R"("required":["order_id"]})"),
      Spec("restart_service",
           "Requests a restart of a service by name (a sample: nothing "
           "restarts).",
           R"({"type":"object","properties":{"name":{"type":"string"}},)"
           R"("required":["name"]})"),
      Spec("sleep", "Waits for the given milliseconds (for timeout tests).",
           R"({"type":"object","properties":{"ms":{"type":"integer",)"
           R"("minimum":0,"maximum":60000}},"required":["ms"]})"),
      Spec("big_result",
           "Answers with the given number of bytes (for size-limit tests).",
           R"({"type":"object","properties":{"bytes":{"type":"integer",)"
           R"("minimum":0,"maximum":8388608}},"required":["bytes"]})"),
      Spec("call_count",
           "How many calls reached each tool of this server so far.",
           R"({"type":"object"})"),
  };
}

absl::StatusOr<runs::v1::ToolResult> SampleTools::Invoke(
    const common::v1::Principal& user, const runs::v1::InvokeToolRequest& request,
    const std::function<bool()>& cancelled) {
  const std::string& tool = request.tool_name();
  if (tool == "call_count") {
    const std::map<std::string, int64_t> counts = Counts();
    int64_t total = 0;
    for (const auto& [name, count] : counts) total += count;
    return Result(request,
                  Dump({{"counts", counts},
                        {"total", total},
                        {"acted_for", ActedFor(user)}}),
                  /*is_error=*/false);
  }
  if (tool != "lookup_order" && tool != "restart_service" && tool != "sleep" &&
      tool != "big_result") {
    return absl::NotFoundError("no such tool on this server");
  }
  Count(tool);

  json arguments;
  if (request.arguments_json().size() <= kMaxArgumentsBytes) {
    arguments = json::parse(request.arguments_json(), nullptr,
                            /*allow_exceptions=*/false);
  }
  if (!arguments.is_object()) {
    return Result(request, "arguments must be a JSON object", true);
  }

  if (tool == "lookup_order") {
    auto id = arguments.find("order_id");
    if (id == arguments.end() || !id->is_string()) {
      return Result(request, "order_id (a string) is required", true);
    }
    for (const Order& order : kOrders) {
      if (*id == order.id) {
        return Result(request,
                      Dump({{"order_id", order.id},
                            {"status", order.status},
                            {"acted_for", ActedFor(user)}}),
                      /*is_error=*/false);
      }
    }
    return Result(request, "no order with this id", true);
  }
  if (tool == "restart_service") {
    auto name = arguments.find("name");
    if (name == arguments.end() || !name->is_string() ||
        !ValidServiceName(name->get<std::string>())) {
      return Result(request, "name must be 1-64 of a-z, 0-9 and -", true);
    }
    return Result(request,
                  Dump({{"service", *name},
                        {"restart", "requested"},
                        {"acted_for", ActedFor(user)}}),
                  /*is_error=*/false);
  }
  if (tool == "sleep") {
    std::optional<int64_t> ms = Bounded(arguments, "ms", kMaxSleepMs);
    if (!ms.has_value()) return Result(request, "ms must be 0 to 60000", true);
    const absl::Time until = absl::Now() + absl::Milliseconds(*ms);
    while (absl::Now() < until) {
      if (cancelled && cancelled()) return absl::CancelledError("cancelled");
      absl::SleepFor(std::min(absl::Milliseconds(10), until - absl::Now()));
    }
    return Result(request,
                  Dump({{"slept_ms", *ms}, {"acted_for", ActedFor(user)}}),
                  /*is_error=*/false);
  }
  std::optional<int64_t> bytes =
      Bounded(arguments, "bytes", kMaxBigResultBytes);
  if (!bytes.has_value()) {
    return Result(request, "bytes must be 0 to 8388608", true);
  }
  return Result(request, std::string(static_cast<size_t>(*bytes), 'x'),
                /*is_error=*/false);
}

void SampleTools::Count(const std::string& tool) {
  {
    absl::MutexLock lock(&mutex_);
    ++counts_[tool];
  }
  if (!on_count_) return;
  // One report at a time, each with the counts as they are then, so the
  // last report holds the latest counts.
  absl::MutexLock report(&report_mutex_);
  on_count_(Counts());
}

std::map<std::string, int64_t> SampleTools::Counts() const {
  absl::MutexLock lock(&mutex_);
  return counts_;
}

void WriteCountFile(const std::string& path,
                    const std::map<std::string, int64_t>& counts) {
  int64_t total = 0;
  for (const auto& [tool, count] : counts) total += count;
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << Dump({{"counts", counts}, {"total", total}}) << "\n";
    if (!out) {
      Log(LogLevel::kError, "count_file_not_written", {{"path", path}});
      return;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    Log(LogLevel::kError, "count_file_not_written", {{"path", path}});
  }
}

}  // namespace bastion::sample
