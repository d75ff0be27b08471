#include "common/auth/guard_wiring.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/assertion/local_authenticator.h"
#include "common/assertion/verifier.h"
#include "common/auth/remote_assertion_keys.h"
#include "common/auth/remote_audit.h"
#include "common/clock/clock.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace bastion {
namespace {

constexpr size_t kCacheCapacity = 100000;

// The string field `name` of `config`, empty when the message has none.
std::string StringField(const google::protobuf::Message& config,
                        const std::string& name) {
  const google::protobuf::FieldDescriptor* field =
      config.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr ||
      field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      field->is_repeated()) {
    return "";
  }
  return config.GetReflection()->GetString(config, field);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GuardWiring>> GuardWiring::FromConfig(
    const google::protobuf::Message& config, const std::string& service_name,
    LocalGuardParts local) {
  GuardSettings settings;
  settings.service_name = service_name;
  settings.authn_address = StringField(config, "authn_address");
  settings.authz_address = StringField(config, "authz_address");
  settings.data_address = StringField(config, "data_address");
  settings.service_key_file = StringField(config, "service_key_file");
  settings.trusted_services_file = StringField(config, "trusted_services_file");
  settings.assertion_audience = StringField(config, "assertion_audience");
  settings.tls.cert_file = StringField(config, "tls_cert_file");
  settings.tls.key_file = StringField(config, "tls_key_file");
  settings.tls.ca_file = StringField(config, "tls_ca_file");
  const google::protobuf::Descriptor* descriptor = config.GetDescriptor();
  const google::protobuf::Reflection* reflection = config.GetReflection();
  if (const auto* field = descriptor->FindFieldByName("tls_require_client_cert");
      field != nullptr &&
      field->type() == google::protobuf::FieldDescriptor::TYPE_BOOL) {
    settings.tls.require_client_cert = reflection->GetBool(config, field);
  }
  if (const auto* field = descriptor->FindFieldByName("rate_limits");
      field != nullptr &&
      field->message_type() == common::v1::RateLimitConfig::descriptor()) {
    settings.rate_limits.CopyFrom(reflection->GetMessage(config, field));
  }
  return Create(settings, std::move(local));
}

absl::StatusOr<std::unique_ptr<GuardWiring>> GuardWiring::Create(
    const GuardSettings& settings, LocalGuardParts local) {
  std::unique_ptr<GuardWiring> wiring(new GuardWiring());
  ASSIGN_OR_RETURN(tls::ServiceCredentials credentials,
                   tls::ServiceCredentialsFrom(settings.tls));
  wiring->server_credentials_ = credentials.server;

  if (!settings.service_key_file.empty()) {
    ASSIGN_OR_RETURN(wiring->identity_,
                     ServiceIdentity::LoadOrGenerate(settings.service_key_file,
                                                     settings.service_name));
  } else if (local.authorizer == nullptr) {
    return absl::InvalidArgumentError(
        "service_key_file: required (authz answers only services it trusts)");
  }
  wiring->channels_ = std::make_unique<ChannelFactory>(credentials.channels,
                                                       wiring->identity_.get());
  const ChannelFactory& channels = *wiring->channels_;
  const Clock* clock = SystemClock::Get();

  GuardDependencies& dependencies = wiring->dependencies_;
  // Who is calling: our own verdicts in authn, authn's everywhere else.
  if (local.authenticator != nullptr) {
    dependencies.authenticator = local.authenticator;
    dependencies.assertions = local.assertions;
  } else {
    std::shared_ptr<grpc::Channel> authn =
        channels.AnonymousChannel(settings.authn_address);
    wiring->authenticator_ = std::make_unique<RemoteAuthenticator>(
        authn, kCredentialCacheTtl, kCacheCapacity, clock);
    wiring->assertions_ =
        std::make_unique<assertion::LocalAssertionAuthenticator>(
            std::make_shared<const assertion::AssertionVerifier>(
                std::make_shared<RemoteAssertionKeyProvider>(
                    authn, kAssertionKeyRefresh, kAssertionKeyRefetch, clock),
                clock, AudienceOrDefault(settings.assertion_audience)));
    dependencies.authenticator = wiring->authenticator_.get();
    dependencies.assertions = wiring->assertions_.get();
  }
  // May they: authz's own engine, or authz asked as this service (without
  // an address, every permission check fails closed).
  if (local.authorizer != nullptr) {
    dependencies.authorizer = local.authorizer;
  } else if (!settings.authz_address.empty()) {
    wiring->authorizer_ = std::make_unique<RemoteAuthorizer>(
        channels.Channel(settings.authz_address), kDecisionCacheTtl,
        kCacheCapacity, clock);
    dependencies.authorizer = wiring->authorizer_.get();
  }
  if (!settings.trusted_services_file.empty()) {
    ASSIGN_OR_RETURN(wiring->services_,
                     TrustedServices::Load(settings.trusted_services_file));
    dependencies.services = wiring->services_.get();
  }
  if (!settings.rate_limits.disabled()) {
    ASSIGN_OR_RETURN(wiring->rate_limiter_,
                     TokenBucketLimiter::Create(settings.rate_limits, clock));
    dependencies.rate_limiter = wiring->rate_limiter_.get();
  }
  // Denials go to the suite's audit log: data writes its own, the others
  // send theirs through data's AuditWriter (which must trust this service).
  if (local.audit_writer) {
    wiring->audit_ =
        std::make_unique<QueuedAuditSink>(std::move(local.audit_writer));
  } else if (wiring->identity_ != nullptr && !settings.data_address.empty()) {
    wiring->audit_ = std::make_unique<QueuedAuditSink>(
        RemoteAuditWriter(channels.Channel(settings.data_address)));
  } else {
    Log(LogLevel::kWarning, "denials_not_audited",
        {{"detail", "set service_key_file and data_address to append "
                    "denials to the audit log; they are only logged"}});
  }
  dependencies.audit = wiring->audit_.get();
  return wiring;
}

}  // namespace bastion
