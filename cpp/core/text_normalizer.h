#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace virnucpro {

// The `normalizer` of a tokenizer.json, for ASCII text: null, Sequence, Lowercase, Strip, and the
// Unicode forms NFC/NFD/NFKC/NFKD (which leave ASCII unchanged). Any other type is refused.
class TextNormalizer {
 public:
  static TextNormalizer FromJson(const nlohmann::json& normalizer, const std::string& source);

  bool IsIdentity() const { return steps_.empty(); }
  std::string Apply(std::string_view text) const;

 private:
  enum class Step { kLowercase, kStripLeft, kStripRight };

  void AddFromJson(const nlohmann::json& normalizer, const std::string& source);

  std::vector<Step> steps_;
};

// Unicode White_Space restricted to ASCII: what `\s` and char::is_whitespace mean for ASCII text.
inline bool IsAsciiWhitespace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace virnucpro
