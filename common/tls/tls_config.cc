#include "common/tls/tls_config.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace bastion::tls {
namespace {

// PEM files here are a few kilobytes; anything far larger is a wrong path.
constexpr size_t kMaxPemBytes = 1 << 20;

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// One configured file: which field named it, its path and its contents.
struct PemFile {
  std::string field;
  std::string path;
  std::string contents;
};

// Errors name the field and the path, never the contents.
absl::Status Invalid(const std::string& field, const std::string& path,
                     absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, " \"", path, "\" ", problem));
}

absl::StatusOr<PemFile> ReadPemFile(const std::string& field,
                                    const std::string& path) {
  std::unique_ptr<FILE, decltype(&std::fclose)> file(
      std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    return Invalid(field, path,
                   absl::StrCat("cannot be opened: ", std::strerror(errno)));
  }
  PemFile pem{field, path, ""};
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    pem.contents.append(buffer, n);
    if (pem.contents.size() > kMaxPemBytes) {
      return Invalid(field, path, "is larger than 1 MiB, not a PEM file");
    }
  }
  if (std::ferror(file.get())) {
    return Invalid(field, path,
                   absl::StrCat("cannot be read: ", std::strerror(errno)));
  }
  return pem;
}

// Encrypted keys fail to load instead of OpenSSL prompting on the terminal.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

BioPtr MemoryBio(const std::string& contents) {
  return BioPtr(
      BIO_new_mem_buf(contents.data(), static_cast<int>(contents.size())),
      &BIO_free);
}

// Every PEM certificate in `pem`, in order; at least one, and all must parse.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(const PemFile& pem) {
  ERR_clear_error();
  BioPtr bio = MemoryBio(pem.contents);
  if (bio == nullptr) return absl::ResourceExhaustedError("BIO_new_mem_buf");
  std::vector<X509Ptr> certificates;
  while (X509* certificate =
             PEM_read_bio_X509(bio.get(), nullptr, &NoPassphrase, nullptr)) {
    certificates.emplace_back(certificate, &X509_free);
  }
  // Reading stops at the end with "no start line"; anything else means a
  // block that did not decode.
  const unsigned long error = ERR_peek_last_error();
  const bool clean_end = ERR_GET_LIB(error) == ERR_LIB_PEM &&
                         ERR_GET_REASON(error) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (certificates.empty()) {
    return Invalid(pem.field, pem.path, "holds no valid PEM certificate");
  }
  if (!clean_end) {
    return Invalid(pem.field, pem.path,
                   "holds a PEM certificate that does not parse");
  }
  return certificates;
}

absl::StatusOr<PkeyPtr> ParsePrivateKey(const PemFile& pem) {
  ERR_clear_error();
  BioPtr bio = MemoryBio(pem.contents);
  if (bio == nullptr) return absl::ResourceExhaustedError("BIO_new_mem_buf");
  PkeyPtr key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, &NoPassphrase, nullptr),
      &EVP_PKEY_free);
  ERR_clear_error();
  if (key == nullptr) {
    return Invalid(pem.field, pem.path,
                   "holds no valid unencrypted PEM private key");
  }
  return key;
}

// The certificate chain and its key, checked to belong together.
struct KeyPair {
  PemFile cert;
  PemFile key;
};

absl::StatusOr<KeyPair> LoadKeyPair(const TlsFiles& files) {
  ASSIGN_OR_RETURN(PemFile cert, ReadPemFile("cert_file", files.cert_file));
  ASSIGN_OR_RETURN(PemFile key, ReadPemFile("key_file", files.key_file));
  ASSIGN_OR_RETURN(std::vector<X509Ptr> chain, ParseCertificates(cert));
  ASSIGN_OR_RETURN(PkeyPtr private_key, ParsePrivateKey(key));
  X509* leaf = chain.front().get();
  const int expiry = X509_cmp_current_time(X509_get0_notAfter(leaf));
  if (expiry == 0) {
    return Invalid(cert.field, cert.path,
                   "has a certificate with an unreadable expiry time");
  }
  if (expiry < 0) {
    return Invalid(cert.field, cert.path, "has an expired certificate");
  }
  // Only exactly 1 means the key is the certificate's.
  const int matches = X509_check_private_key(leaf, private_key.get());
  ERR_clear_error();
  if (matches != 1) {
    return Invalid(
        key.field, key.path,
        absl::StrCat("does not match the certificate in cert_file \"",
                     cert.path, "\""));
  }
  return KeyPair{std::move(cert), std::move(key)};
}

