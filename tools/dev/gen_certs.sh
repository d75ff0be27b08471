#!/usr/bin/env bash
# Makes development TLS material for mutual TLS between the services: a dev
# CA and, per service, a key and a certificate signed by it that is valid as
# both server and client certificate (extendedKeyUsage serverAuth,clientAuth;
# subjectAltName DNS:<name>, DNS:localhost, IP:127.0.0.1, plus DNS:<name>
# with '-' for '_', e.g. run-executor).
#
#   tools/dev/gen_certs.sh DIR [NAME...]   (default names: authn authz data
#                                           run_executor)
#
# Writes DIR/ca.pem, DIR/ca.key, DIR/<name>.pem, DIR/<name>.key. Keys are
# 0600, certificates 0644. Idempotent: files that exist are kept (never
# overwritten), so running it again only adds what is missing; delete a
# pair to remake it. For development only: the CA key sits next to the
# certificates.
#
# A service then uses, in its TLS settings (see common/tls/tls_config.h):
#   cert_file DIR/<name>.pem, key_file DIR/<name>.key, ca_file DIR/ca.pem,
#   require_client_cert true.
set -euo pipefail

usage() {
  echo "usage: $0 DIR [NAME...]   (NAME: lowercase letters, digits, '_', '-')" >&2
  exit 2
}

[[ $# -ge 1 && -n "$1" ]] || usage
DIR="$1"
shift
if [[ $# -eq 0 ]]; then
  set -- authn authz data run_executor
fi
for name in "$@"; do
  [[ "$name" =~ ^[a-z0-9][a-z0-9_-]*$ && "$name" != "ca" ]] || {
    echo "gen_certs: bad name '$name'" >&2
    usage
  }
done
command -v openssl >/dev/null || {
  echo "gen_certs: the openssl command is missing (apt-get install openssl)" >&2
  exit 1
}

CA_DAYS=3650
LEAF_DAYS=825

umask 077
mkdir -p "$DIR"
WORK="$(mktemp -d "$DIR/.gen_certs.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# True when both files of a pair exist (keep them), false when neither does
# (make them); one alone stops the script rather than being overwritten.
pair_present() {
  local cert="$1" key="$2"
  if [[ -e "$cert" && -e "$key" ]]; then
    return 0
  elif [[ ! -e "$cert" && ! -e "$key" ]]; then
    return 1
  fi
  echo "gen_certs: only one of $cert and $key exists; remove it or restore" \
    "the other (nothing is overwritten)" >&2
  exit 1
}

new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$1" 2>/dev/null
}

# Moves finished files into place without replacing anything that appeared
# meanwhile (mv -n), keys 0600 and certificates 0644.
install_pair() {
  local tmp_cert="$1" tmp_key="$2" cert="$3" key="$4"
  chmod 0600 "$tmp_key"
  chmod 0644 "$tmp_cert"
  mv -n "$tmp_key" "$key"
  mv -n "$tmp_cert" "$cert"
  if [[ -e "$tmp_key" || -e "$tmp_cert" ]]; then
    echo "gen_certs: $cert or $key appeared while running; not replaced," \
      "check that they belong together" >&2
    exit 1
  fi
}

CA_CERT="$DIR/ca.pem"
CA_KEY="$DIR/ca.key"

# Check everything before making anything: no half pairs, and no kept
# certificate whose CA would be replaced by a new one.
ca_present=0
if pair_present "$CA_CERT" "$CA_KEY"; then ca_present=1; fi
for name in "$@"; do
  if pair_present "$DIR/$name.pem" "$DIR/$name.key" && [[ $ca_present == 0 ]]; then
    echo "gen_certs: $DIR/$name.pem exists but the CA that signed it does" \
      "not; remove the service pairs too to start over" >&2
    exit 1
  fi
done

if ! pair_present "$CA_CERT" "$CA_KEY"; then
  new_key "$WORK/ca.key"
  openssl req -x509 -new -key "$WORK/ca.key" -sha256 -days "$CA_DAYS" \
    -subj "/CN=Bastion development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$WORK/ca.pem"
  install_pair "$WORK/ca.pem" "$WORK/ca.key" "$CA_CERT" "$CA_KEY"
  echo "gen_certs: made CA $CA_CERT"
else
  echo "gen_certs: kept CA $CA_CERT"
fi

for name in "$@"; do
  cert="$DIR/$name.pem"
  key="$DIR/$name.key"
  if pair_present "$cert" "$key"; then
    echo "gen_certs: kept $cert"
    continue
  fi
  alt="DNS:$name"
  if [[ "$name" == *_* ]]; then
    alt="$alt,DNS:${name//_/-}"
  fi
  cat >"$WORK/$name.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$alt,DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOF
  new_key "$WORK/$name.key"
  openssl req -new -key "$WORK/$name.key" -subj "/CN=$name" \
    -out "$WORK/$name.csr"
  openssl x509 -req -in "$WORK/$name.csr" -CA "$CA_CERT" -CAkey "$CA_KEY" \
    -set_serial "0x$(openssl rand -hex 16)" -sha256 -days "$LEAF_DAYS" \
    -extfile "$WORK/$name.ext" -out "$WORK/$name.pem" 2>/dev/null
  openssl verify -CAfile "$CA_CERT" -purpose sslserver "$WORK/$name.pem" \
    >/dev/null
  openssl verify -CAfile "$CA_CERT" -purpose sslclient "$WORK/$name.pem" \
    >/dev/null
  install_pair "$WORK/$name.pem" "$WORK/$name.key" "$cert" "$key"
  echo "gen_certs: made $cert ($alt,DNS:localhost,IP:127.0.0.1)"
done
