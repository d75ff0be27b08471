// Test-only certificate authority built with OpenSSL's C API, so TLS tests
// make their own keys and certificates without the openssl command.
#ifndef BASTION_COMMON_TLS_TEST_CERTS_H_
#define BASTION_COMMON_TLS_TEST_CERTS_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bastion::tls::testing {

// A PEM private key and the PEM certificate issued for it.
struct IssuedCert {
  std::string key_pem;
  std::string cert_pem;
};

struct IssueOptions {
  std::string common_name;
  // subjectAltName entries, e.g. {"DNS:localhost", "IP:127.0.0.1"}.
  std::vector<std::string> subject_alt_names;
  // Validity, relative to now.
  absl::Duration not_before = -absl::Hours(1);
  absl::Duration not_after = absl::Hours(24);
};

// A self-signed CA (P-256 keys, SHA-256 signatures) that issues leaf
// certificates valid for both serverAuth and clientAuth. Not thread-safe.
class TestCa {
 public:
  static absl::StatusOr<TestCa> Create(const std::string& common_name);

  const std::string& cert_pem() const { return cert_pem_; }

  absl::StatusOr<IssuedCert> Issue(const IssueOptions& options) const;

 private:
  using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
  using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

  TestCa(PkeyPtr key, X509Ptr cert, std::string cert_pem)
      : key_(std::move(key)),
        cert_(std::move(cert)),
        cert_pem_(std::move(cert_pem)) {}

  PkeyPtr key_;
  X509Ptr cert_;
  std::string cert_pem_;
};

// Writes `contents` to `dir/name` and returns the path (files stay in the
// test's temporary folder).
absl::StatusOr<std::string> WriteTestFile(const std::string& dir,
                                          const std::string& name,
                                          const std::string& contents);

}  // namespace bastion::tls::testing

#endif  // BASTION_COMMON_TLS_TEST_CERTS_H_
