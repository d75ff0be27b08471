#!/usr/bin/env bash
# Builds the JWT token fuzzer with clang-14 (libFuzzer + ASan + UBSan) against
# the system OpenSSL and Abseil, outside Bazel, and runs it.
#
#   services/authn/jwt/fuzz/run_fuzzer.sh [seconds]   (default 300)
#
# Needs: clang-14, libclang-rt-14-dev, libssl-dev, libabsl-dev,
# libcurl4-openssl-dev, pkg-config.
# Output goes to ${FUZZ_OUT:-/tmp/bastion-jwt-fuzz} (binary, working corpus,
# crash artifacts); the checked-in seeds in corpus/ are read, not modified.
set -euo pipefail

SECONDS_TO_RUN="${1:-300}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${HERE}/../../../.." && pwd)"
OUT="${FUZZ_OUT:-/tmp/bastion-jwt-fuzz}"
CXX="${CXX_FUZZ:-clang++-14}"
mkdir -p "${OUT}/corpus" "${OUT}/artifacts"

JWT="${ROOT}/services/authn/jwt"
SRCS=(
  "${JWT}/algorithm.cc" "${JWT}/base64url.cc" "${JWT}/claims.cc"
  "${JWT}/header.cc" "${JWT}/json.cc" "${JWT}/jwks.cc"
  "${JWT}/jwks_file_source.cc" "${JWT}/jwt_verifier.cc" "${JWT}/key.cc"
  "${JWT}/key_set.cc" "${JWT}/openssl_util.cc" "${JWT}/reason.cc"
  "${JWT}/signature.cc" "${JWT}/token_cache.cc" "${JWT}/cache_control.cc"
  "${JWT}/https_fetcher.cc" "${JWT}/oidc_discovery.cc"
  "${HERE}/token_fuzzer.cc"
)
ABSL_PC="absl_status absl_statusor absl_strings absl_str_format absl_synchronization absl_time"
# shellcheck disable=SC2046,SC2086
"${CXX}" -std=c++17 -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wall -Wextra -Werror \
  -I"${ROOT}" $(pkg-config --cflags ${ABSL_PC} libcrypto libcurl) \
  "${SRCS[@]}" \
  $(pkg-config --libs ${ABSL_PC} libcrypto libcurl) \
  -o "${OUT}/token_fuzzer"
echo "built ${OUT}/token_fuzzer"

export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
"${OUT}/token_fuzzer" \
  -max_total_time="${SECONDS_TO_RUN}" -max_len=12288 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="${OUT}/artifacts/" \
  "${OUT}/corpus" "${HERE}/corpus"
