#include "core/pre_tokenizer.h"

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/text_normalizer.h"

namespace virnucpro {

namespace {

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The class of a character under one step; words are maximal runs of one non-zero class.
int CharClass(char c, bool whitespace_split) {
  if (IsAsciiWhitespace(c)) return 0;
  if (whitespace_split) return 1;
  return IsWordChar(c) ? 1 : 2;
}

void SplitRuns(std::string_view text, bool whitespace_split, std::vector<std::string_view>& words) {
  std::size_t i = 0;
  while (i < text.size()) {
    const int run_class = CharClass(text[i], whitespace_split);
    std::size_t end = i + 1;
    while (end < text.size() && CharClass(text[end], whitespace_split) == run_class) ++end;
    if (run_class != 0) words.push_back(text.substr(i, end - i));
    i = end;
  }
}

}  // namespace

PreTokenizer PreTokenizer::FromJson(const nlohmann::json& pre_tokenizer, const std::string& source) {
  PreTokenizer result;
  if (!pre_tokenizer.is_null()) result.AddFromJson(pre_tokenizer, source);
  return result;
}

void PreTokenizer::AddFromJson(const nlohmann::json& pre_tokenizer, const std::string& source) {
  const auto type = pre_tokenizer.is_object() ? pre_tokenizer.find("type") : pre_tokenizer.end();
  if (type == pre_tokenizer.end() || !type->is_string()) {
    throw Error(ErrorCode::kTokenizer, source + ": pre_tokenizer has no type");
  }
  const std::string& name = type->get_ref<const std::string&>();
  if (name == "Sequence") {
    const auto parts = pre_tokenizer.find("pretokenizers");
    if (parts == pre_tokenizer.end() || !parts->is_array()) {
      throw Error(ErrorCode::kTokenizer, source + ": pre_tokenizer Sequence has no pretokenizers array");
    }
    for (const auto& part : *parts) AddFromJson(part, source);
  } else if (name == "Whitespace") {
    steps_.push_back(Step::kWhitespace);
  } else if (name == "WhitespaceSplit") {
    steps_.push_back(Step::kWhitespaceSplit);
  } else {
    throw Error(ErrorCode::kTokenizer, source + ": unsupported pre_tokenizer type \"" + name + "\"");
  }
}

void PreTokenizer::Split(std::string_view text, std::vector<std::string_view>& words) const {
  words.clear();
  if (text.empty()) return;
  words.push_back(text);
  thread_local std::vector<std::string_view> pieces;
  for (const Step step : steps_) {
    pieces.clear();
    for (const std::string_view word : words) SplitRuns(word, step == Step::kWhitespaceSplit, pieces);
    words.swap(pieces);
  }
}

}  // namespace virnucpro
