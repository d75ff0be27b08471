#include "services/authn/authn_service.h"

#include <utility>

#include "common/server/finish.h"
#include "common/status/answer.h"

namespace bastion::authn {
namespace {

absl::Status ApiKeysNotConfigured() {
  return absl::FailedPreconditionError(
      "API keys are not configured on this authn (no database_url)");
}

}  // namespace

AuthnService::AuthnService(const CredentialAuthenticator* authenticator,
                           const assertion::AssertionSigner* signer,
                           const ApiKeyManager* api_keys, CallGuard guard)
    : authenticator_(authenticator),
      signer_(signer),
      api_keys_(api_keys),
      guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* AuthnService::Authenticate(
    grpc::CallbackServerContext* context,
    const v1::AuthenticateRequest* request,
    v1::AuthenticateResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "Authenticate", *request, [&](const Caller&) {
        if (!request->assertion_audience().empty() &&
            request->assertion_audience() !=
                authenticator_->assertion_audience()) {
          return absl::InvalidArgumentError("unknown assertion audience");
        }
        if (request->credential().size() > kMaxCredentialBytes) {
          return absl::UnauthenticatedError("invalid credentials");
        }
        absl::StatusOr<AuthenticatedCredential> result =
            authenticator_->AuthenticateCredential(request->credential());
        if (!result.ok()) return result.status();
        *response->mutable_principal() = std::move(result->caller.principal);
        response->set_assertion(std::move(result->caller.assertion));
        response->set_assertion_expires_at_unix(
            absl::ToUnixSeconds(result->assertion_expires));
        return absl::OkStatus();
      }));
}

grpc::ServerUnaryReactor* AuthnService::CreateApiKey(
    grpc::CallbackServerContext* context,
    const v1::CreateApiKeyRequest* request,
    v1::CreateApiKeyResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "CreateApiKey", *request, [&](const Caller& c) {
        if (api_keys_ == nullptr) return ApiKeysNotConfigured();
        return Answer(api_keys_->Create(c.principal, *request), response);
      }));
}

grpc::ServerUnaryReactor* AuthnService::ListApiKeys(
    grpc::CallbackServerContext* context, const v1::ListApiKeysRequest* request,
    v1::ListApiKeysResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "ListApiKeys", *request, [&](const Caller& c) {
        if (api_keys_ == nullptr) return ApiKeysNotConfigured();
        return Answer(api_keys_->List(c.principal, *request), response);
      }));
}

grpc::ServerUnaryReactor* AuthnService::RevokeApiKey(
    grpc::CallbackServerContext* context,
    const v1::RevokeApiKeyRequest* request,
    v1::RevokeApiKeyResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "RevokeApiKey", *request, [&](const Caller& c) {
        if (api_keys_ == nullptr) return ApiKeysNotConfigured();
        return Answer(api_keys_->Revoke(c.principal, *request), response);
      }));
}

grpc::ServerUnaryReactor* AuthnService::RotateApiKey(
    grpc::CallbackServerContext* context,
    const v1::RotateApiKeyRequest* request,
    v1::RotateApiKeyResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "RotateApiKey", *request, [&](const Caller& c) {
        if (api_keys_ == nullptr) return ApiKeysNotConfigured();
        return Answer(api_keys_->Rotate(c.principal, *request), response);
      }));
}

grpc::ServerUnaryReactor* AuthnService::GetAssertionKeys(
    grpc::CallbackServerContext* context,
    const v1::GetAssertionKeysRequest* request,
    v1::GetAssertionKeysResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "GetAssertionKeys", *request, [&](const Caller&) {
        *response->add_keys() = signer_->PublicKey();
        return absl::OkStatus();
      }));
}

}  // namespace bastion::authn
