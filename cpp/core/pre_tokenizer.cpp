#include "core/pre_tokenizer.h"

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/text_normalizer.h"

namespace virnucpro {

namespace {

// Character classes under one step; words are maximal runs of one non-zero class. Whitespace splits
// \w+ from [^\w\s]+; WhitespaceSplit only separates whitespace from the rest.
struct CharClasses {
  std::array<uint8_t, 256> whitespace{};
  std::array<uint8_t, 256> whitespace_split{};

  CharClasses() {
    for (int c = 0; c < 256; ++c) {
      const char ch = static_cast<char>(c);
      const bool word =
          (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
      whitespace[c] = IsAsciiWhitespace(ch) ? 0 : word ? 1 : 2;
      whitespace_split[c] = IsAsciiWhitespace(ch) ? 0 : 1;
    }
  }
};

const CharClasses& Classes() {
  static const CharClasses classes;
  return classes;
}

void SplitRuns(std::string_view text, bool whitespace_split, std::vector<std::string_view>& words) {
  const auto& classes = whitespace_split ? Classes().whitespace_split : Classes().whitespace;
  const auto class_of = [&](char c) { return classes[static_cast<unsigned char>(c)]; };
  std::size_t i = 0;
  while (i < text.size()) {
    const int run_class = class_of(text[i]);
    std::size_t end = i + 1;
    while (end < text.size() && class_of(text[end]) == run_class) ++end;
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
