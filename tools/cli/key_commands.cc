// keys: create, list, revoke and rotate the caller's API keys in authn.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bastion/authn/v1/authn.grpc.pb.h"
#include "common/status/status_macros.h"
#include "tools/cli/commands.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/listing.h"

namespace bastion::cli {
namespace {

namespace authn = bastion::authn::v1;

Cell KeyState(const authn::ApiKey& key, absl::Time now) {
  if (key.revoked_at_unix() != 0) return Cell("revoked", Colour::kRed);
  if (key.expires_at_unix() != 0 &&
      absl::FromUnixSeconds(key.expires_at_unix()) <= now) {
    return Cell("expired", Colour::kYellow);
  }
  return Cell("active", Colour::kGreen);
}

void PrintKey(Output& out, const authn::ApiKey& key, absl::Time now) {
  out.Fields({
      {"ID", Cell(key.key_id(), Colour::kCyan)},
      {"Name", key.name()},
      {"State", KeyState(key, now)},
      {"Prefix", key.display_prefix()},
      {"Scopes", key.scopes().empty() ? "-" : absl::StrJoin(key.scopes(), " ")},
      {"Rate limit", key.rate_limit_per_second() == 0
                         ? "tenant default"
                         : absl::StrCat(key.rate_limit_per_second(), "/s")},
      {"Created", FormatUnixSeconds(key.created_at_unix())},
      {"Expires", FormatUnixSeconds(key.expires_at_unix())},
  });
}

void PrintSecret(Output& out, const std::string& secret) {
  const Style& style = out.style();
  out.stream() << style.Paint(Colour::kBold, "Secret:") << "  "
               << style.Paint(Colour::kYellow, Printable(secret)) << "\n"
               << style.Paint(Colour::kDim,
                              "Shown this once; only its hash is stored. Keep "
                              "it somewhere safe.")
               << "\n";
}

absl::Status CreateKey(CommandContext& context) {
  const ParsedArgs& args = context.args();
  const auto name = args.Value("name");
  if (!name.has_value()) return UsageError("--name is required");
  authn::CreateApiKeyRequest request;
  request.set_name(*name);
  for (const std::string& scope : SplitList(args.Values("scope")))
    request.add_scopes(scope);
  if (auto ttl = args.Value("ttl")) {
    ASSIGN_OR_RETURN(absl::Duration lifetime, ParseDurationFlag("ttl", *ttl));
    if (lifetime < absl::Seconds(1))
      return UsageError("--ttl must be at least 1s");
    request.set_ttl_seconds(absl::ToInt64Seconds(lifetime));
  }
  if (auto limit = args.Value("rate-limit")) {
    ASSIGN_OR_RETURN(int per_second,
                     ParseIntFlag("rate-limit", *limit, 1, 1000000));
    request.set_rate_limit_per_second(per_second);
  }
  ASSIGN_OR_RETURN(Client client, context.Connect());
  authn::CreateApiKeyResponse response;
  RETURN_IF_ERROR(client.Call(
      Service::kAuthn, &authn::Authn::Stub::CreateApiKey, request, &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  out.Line(absl::StrCat("Created API key ", response.key().key_id(), "."),
           Colour::kGreen);
  PrintKey(out, response.key(), context.terminal().clock->Now());
  PrintSecret(out, response.secret());
  return absl::OkStatus();
}

absl::Status ListKeys(CommandContext& context) {
  const ParsedArgs& args = context.args();
  authn::ListApiKeysRequest request;
  ASSIGN_OR_RETURN(*request.mutable_page(), PageFrom(args));
  request.set_include_inactive(args.Switch("all"));
  ASSIGN_OR_RETURN(Client client, context.Connect());
  authn::ListApiKeysResponse response;
  RETURN_IF_ERROR(client.Call(Service::kAuthn, &authn::Authn::Stub::ListApiKeys,
                              request, &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  if (response.keys().empty()) {
    out.Line(
        request.include_inactive() ? "No API keys." : "No active API keys.",
        Colour::kDim);
    return absl::OkStatus();
  }
  const absl::Time now = context.terminal().clock->Now();
  std::vector<std::vector<Cell>> rows;
  for (const authn::ApiKey& key : response.keys()) {
    rows.push_back(
        {Cell(key.key_id(), Colour::kCyan), key.name(), key.display_prefix(),
         KeyState(key, now), FormatUnixSeconds(key.expires_at_unix()),
         key.scopes().empty() ? "-" : absl::StrJoin(key.scopes(), " ")});
  }
  out.Table({"ID", "NAME", "PREFIX", "STATE", "EXPIRES", "SCOPES"}, rows);
  PrintNextPage(out,
                request.include_inactive() ? "keys list --all" : "keys list",
                response.page().next_cursor());
  return absl::OkStatus();
}

absl::Status RevokeKey(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  authn::RevokeApiKeyRequest request;
  request.set_key_id(context.args().positionals()[0]);
  authn::RevokeApiKeyResponse response;
  RETURN_IF_ERROR(client.Call(
      Service::kAuthn, &authn::Authn::Stub::RevokeApiKey, request, &response));
  if (context.out().json()) return context.out().Json(response);
  context.out().Line(
      absl::StrCat("Revoked API key ", response.key().key_id(), "."));
  return absl::OkStatus();
}

absl::Status RotateKey(CommandContext& context) {
  authn::RotateApiKeyRequest request;
  request.set_key_id(context.args().positionals()[0]);
  if (auto grace = context.args().Value("grace")) {
    ASSIGN_OR_RETURN(absl::Duration period, ParseDurationFlag("grace", *grace));
    request.set_grace_seconds(absl::ToInt64Seconds(period));
  }
  ASSIGN_OR_RETURN(Client client, context.Connect());
  authn::RotateApiKeyResponse response;
  RETURN_IF_ERROR(client.Call(
      Service::kAuthn, &authn::Authn::Stub::RotateApiKey, request, &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  out.Line(absl::StrCat(
               "Rotated API key ", response.key().key_id(),
               "; the old secret works until ",
               FormatUnixSeconds(response.old_secret_expires_at_unix()), "."),
           Colour::kGreen);
  PrintSecret(out, response.secret());
  return absl::OkStatus();
}

}  // namespace

void AddKeyCommands(CommandTable* table) {
  table->groups.push_back(
      {"keys", "Your API keys (for scripts and integrations)"});
  table->commands.push_back(Command{
      {"keys", "create"},
      "Create an API key; prints its secret once",
      "Each scope must be one your credential holds, spelled as in it. An API\n"
      "key cannot create or rotate keys.",
      {},
      {
          {"name", FlagKind::kValue, "NAME",
           "A name to tell it apart (required)"},
          {"scope", FlagKind::kRepeated, "SCOPE",
           "A scope for the key, e.g. agents:read"},
          {"ttl", FlagKind::kValue, "DURATION",
           "Lifetime (default 90d, at most 365d)"},
          {"rate-limit", FlagKind::kValue, "N",
           "Requests per second (default: tenant's)"},
      },
      CreateKey});
  std::vector<FlagSpec> list_flags = PageFlags();
  list_flags.push_back(
      {"all", FlagKind::kSwitch, "", "Include revoked and expired keys"});
  table->commands.push_back(Command{{"keys", "list"},
                                    "List your API keys (never their secrets)",
                                    "",
                                    {},
                                    list_flags,
                                    ListKeys});
  table->commands.push_back(
      Command{{"keys", "revoke"},
              "Revoke one of your API keys",
              "Other services refuse it within about a second.",
              {{"KEY_ID", "The key's id"}},
              {},
              RevokeKey});
  table->commands.push_back(
      Command{{"keys", "rotate"},
              "Issue a new secret; the old one works for a grace period",
              "",
              {{"KEY_ID", "The key's id"}},
              {{"grace", FlagKind::kValue, "DURATION",
                "How long the old secret works (default 24h)"}},
              RotateKey});
}

}  // namespace bastion::cli
