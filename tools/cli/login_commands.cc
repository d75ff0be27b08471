// login, logout, whoami: getting a credential (a development token minted
// from the dev key, or a pasted token or API key), checking it with authn,
// and keeping it in the credential store.
#include <google/protobuf/struct.pb.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bastion/authn/v1/authn.grpc.pb.h"
#include "common/status/status_macros.h"
#include "tools/cli/commands.h"
#include "tools/cli/dev_token.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/listing.h"

namespace bastion::cli {
namespace {

using bastion::authn::v1::AuthenticateRequest;
using bastion::authn::v1::AuthenticateResponse;
using bastion::authn::v1::Authn;
using bastion::common::v1::Principal;

// A pasted line is at most this long (twice authn's credential limit, so a
// too-long credential gets ParseCredential's clear message).
constexpr size_t kMaxPastedBytes = 16 * 1024;

const char* const kDevOnlyFlags[] = {"sub", "tenant", "role",     "scope",
                                     "kid", "issuer", "audience", "ttl"};

std::string KindLabel(bastion::common::v1::CredentialKind kind) {
  return kind == bastion::common::v1::CREDENTIAL_KIND_API_KEY ? "API key"
                                                              : "token";
}

absl::StatusOr<std::string> ReadPasted(CommandContext& context) {
  Terminal& terminal = context.terminal();
  if (terminal.in_is_tty && terminal.read_secret) {
    return terminal.read_secret("Paste a token or API key (input hidden): ");
  }
  std::string line;
  char c = 0;
  while (terminal.in->get(c) && c != '\n') {
    if (line.size() >= kMaxPastedBytes) {
      return absl::InvalidArgumentError("the credential is too long");
    }
    line.push_back(c);
  }
  return line;
}

absl::StatusOr<std::string> MintFromFlags(CommandContext& context,
                                          const std::string& key) {
  const ParsedArgs& args = context.args();
  DevTokenClaims claims;
  claims.subject = args.Value("sub").value_or("");
  if (claims.subject.empty())
    return UsageError("--dev-key needs --sub (the user to be)");
  claims.tenant = args.Value("tenant").value_or("");
  claims.roles = SplitList(args.Values("role"));
  claims.scopes = SplitList(args.Values("scope"));
  const std::string from_path = KeyIdFromPath(key);
  claims.key_id =
      args.Value("kid").value_or(from_path.empty() ? "dev" : from_path);
  claims.issuer = args.Value("issuer").value_or(claims.issuer);
  claims.audience = args.Value("audience").value_or(claims.audience);
  if (auto ttl = args.Value("ttl")) {
    ASSIGN_OR_RETURN(claims.lifetime, ParseDurationFlag("ttl", *ttl));
    if (claims.lifetime <= absl::ZeroDuration())
      return UsageError("--ttl must be positive");
  }
  return MintDevTokenFromFile(key, claims, context.terminal().clock->Now());
}

// Asks authn who the credential belongs to (Authenticate is public: the
// credential travels in the request).
absl::StatusOr<AuthenticateResponse> WhoIs(CommandContext& context,
                                           const std::string& credential) {
  ASSIGN_OR_RETURN(Client client, context.ClientWith(""));
  AuthenticateRequest request;
  request.set_credential(credential);
  AuthenticateResponse response;
  RETURN_IF_ERROR(client.Call(Service::kAuthn, &Authn::Stub::Authenticate,
                              request, &response));
  return response;
}

void PrintPrincipal(Output& out, const Principal& principal) {
  out.Fields({
      {"Subject", Cell(principal.subject(), Colour::kCyan)},
      {"Tenant", principal.tenant_id()},
      {"Credential", KindLabel(principal.credential_kind())},
      {"Roles",
       principal.roles().empty() ? "-" : absl::StrJoin(principal.roles(), " ")},
      {"Scopes", principal.scopes().empty()
                     ? "-"
                     : absl::StrJoin(principal.scopes(), " ")},
      {"Issuer", principal.issuer()},
      {"Expires", FormatUnixSeconds(principal.expires_at_unix())},
  });
}

absl::Status Login(CommandContext& context) {
  const ParsedArgs& args = context.args();
  std::string pasted;
  if (auto key = args.Value("dev-key")) {
    ASSIGN_OR_RETURN(pasted, MintFromFlags(context, *key));
  } else {
    for (const char* flag : kDevOnlyFlags) {
      if (!args.Values(flag).empty()) {
        return UsageError(absl::StrCat("--", flag, " needs --dev-key"));
      }
    }
    ASSIGN_OR_RETURN(pasted, ReadPasted(context));
  }
  ASSIGN_OR_RETURN(StoredCredential credential, ParseCredential(pasted));
  ASSIGN_OR_RETURN(AuthenticateResponse who, WhoIs(context, credential.secret));
  credential.subject = who.principal().subject();
  credential.tenant = who.principal().tenant_id();
  credential.expires_at_unix = who.principal().expires_at_unix();
  ASSIGN_OR_RETURN(CredentialStore store, context.Store());
  RETURN_IF_ERROR(store.Save(credential));

  Output& out = context.out();
  if (out.json()) return out.Json(who.principal());
  const Style& style = out.style();
  out.stream() << "Logged in as "
               << style.Paint(Colour::kCyan, Printable(credential.subject))
               << " (tenant " << Printable(credential.tenant) << ") with "
               << (credential.kind == CredentialKind::kApiKey ? "an API key"
                                                              : "a token")
               << ", valid until "
               << FormatUnixSeconds(credential.expires_at_unix) << ".\n"
               << style.Paint(
                      Colour::kDim,
                      absl::StrCat("Stored in ", store.path(), " (mode 0600)."))
               << "\n";
  return absl::OkStatus();
}

absl::Status Logout(CommandContext& context) {
  ASSIGN_OR_RETURN(CredentialStore store, context.Store());
  ASSIGN_OR_RETURN(bool removed, store.Remove());
  Output& out = context.out();
  if (out.json()) {
    google::protobuf::Struct result;
    (*result.mutable_fields())["removed"].set_bool_value(removed);
    return out.Json(result);
  }
  out.Line(removed ? absl::StrCat("Logged out (removed ", store.path(), ").")
                   : "Not logged in.");
  return absl::OkStatus();
}

absl::Status WhoAmI(CommandContext& context) {
  ASSIGN_OR_RETURN(StoredCredential credential, context.Credential());
  ASSIGN_OR_RETURN(AuthenticateResponse who, WhoIs(context, credential.secret));
  if (context.out().json()) return context.out().Json(who.principal());
  PrintPrincipal(context.out(), who.principal());
  return absl::OkStatus();
}

}  // namespace

void AddLoginCommands(CommandTable* table) {
  table->commands.push_back(Command{
      {"login"},
      "Log in with a development token, or a token or API key you paste",
      "With --dev-key, mints a development token signed with the suite's\n"
      "development key (tools/up.sh writes .bastion/keys/dev.private.pem), "
      "e.g.\n"
      "  bastion login --dev-key .bastion/keys/dev.private.pem --sub alice \\\n"
      "      --tenant acme --role member\n"
      "Without it, reads a token or API key from the terminal (input hidden) "
      "or\n"
      "from standard input:  bastion login < token.txt\n"
      "authn checks the credential first; only one it accepts is stored, in\n"
      "CONFIG_DIR/credentials with mode 0600.",
      {},
      {
          {"dev-key", FlagKind::kValue, "FILE",
           "Sign a development token with this key"},
          {"sub", FlagKind::kValue, "SUBJECT",
           "The token's user (with --dev-key)"},
          {"tenant", FlagKind::kValue, "TENANT", "The token's tenant"},
          {"role", FlagKind::kRepeated, "ROLE",
           "A role, e.g. member, admin, owner"},
          {"scope", FlagKind::kRepeated, "SCOPE",
           "A scope, e.g. sessions:read"},
          {"kid", FlagKind::kValue, "KID",
           "Key id (default: from the file name, else dev)"},
          {"issuer", FlagKind::kValue, "ISS",
           "Issuer (default https://dev.bastion.local)"},
          {"audience", FlagKind::kValue, "AUD", "Audience (default bastion)"},
          {"ttl", FlagKind::kValue, "DURATION", "Lifetime (default 1h)"},
      },
      Login});
  table->commands.push_back(
      Command{{"logout"}, "Forget the stored credential", "", {}, {}, Logout});
  table->commands.push_back(
      Command{{"whoami"},
              "Show who the current credential is (as authn sees it)",
              "Uses BASTION_TOKEN when set, else the stored credential.",
              {},
              {},
              WhoAmI});
}

}  // namespace bastion::cli
