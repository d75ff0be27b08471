# Sourced by tools/up.sh, tools/test.sh and the benchmarks: installs the
# Debian packages the suite needs when they are missing (as root), or says
# exactly what to run.
#
#   bastion_ensure_packages            the suite's packages (BASTION_PACKAGES)
#   bastion_ensure_packages PKG...     these packages instead

BASTION_PACKAGES=(
  bazel-bootstrap pkg-config g++
  libgrpc++-dev protobuf-compiler-grpc protobuf-compiler libprotobuf-dev
  libabsl-dev libssl-dev libpq-dev libgtest-dev libgmock-dev
  libcurl4-openssl-dev nlohmann-json3-dev libcpp-httplib-dev tzdata
  postgresql-15 python3-grpcio python3-protobuf python3-jwt python3-cryptography
  python3-psycopg2 openssl grpc-proto
)

bastion_missing_packages() {  # [PKG...] (default: BASTION_PACKAGES)
  local missing=()
  local pkg
  [ $# -gt 0 ] || set -- "${BASTION_PACKAGES[@]}"
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  echo "${missing[@]:-}"
}

bastion_ensure_packages() {  # [PKG...] (default: BASTION_PACKAGES)
  local missing
  missing=$(bastion_missing_packages "$@")
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing packages: $missing" >&2
    echo "Install them with:  sudo apt-get update && sudo apt-get install -y $missing" >&2
    return 1
  fi
  echo "Installing: $missing" >&2
  apt-get update -qq >&2
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
}
