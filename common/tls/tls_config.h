// Transport security between Bastion services: TLS and mutual TLS configured
// by PEM file paths, read and validated once at startup so a wrong path, a
// garbled file or a key that does not belong to its certificate stops the
// binary before it serves, not at the first handshake.
#ifndef BASTION_COMMON_TLS_TLS_CONFIG_H_
#define BASTION_COMMON_TLS_TLS_CONFIG_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace bastion::tls {

// One service's TLS material. The same struct serves both directions: the
// service's listener (ServerCredentialsFrom) and its calls to other services
// (ChannelCredentialsFrom), since a certificate made by
// tools/dev/gen_certs.sh is valid as both server and client certificate.
//
// All fields empty (and require_client_cert false) means plaintext, chosen
// explicitly; any field set means TLS, and then every file it needs must be
// a readable, parseable PEM file.
struct TlsFiles {
  // PEM certificate chain, leaf first.
  std::string cert_file;
  // PEM private key of the leaf certificate (unencrypted).
  std::string key_file;
  // PEM CA certificate(s). Server: verifies client certificates. Client:
  // the only roots trusted for the server's certificate (required).
  std::string ca_file;
  // Server only: refuse every client without a certificate that chains to
  // ca_file. Ignored by ChannelCredentialsFrom.
  bool require_client_cert = false;
};

// The TlsFiles of a service config message with the top-level fields
// tls_cert_file, tls_key_file, tls_ca_file and tls_require_client_cert
// (top-level so BASTION_TLS_* environment variables override them).
template <typename Config>
TlsFiles TlsFilesOf(const Config& config) {
  TlsFiles files;
  files.cert_file = config.tls_cert_file();
  files.key_file = config.tls_key_file();
  files.ca_file = config.tls_ca_file();
  files.require_client_cert = config.tls_require_client_cert();
  return files;
}

// Server and outgoing-channel credentials of one service, from its files.
struct ServiceCredentials {
  std::shared_ptr<grpc::ServerCredentials> server;
  std::shared_ptr<grpc::ChannelCredentials> channels;
};

// Both directions at once: TLS (or mTLS) when files are given, plaintext
// when every field is empty. INVALID_ARGUMENT naming the file otherwise.
absl::StatusOr<ServiceCredentials> ServiceCredentialsFrom(const TlsFiles& files);

// True when every field is empty and require_client_cert is false, i.e. the
// configuration asks for plaintext.
bool IsPlaintext(const TlsFiles& files);

// Credentials for a listener:
// - every field empty: insecure (plaintext) credentials;
// - cert_file + key_file: server TLS; clients are not asked for a
//   certificate;
// - + ca_file: clients are asked for a certificate and one that is presented
//   must chain to ca_file, but a client without one is still accepted
//   (GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
// - + ca_file + require_client_cert: mutual TLS, a client without a valid
//   certificate is refused at the handshake
//   (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY).
// INVALID_ARGUMENT, naming the field and file (never their contents), when a
// needed file is missing, unreadable or not valid PEM, when the key does not
// match the certificate, when the leaf certificate has expired, or when the
// combination is incomplete (e.g. key without certificate,
// require_client_cert without ca_file). Call once at startup: the files are
// read now and never again (restart to rotate). All functions here are
// thread-safe.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFrom(
    const TlsFiles& files);

// Credentials for calls to another service:
// - every field empty: insecure (plaintext) credentials;
// - ca_file: TLS that trusts only ca_file's certificates for the server;
// - + cert_file + key_file: mutual TLS, presenting that certificate.
// INVALID_ARGUMENT as for ServerCredentialsFrom; also when cert_file/key_file
// are set without ca_file (we never fall back to the public roots).
// require_client_cert is ignored.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
ChannelCredentialsFrom(const TlsFiles& files);

// A channel to `address` with ChannelCredentialsFrom(files). The server's
// certificate must name the host of `address` (gen_certs.sh puts the
// service name, localhost and 127.0.0.1 in it), unless
// `server_name_override` is non-empty: then that name is checked instead
// (for tests and for addresses that are not the certificate's name; it does
// not weaken the check that the certificate chains to ca_file).
absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateChannel(
    const std::string& address, const TlsFiles& files,
    const std::string& server_name_override = "");

}  // namespace bastion::tls

#endif  // BASTION_COMMON_TLS_TLS_CONFIG_H_
