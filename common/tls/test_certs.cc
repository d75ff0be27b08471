#include "common/tls/test_certs.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <fstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/status_macros.h"

namespace bastion::tls::testing {
namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

absl::Status OpenSslError(absl::string_view what) {
  const unsigned long error = ERR_get_error();
  char text[256] = {0};
  ERR_error_string_n(error, text, sizeof(text));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(what, ": ", text));
}

absl::StatusOr<PkeyPtr> NewKey() {
  PkeyPtr key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  if (key == nullptr) return OpenSslError("EVP_EC_gen");
  return key;
}

absl::Status AddExtension(X509* cert, X509V3_CTX* context, int nid,
                          const std::string& value) {
  X509_EXTENSION* extension =
      X509V3_EXT_conf_nid(nullptr, context, nid, value.c_str());
  if (extension == nullptr) {
    return OpenSslError(absl::StrCat("extension ", OBJ_nid2sn(nid)));
  }
  const int added = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  if (added != 1) return OpenSslError("X509_add_ext");
  return absl::OkStatus();
}

// Issues a certificate for `subject_key`, signed by `issuer_key`; a null
// `issuer` makes it self-signed.
absl::StatusOr<X509Ptr> BuildCert(EVP_PKEY* subject_key,
                                  const IssueOptions& options, bool is_ca,
                                  X509* issuer, EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new(), &X509_free);
  if (cert == nullptr) return OpenSslError("X509_new");
  uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial)) !=
      1) {
    return OpenSslError("RAND_bytes");
  }
  serial >>= 1;  // positive
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()),
                      absl::ToInt64Seconds(options.not_before)) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                      absl::ToInt64Seconds(options.not_after)) == nullptr ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return OpenSslError("certificate fields");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(options.common_name.c_str()),
          -1, -1, 0) != 1) {
    return OpenSslError("subject name");
  }
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1) {
    return OpenSslError("issuer name");
  }

  X509V3_CTX context;
  X509V3_set_ctx(&context, signer, cert.get(), nullptr, nullptr, 0);
  RETURN_IF_ERROR(AddExtension(cert.get(), &context, NID_basic_constraints,
                               is_ca ? "critical,CA:TRUE" : "CA:FALSE"));
  RETURN_IF_ERROR(AddExtension(
      cert.get(), &context, NID_key_usage,
      is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"));
  RETURN_IF_ERROR(
      AddExtension(cert.get(), &context, NID_subject_key_identifier, "hash"));
  if (!is_ca) {
    RETURN_IF_ERROR(AddExtension(cert.get(), &context,
                                 NID_authority_key_identifier, "keyid:always"));
    RETURN_IF_ERROR(AddExtension(cert.get(), &context, NID_ext_key_usage,
                                 "serverAuth,clientAuth"));
  }
  if (!options.subject_alt_names.empty()) {
    RETURN_IF_ERROR(
        AddExtension(cert.get(), &context, NID_subject_alt_name,
                     absl::StrJoin(options.subject_alt_names, ",")));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
    return OpenSslError("X509_sign");
  }
  return cert;
}

absl::StatusOr<std::string> BioContents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) return OpenSslError("BIO_get_mem_data");
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslError("PEM_write_bio_X509");
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return OpenSslError("PEM_write_bio_PrivateKey");
  }
  return BioContents(bio.get());
}

}  // namespace

absl::StatusOr<TestCa> TestCa::Create(const std::string& common_name) {
  ASSIGN_OR_RETURN(PkeyPtr key, NewKey());
  IssueOptions options;
  options.common_name = common_name;
  ASSIGN_OR_RETURN(X509Ptr cert, BuildCert(key.get(), options, /*is_ca=*/true,
                                           /*issuer=*/nullptr, key.get()));
  ASSIGN_OR_RETURN(std::string pem, CertPem(cert.get()));
  return TestCa(std::move(key), std::move(cert), std::move(pem));
}

absl::StatusOr<IssuedCert> TestCa::Issue(const IssueOptions& options) const {
  ASSIGN_OR_RETURN(PkeyPtr key, NewKey());
  ASSIGN_OR_RETURN(X509Ptr cert, BuildCert(key.get(), options, /*is_ca=*/false,
                                           cert_.get(), key_.get()));
  IssuedCert issued;
  ASSIGN_OR_RETURN(issued.key_pem, KeyPem(key.get()));
  ASSIGN_OR_RETURN(issued.cert_pem, CertPem(cert.get()));
  return issued;
}

absl::StatusOr<std::string> WriteTestFile(const std::string& dir,
                                          const std::string& name,
                                          const std::string& contents) {
  const std::string path = absl::StrCat(dir, "/", name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return path;
}

}  // namespace bastion::tls::testing
