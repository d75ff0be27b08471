// gRPC adapter of authn: Authenticate and GetAssertionKeys (public), API key
// management behind the call guard.
#ifndef BASTION_SERVICES_AUTHN_AUTHN_SERVICE_H_
#define BASTION_SERVICES_AUTHN_AUTHN_SERVICE_H_

#include "bastion/authn/v1/authn.grpc.pb.h"
#include "common/assertion/signer.h"
#include "common/auth/call_guard.h"
#include "services/authn/api_key_manager.h"
#include "services/authn/credential_authenticator.h"

namespace bastion::authn {

// Thread-safe. Translates only: the guard authenticates and authorizes,
// the authenticator and the key manager decide.
class AuthnService final : public v1::Authn::CallbackService {
 public:
  // `api_keys` is null when authn has no database: the API key RPCs then
  // answer FAILED_PRECONDITION (after the guard), and Authenticate rejects
  // every API key like an unknown one.
  AuthnService(const CredentialAuthenticator* authenticator,
               const assertion::AssertionSigner* signer,
               const ApiKeyManager* api_keys, CallGuard guard);

  grpc::ServerUnaryReactor* Authenticate(
      grpc::CallbackServerContext* context,
      const v1::AuthenticateRequest* request,
      v1::AuthenticateResponse* response) override;
  grpc::ServerUnaryReactor* CreateApiKey(
      grpc::CallbackServerContext* context,
      const v1::CreateApiKeyRequest* request,
      v1::CreateApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* ListApiKeys(
      grpc::CallbackServerContext* context,
      const v1::ListApiKeysRequest* request,
      v1::ListApiKeysResponse* response) override;
  grpc::ServerUnaryReactor* RevokeApiKey(
      grpc::CallbackServerContext* context,
      const v1::RevokeApiKeyRequest* request,
      v1::RevokeApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* RotateApiKey(
      grpc::CallbackServerContext* context,
      const v1::RotateApiKeyRequest* request,
      v1::RotateApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* GetAssertionKeys(
      grpc::CallbackServerContext* context,
      const v1::GetAssertionKeysRequest* request,
      v1::GetAssertionKeysResponse* response) override;

 private:
  const CredentialAuthenticator* authenticator_;
  const assertion::AssertionSigner* signer_;
  const ApiKeyManager* api_keys_;
  CallGuard guard_;
};

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_AUTHN_SERVICE_H_
