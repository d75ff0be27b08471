// Strict recursive-descent JSON parser; see json.h.
#include "services/authn/jwt/json.h"

#include <algorithm>
#include <utility>

namespace bastion::authn::jwt {

constexpr int64_t kMaxSafeInteger = int64_t{1} << 53;

const JsonValue* JsonValue::Find(absl::string_view key) const {
  for (const JsonMember& m : members_) {
    if (m.name == key) return &m.value;
  }
  return nullptr;
}

std::optional<int64_t> JsonValue::AsNonNegativeSafeInteger() const {
  if (type_ != Type::kNumber || text_.empty() || text_.size() > 16) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (char c : text_) {
    if (c < '0' || c > '9') return std::nullopt;  // '-', '.', 'e', 'E', '+'
    value = value * 10 + (c - '0');
  }
  if (value > kMaxSafeInteger) return std::nullopt;
  return value;
}

absl::string_view JsonErrorKindName(JsonErrorKind kind) {
  switch (kind) {
    case JsonErrorKind::kNone:
      return "none";
    case JsonErrorKind::kSyntax:
      return "syntax";
    case JsonErrorKind::kDuplicateKey:
      return "duplicate_key";
    case JsonErrorKind::kTooDeep:
      return "too_deep";
    case JsonErrorKind::kBadUtf8:
      return "bad_utf8";
    case JsonErrorKind::kBadEscape:
      return "bad_escape";
    case JsonErrorKind::kTrailingData:
      return "trailing_data";
  }
  return "unknown";
}

// Single-use parser over one input. Not thread-safe (local to ParseJson).
class JsonParser {
 public:
  JsonParser(absl::string_view text, JsonLimits limits)
      : p_(text.data()),
        begin_(text.data()),
        end_(text.data() + text.size()),
        limits_(limits) {}

  std::optional<JsonValue> Run(JsonError* error) {
    JsonValue value;
    SkipWs();
    bool ok = ParseValue(&value, 0);
    if (ok) {
      SkipWs();
      if (p_ != end_) Fail(JsonErrorKind::kTrailingData);
    }
    if (error_.kind != JsonErrorKind::kNone) {
      if (error != nullptr) *error = error_;
      return std::nullopt;
    }
    if (error != nullptr) *error = JsonError();
    return value;
  }

 private:
  bool Fail(JsonErrorKind kind) {
    if (error_.kind == JsonErrorKind::kNone) {
      error_.kind = kind;
      error_.offset = static_cast<size_t>(p_ - begin_);
    }
    return false;
  }

  void SkipWs() {
    while (p_ != end_ &&
           (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) {
      ++p_;
    }
  }

  bool Literal(absl::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        absl::string_view(p_, word.size()) != word) {
      return Fail(JsonErrorKind::kSyntax);
    }
    p_ += word.size();
    return true;
  }

  bool ParseValue(JsonValue* out, int depth) {
    if (p_ == end_) return Fail(JsonErrorKind::kSyntax);
    switch (*p_) {
      case '{':
        return ParseObject(out, depth + 1);
      case '[':
        return ParseArray(out, depth + 1);
      case '"':
        out->type_ = JsonValue::Type::kString;
        return ParseString(&out->text_);
      case 't':
        out->type_ = JsonValue::Type::kBool;
        out->bool_ = true;
        return Literal("true");
      case 'f':
        out->type_ = JsonValue::Type::kBool;
        out->bool_ = false;
        return Literal("false");
      case 'n':
        out->type_ = JsonValue::Type::kNull;
        return Literal("null");
      default:
        out->type_ = JsonValue::Type::kNumber;
        return ParseNumber(&out->text_);
    }
  }

  bool ParseObject(JsonValue* out, int depth) {
    if (depth > limits_.max_depth) return Fail(JsonErrorKind::kTooDeep);
    out->type_ = JsonValue::Type::kObject;
    ++p_;  // '{'
    SkipWs();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    while (true) {
      if (p_ == end_ || *p_ != '"') return Fail(JsonErrorKind::kSyntax);
      JsonMember member;
      if (!ParseString(&member.name)) return false;
      SkipWs();
      if (p_ == end_ || *p_ != ':') return Fail(JsonErrorKind::kSyntax);
      ++p_;
      SkipWs();
      if (!ParseValue(&member.value, depth)) return false;
      out->members_.push_back(std::move(member));
      SkipWs();
      if (p_ == end_) return Fail(JsonErrorKind::kSyntax);
      if (*p_ == ',') {
        ++p_;
        SkipWs();
        continue;
      }
      if (*p_ == '}') {
        ++p_;
        break;
      }
      return Fail(JsonErrorKind::kSyntax);
    }
    return CheckUniqueNames(*out);
  }