absl::StatusOr<PemFile> LoadCa(const TlsFiles& files) {
  ASSIGN_OR_RETURN(PemFile ca, ReadPemFile("ca_file", files.ca_file));
  RETURN_IF_ERROR(ParseCertificates(ca).status());
  return ca;
}

// cert_file and key_file come as a pair.
absl::Status CheckPairFields(const TlsFiles& files) {
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError(
        files.cert_file.empty()
            ? "key_file is set but cert_file is empty; TLS needs both"
            : "cert_file is set but key_file is empty; TLS needs both");
  }
  return absl::OkStatus();
}

}  // namespace

bool IsPlaintext(const TlsFiles& files) {
  return files.cert_file.empty() && files.key_file.empty() &&
         files.ca_file.empty() && !files.require_client_cert;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFrom(
    const TlsFiles& files) {
  if (IsPlaintext(files)) return grpc::InsecureServerCredentials();
  RETURN_IF_ERROR(CheckPairFields(files));
  if (files.cert_file.empty()) {
    return absl::InvalidArgumentError(
        "a TLS listener needs cert_file and key_file (ca_file or "
        "require_client_cert is set without them)");
  }
  if (files.require_client_cert && files.ca_file.empty()) {
    return absl::InvalidArgumentError(
        "require_client_cert needs ca_file to verify client certificates");
  }
  ASSIGN_OR_RETURN(KeyPair pair, LoadKeyPair(files));

  grpc_ssl_client_certificate_request_type request =
      GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  std::string roots;
  if (!files.ca_file.empty()) {
    ASSIGN_OR_RETURN(PemFile ca, LoadCa(files));
    roots = std::move(ca.contents);
    request = files.require_client_cert
                  ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                  : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  grpc::SslServerCredentialsOptions options(request);
  options.pem_root_certs = std::move(roots);
  options.pem_key_cert_pairs.push_back(
      {std::move(pair.key.contents), std::move(pair.cert.contents)});
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::SslServerCredentials(options);
  if (credentials == nullptr) {
    return absl::InternalError("gRPC refused the TLS server credentials");
  }
  return credentials;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
ChannelCredentialsFrom(const TlsFiles& files) {
  if (files.cert_file.empty() && files.key_file.empty() &&
      files.ca_file.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  RETURN_IF_ERROR(CheckPairFields(files));
  if (files.ca_file.empty()) {
    return absl::InvalidArgumentError(
        "a TLS client needs ca_file to verify the server (public roots are "
        "never used)");
  }
  grpc::SslCredentialsOptions options;
  if (!files.cert_file.empty()) {
    ASSIGN_OR_RETURN(KeyPair pair, LoadKeyPair(files));
    options.pem_private_key = std::move(pair.key.contents);
    options.pem_cert_chain = std::move(pair.cert.contents);
  }
  ASSIGN_OR_RETURN(PemFile ca, LoadCa(files));
  options.pem_root_certs = std::move(ca.contents);
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::SslCredentials(options);
  if (credentials == nullptr) {
    return absl::InternalError("gRPC refused the TLS channel credentials");
  }
  return credentials;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateChannel(
    const std::string& address, const TlsFiles& files,
    const std::string& server_name_override) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> credentials,
                   ChannelCredentialsFrom(files));
  grpc::ChannelArguments arguments;
  if (!server_name_override.empty()) {
    if (files.ca_file.empty()) {
      return absl::InvalidArgumentError(
          "a server name override needs TLS (ca_file is empty)");
    }
    arguments.SetSslTargetNameOverride(server_name_override);
  }
  return grpc::CreateCustomChannel(address, credentials, arguments);
}

}  // namespace bastion::tls

namespace bastion::tls {

absl::StatusOr<ServiceCredentials> ServiceCredentialsFrom(const TlsFiles& files) {
  ServiceCredentials credentials;
  ASSIGN_OR_RETURN(credentials.server, ServerCredentialsFrom(files));
  // A service that listens with TLS also calls its peers with TLS, so it
  // needs the CA too (ChannelCredentialsFrom refuses TLS without one).
  ASSIGN_OR_RETURN(credentials.channels, ChannelCredentialsFrom(files));
  return credentials;
}

}  // namespace bastion::tls
