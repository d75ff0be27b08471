// Strict base64url codec; see base64url.h.
#include "services/authn/jwt/base64url.h"

#include <array>
#include <cstdint>

namespace bastion::authn::jwt {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> table{};
  for (int i = 0; i < 256; ++i) table[i] = -1;
  for (int i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}

constexpr std::array<int8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

bool Base64UrlDecode(absl::string_view in, std::string* out) {
  out->clear();
  const size_t rem = in.size() % 4;
  if (rem == 1) return false;
  out->resize(in.size() / 4 * 3 + (rem == 0 ? 0 : rem - 1));
  char* dst = out->data();
  const unsigned char* src = reinterpret_cast<const unsigned char*>(in.data());
  const size_t full = in.size() - rem;
  for (size_t i = 0; i < full; i += 4) {
    const int a = kDecode[src[i]], b = kDecode[src[i + 1]],
              c = kDecode[src[i + 2]], d = kDecode[src[i + 3]];
    if ((a | b | c | d) < 0) return false;
    const uint32_t v =
        (static_cast<uint32_t>(a) << 18) | (static_cast<uint32_t>(b) << 12) |
        (static_cast<uint32_t>(c) << 6) | static_cast<uint32_t>(d);
    *dst++ = static_cast<char>(v >> 16);
    *dst++ = static_cast<char>((v >> 8) & 0xff);
    *dst++ = static_cast<char>(v & 0xff);
  }
  if (rem == 2) {
    const int a = kDecode[src[full]], b = kDecode[src[full + 1]];
    if ((a | b) < 0 || (b & 0x0f) != 0) return false;
    *dst++ = static_cast<char>((a << 2) | (b >> 4));
  } else if (rem == 3) {
    const int a = kDecode[src[full]], b = kDecode[src[full + 1]],
              c = kDecode[src[full + 2]];
    if ((a | b | c) < 0 || (c & 0x03) != 0) return false;
    *dst++ = static_cast<char>((a << 2) | (b >> 4));
    *dst++ = static_cast<char>(((b & 0x0f) << 4) | (c >> 2));
  }
  return true;
}

std::string Base64UrlEncode(absl::string_view in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (in.size() - i == 1) {
    const uint32_t v = p[i] << 16;
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (in.size() - i == 2) {
    const uint32_t v = (p[i] << 16) | (p[i + 1] << 8);
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

}  // namespace bastion::authn::jwt