  bool CheckUniqueNames(const JsonValue& object) {
    const std::vector<JsonMember>& m = object.members_;
    if (m.size() < 2) return true;
    if (m.size() <= 8) {  // Small objects (the common case): no allocation.
      for (size_t i = 0; i < m.size(); ++i) {
        for (size_t j = i + 1; j < m.size(); ++j) {
          if (m[i].name == m[j].name) return Fail(JsonErrorKind::kDuplicateKey);
        }
      }
      return true;
    }
    std::vector<absl::string_view> names;
    names.reserve(m.size());
    for (const JsonMember& member : m) names.push_back(member.name);
    std::sort(names.begin(), names.end());
    if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
      return Fail(JsonErrorKind::kDuplicateKey);
    }
    return true;
  }

  bool ParseArray(JsonValue* out, int depth) {
    if (depth > limits_.max_depth) return Fail(JsonErrorKind::kTooDeep);
    out->type_ = JsonValue::Type::kArray;
    ++p_;  // '['
    SkipWs();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      out->items_.emplace_back();
      if (!ParseValue(&out->items_.back(), depth)) return false;
      SkipWs();
      if (p_ == end_) return Fail(JsonErrorKind::kSyntax);
      if (*p_ == ',') {
        ++p_;
        SkipWs();
        continue;
      }
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      return Fail(JsonErrorKind::kSyntax);
    }
  }

  bool ParseNumber(std::string* out) {
    const char* start = p_;
    auto digit = [this] { return p_ != end_ && *p_ >= '0' && *p_ <= '9'; };
    if (p_ != end_ && *p_ == '-') ++p_;
    if (!digit()) return Fail(JsonErrorKind::kSyntax);
    if (*p_ == '0') {
      ++p_;
    } else {
      while (digit()) ++p_;
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (!digit()) return Fail(JsonErrorKind::kSyntax);
      while (digit()) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digit()) return Fail(JsonErrorKind::kSyntax);
      while (digit()) ++p_;
    }
    out->assign(start, static_cast<size_t>(p_ - start));
    return true;
  }

  bool Hex4(uint32_t* out) {
    if (end_ - p_ < 4) return Fail(JsonErrorKind::kBadEscape);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = *p_++;
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Fail(JsonErrorKind::kBadEscape);
      }
    }
    *out = v;
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool ParseEscape(std::string* out) {
    ++p_;  // '\'
    if (p_ == end_) return Fail(JsonErrorKind::kBadEscape);
    const char c = *p_++;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out->push_back(c);
        return true;
      case 'b':
        out->push_back('\b');
        return true;
      case 'f':
        out->push_back('\f');
        return true;
      case 'n':
        out->push_back('\n');
        return true;
      case 'r':
        out->push_back('\r');
        return true;
      case 't':
        out->push_back('\t');
        return true;
      case 'u':
        break;
      default:
        return Fail(JsonErrorKind::kBadEscape);
    }
    uint32_t cp = 0;
    if (!Hex4(&cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail(JsonErrorKind::kBadEscape);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
        return Fail(JsonErrorKind::kBadEscape);
      }
      p_ += 2;
      uint32_t low = 0;
      if (!Hex4(&low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) return Fail(JsonErrorKind::kBadEscape);
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(cp, out);
    return true;
  }

  // Validates one multi-byte UTF-8 sequence (RFC 3629 table 4) at p_.
  bool CopyUtf8(std::string* out) {
    const unsigned char* s = reinterpret_cast<const unsigned char*>(p_);
    const size_t avail = static_cast<size_t>(end_ - p_);
    const unsigned char c = s[0];
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c == 0xE0) {
      len = 3;
      lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      len = 3;
    } else if (c == 0xED) {
      len = 3;
      hi = 0x9F;  // No UTF-16 surrogates.
    } else if (c == 0xF0) {
      len = 4;
      lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = 4;
    } else if (c == 0xF4) {
      len = 4;
      hi = 0x8F;
    } else {
      return Fail(JsonErrorKind::kBadUtf8);  // 80-C1 (overlong), F5-FF.
    }
    if (avail < len) return Fail(JsonErrorKind::kBadUtf8);
    if (s[1] < lo || s[1] > hi) return Fail(JsonErrorKind::kBadUtf8);
    for (size_t i = 2; i < len; ++i) {
      if (s[i] < 0x80 || s[i] > 0xBF) return Fail(JsonErrorKind::kBadUtf8);
    }
    out->append(p_, len);
    p_ += len;
    return true;
  }

  bool ParseString(std::string* out) {
    ++p_;  // '"'
    while (true) {
      const char* run = p_;
      while (p_ != end_) {
        const unsigned char c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++p_;
      }
      out->append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_) return Fail(JsonErrorKind::kSyntax);
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c == '\\') {
        if (!ParseEscape(out)) return false;
      } else if (c < 0x20) {
        return Fail(JsonErrorKind::kSyntax);  // Unescaped control character.
      } else if (!CopyUtf8(out)) {
        return false;
      }
    }
  }

  const char* p_;
  const char* const begin_;
  const char* const end_;
  const JsonLimits limits_;
  JsonError error_;
};

std::optional<JsonValue> ParseJson(absl::string_view text, JsonError* error,
                                   JsonLimits limits) {
  return JsonParser(text, limits).Run(error);
}

}  // namespace bastion::authn::jwt
