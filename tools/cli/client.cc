#include "tools/cli/client.h"

#include <chrono>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tools/cli/exit_codes.h"

namespace bastion::cli {
namespace {

constexpr size_t kMaxAddressBytes = 256;
constexpr int kDefaultPortBase = 7000;

std::string Env(const std::map<std::string, std::string>& env,
                const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? "" : it->second;
}

absl::Status CheckAddress(const std::string& where,
                          const std::string& address) {
  if (address.empty() || address.size() > kMaxAddressBytes) {
    return UsageError(absl::StrCat(where, " must be a host:port address"));
  }
  for (char c : address) {
    if (c <= ' ' || c > '~') {
      return UsageError(absl::StrCat(where, " must be a host:port address"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

template <typename E>
auto& Slot(E& endpoints, Service service) {
  switch (service) {
    case Service::kAuthn:
      return endpoints.authn;
    case Service::kData:
      return endpoints.data;
    case Service::kRuns:
      break;
  }
  return endpoints.runs;
}

}  // namespace

const std::string& Endpoints::For(Service service) const {
  return Slot(*this, service);
}
std::string& Endpoints::For(Service service) { return Slot(*this, service); }

std::string ServiceName(Service service) {
  switch (service) {
    case Service::kAuthn:
      return "authn";
    case Service::kData:
      return "data";
    case Service::kRuns:
      break;
  }
  return "run-executor";
}

absl::StatusOr<Endpoints> ResolveEndpoints(
    const ParsedArgs& global, const std::map<std::string, std::string>& env) {
  int base = kDefaultPortBase;
  const std::string base_env = Env(env, "BASTION_PORT_BASE");
  if (!base_env.empty() &&
      (!absl::SimpleAtoi(base_env, &base) || base < 1 || base > 65500)) {
    return UsageError(
        "BASTION_PORT_BASE must be a port number from 1 to 65500");
  }
  struct Source {
    Service service;
    const char* flag;
    const char* env;
    int offset;
  };
  const Source sources[] = {
      {Service::kAuthn, "authn-addr", "BASTION_AUTHN_ADDR", 1},
      {Service::kData, "data-addr", "BASTION_DATA_ADDR", 3},
      {Service::kRuns, "runs-addr", "BASTION_RUNS_ADDR", 4}};
  Endpoints endpoints;
  for (const Source& source : sources) {
    std::string address;
    std::string where;
    if (auto own = global.Value(source.flag)) {
      address = *own, where = absl::StrCat("--", source.flag);
    } else if (auto shared = global.Value("addr")) {
      address = *shared, where = "--addr";
    } else if (!Env(env, source.env).empty()) {
      address = Env(env, source.env), where = source.env;
    } else if (!Env(env, "BASTION_ADDR").empty()) {
      address = Env(env, "BASTION_ADDR"), where = "BASTION_ADDR";
    } else {
      address = absl::StrCat("127.0.0.1:", base + source.offset),
      where = "the default";
    }
    absl::Status valid = CheckAddress(where, address);
    if (!valid.ok()) return valid;
    endpoints.For(source.service) = address;
  }
  return endpoints;
}

Client::Client(Endpoints endpoints, tls::TlsFiles tls, absl::Duration timeout,
               std::string credential)
    : endpoints_(std::move(endpoints)),
      tls_(std::move(tls)),
      timeout_(timeout),
      credential_(std::move(credential)) {}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Client::ChannelFor(
    Service service) {
  auto it = channels_.find(service);
  if (it != channels_.end()) return it->second;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      tls::CreateChannel(endpoints_.For(service), tls_);
  if (!channel.ok()) return channel.status();
  channels_.emplace(service, *channel);
  return *channel;
}

void Client::Prepare(grpc::ClientContext* context) const {
  Prepare(context, timeout_);
}

void Client::Prepare(grpc::ClientContext* context,
                     std::optional<absl::Duration> deadline) const {
  if (!credential_.empty()) {
    context->AddMetadata("authorization", "Bearer " + credential_);
  }
  if (deadline.has_value()) {
    context->set_deadline(std::chrono::system_clock::now() +
                          absl::ToChronoMilliseconds(*deadline));
  }
}

absl::Status Client::Translate(Service service,
                               const grpc::Status& status) const {
  absl::Status translated = FromGrpcStatus(status);
  if (translated.code() == absl::StatusCode::kUnavailable ||
      translated.code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::Status(
        translated.code(),
        absl::StrCat(translated.code() == absl::StatusCode::kUnavailable
                         ? "cannot reach "
                         : "no answer in time from ",
                     ServiceName(service), " at ", endpoints_.For(service),
                     " (", translated.message(), ")"));
  }
  return translated;
}

}  // namespace bastion::cli
