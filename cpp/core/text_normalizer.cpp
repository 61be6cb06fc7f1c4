#include "core/text_normalizer.h"

#include <nlohmann/json.hpp>

#include "core/errors.h"

namespace virnucpro {

namespace {

bool FlagOrTrue(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() || !it->is_boolean() || it->get<bool>();
}

}  // namespace

TextNormalizer TextNormalizer::FromJson(const nlohmann::json& normalizer, const std::string& source) {
  TextNormalizer result;
  if (!normalizer.is_null()) result.AddFromJson(normalizer, source);
  return result;
}

void TextNormalizer::AddFromJson(const nlohmann::json& normalizer, const std::string& source) {
  const auto type = normalizer.is_object() ? normalizer.find("type") : normalizer.end();
  if (type == normalizer.end() || !type->is_string()) {
    throw Error(ErrorCode::kTokenizer, source + ": normalizer has no type");
  }
  const std::string& name = type->get_ref<const std::string&>();
  if (name == "Sequence") {
    const auto parts = normalizer.find("normalizers");
    if (parts == normalizer.end() || !parts->is_array()) {
      throw Error(ErrorCode::kTokenizer, source + ": normalizer Sequence has no normalizers array");
    }
    for (const auto& part : *parts) AddFromJson(part, source);
  } else if (name == "Lowercase") {
    steps_.push_back(Step::kLowercase);
  } else if (name == "Strip") {
    if (FlagOrTrue(normalizer, "strip_left")) steps_.push_back(Step::kStripLeft);
    if (FlagOrTrue(normalizer, "strip_right")) steps_.push_back(Step::kStripRight);
  } else if (name != "NFC" && name != "NFD" && name != "NFKC" && name != "NFKD") {
    throw Error(ErrorCode::kTokenizer, source + ": unsupported normalizer type \"" + name + "\"");
  }
}

std::string TextNormalizer::Apply(std::string_view text) const {
  std::string out(text);
  for (const Step step : steps_) {
    switch (step) {
      case Step::kLowercase:
        for (char& c : out) {
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        }
        break;
      case Step::kStripLeft: {
        std::size_t begin = 0;
        while (begin < out.size() && IsAsciiWhitespace(out[begin])) ++begin;
        out.erase(0, begin);
        break;
      }
      case Step::kStripRight: {
        std::size_t end = out.size();
        while (end > 0 && IsAsciiWhitespace(out[end - 1])) --end;
        out.resize(end);
        break;
      }
    }
  }
  return out;
}

}  // namespace virnucpro
