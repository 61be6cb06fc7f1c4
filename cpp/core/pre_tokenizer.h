#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace virnucpro {

// The `pre_tokenizer` of a tokenizer.json, for ASCII text: null (the whole text is one word),
// Whitespace (the regex \w+|[^\w\s]+), WhitespaceSplit (runs of non-whitespace), and a Sequence of
// these. Any other type is refused.
class PreTokenizer {
 public:
  static PreTokenizer FromJson(const nlohmann::json& pre_tokenizer, const std::string& source);

  // Replaces `words` with the words of `text`; they point into `text`.
  void Split(std::string_view text, std::vector<std::string_view>& words) const;

 private:
  enum class Step { kWhitespace, kWhitespaceSplit };

  void AddFromJson(const nlohmann::json& pre_tokenizer, const std::string& source);

  std::vector<Step> steps_;
};

}  // namespace virnucpro
