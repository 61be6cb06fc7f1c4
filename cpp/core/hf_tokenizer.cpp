#include "core/hf_tokenizer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/errors.h"

namespace virnucpro {

namespace {

using nlohmann::json;

[[noreturn]] void Refuse(const std::string& source, const std::string& what) {
  throw Error(ErrorCode::kTokenizer, source + ": " + what);
}

const json& Member(const json& object, const char* key) {
  static const json kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

bool FlagOr(const json& object, const char* key, bool fallback) {
  const json& value = Member(object, key);
  return value.is_boolean() ? value.get<bool>() : fallback;
}

int32_t IdOf(const json& value, const std::string& source, const std::string& where) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > INT32_MAX) {
    Refuse(source, where + " is not a non-negative integer id");
  }
  return static_cast<int32_t>(value.get<int64_t>());
}

// The ids a post-processor puts before and after the sequence's own ids.
struct Decoration {
  std::vector<int32_t> prefix;
  std::vector<int32_t> suffix;
};

Decoration TemplateDecoration(const json& processor, const std::string& source) {
  const json& single = Member(processor, "single");
  if (!single.is_array())
    Refuse(source, "post_processor TemplateProcessing.single must be an array of pieces");
  const json& specials = Member(processor, "special_tokens");
  Decoration decoration;
  bool seen_sequence = false;
  for (const json& piece : single) {
    if (piece.contains("Sequence")) {
      if (Member(piece["Sequence"], "id") != "A" || seen_sequence) {
        Refuse(source, "unsupported post_processor template: the single template must hold $A exactly once");
      }
      seen_sequence = true;
    } else if (piece.contains("SpecialToken")) {
      const json& name = Member(piece["SpecialToken"], "id");
      const json& special = name.is_string() ? Member(specials, name.get<std::string>().c_str()) : json();
      const json& ids = Member(special, "ids");
      if (!ids.is_array())
        Refuse(source, "post_processor template names special token " + name.dump() +
                           ", which special_tokens does not define");
      auto& target = seen_sequence ? decoration.suffix : decoration.prefix;
      for (const json& id : ids) target.push_back(IdOf(id, source, "post_processor special token id"));
    } else {
      Refuse(source, "unsupported post_processor template piece " + piece.dump());
    }
  }
  if (!seen_sequence) Refuse(source, "post_processor single template has no $A");
  return decoration;
}

Decoration PostProcessorDecoration(const json& processor, const std::string& source) {
  if (processor.is_null()) return {};
  const json& type = Member(processor, "type");
  if (!type.is_string()) Refuse(source, "post_processor has no type");
  if (type == "TemplateProcessing") return TemplateDecoration(processor, source);
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    const json& cls = Member(processor, "cls");
    const json& sep = Member(processor, "sep");
    if (!cls.is_array() || cls.size() != 2 || !sep.is_array() || sep.size() != 2) {
      Refuse(source, "post_processor " + type.get<std::string>() + " needs cls and sep as [token, id]");
    }
    return {{IdOf(cls[1], source, "post_processor cls id")}, {IdOf(sep[1], source, "post_processor sep id")}};
  }
  Refuse(source, "unsupported post_processor type \"" + type.get<std::string>() + "\"");
}

// Padding does not change a single sequence's ids only when it pads to the longest of the batch.
std::optional<int32_t> PaddingPadId(const json& padding, const std::string& source) {
  if (padding.is_null()) return std::nullopt;
  const json& strategy = Member(padding, "strategy");
  if (strategy != "BatchLongest" || !Member(padding, "pad_to_multiple_of").is_null()) {
    Refuse(source,
           "unsupported padding " + strategy.dump() + " (only BatchLongest without pad_to_multiple_of)");
  }
  return IdOf(Member(padding, "pad_id"), source, "padding.pad_id");
}

json ReadJsonFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw Error(ErrorCode::kTokenizer, "cannot read tokenizer file " + path + ": " + std::strerror(errno));
  }
  std::stringstream text;
  text << file.rdbuf();
  try {
    return json::parse(text.str());
  } catch (const json::parse_error& e) {
    throw Error(ErrorCode::kTokenizer, path + ": malformed JSON: " + e.what());
  }
}

}  // namespace

HfTokenizer::HfTokenizer(TextNormalizer normalizer, PreTokenizer pre_tokenizer, BpeModel model)
    : normalizer_(std::move(normalizer)),
      pre_tokenizer_(std::move(pre_tokenizer)),
      model_(std::move(model)) {}

std::unique_ptr<HfTokenizer> HfTokenizer::Load(const std::string& path) {
  return FromJson(ReadJsonFile(path), path);
}

std::unique_ptr<HfTokenizer> HfTokenizer::FromJson(const json& root, const std::string& source) {
  if (!root.is_object()) Refuse(source, "the top level is not an object");
  if (!Member(root, "truncation").is_null())
    Refuse(source, "unsupported truncation (sequences are never truncated)");
  const std::optional<int32_t> padding_pad_id = PaddingPadId(Member(root, "padding"), source);

  std::unique_ptr<HfTokenizer> tokenizer(
      new HfTokenizer(TextNormalizer::FromJson(Member(root, "normalizer"), source),
                      PreTokenizer::FromJson(Member(root, "pre_tokenizer"), source),
                      BpeModel::FromJson(Member(root, "model"), source)));
  const Decoration decoration = PostProcessorDecoration(Member(root, "post_processor"), source);
  tokenizer->prefix_ids_ = decoration.prefix;
  tokenizer->suffix_ids_ = decoration.suffix;

  int32_t max_id = tokenizer->model_.MaxId();
  std::optional<int32_t> pad_id = padding_pad_id;
  const json& added_tokens = Member(root, "added_tokens");
  if (!added_tokens.is_null() && !added_tokens.is_array()) Refuse(source, "added_tokens must be an array");
  for (const json& added : added_tokens.is_array() ? added_tokens : json::array()) {
    const json& content = Member(added, "content");
    if (!content.is_string() || content.get_ref<const std::string&>().empty()) {
      Refuse(source, "an added token has no content");
    }
    const std::string& text = content.get_ref<const std::string&>();
    for (const char* option : {"single_word", "lstrip", "rstrip"}) {
      if (FlagOr(added, option, false))
        Refuse(source, std::string("unsupported added token option ") + option);
    }
    if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
      Refuse(source, "unsupported non-ASCII added token " + content.dump());
    }
    const int32_t id = IdOf(Member(added, "id"), source, "added token " + content.dump() + " id");
    max_id = std::max(max_id, id);
    const bool special = FlagOr(added, "special", false);
    if (FlagOr(added, "normalized", !special) && !tokenizer->normalizer_.IsIdentity()) {
      tokenizer->normalized_added_.Add(tokenizer->normalizer_.Apply(text), id);
    } else {
      tokenizer->raw_added_.Add(text, id);
    }
    if (!pad_id && (text == "[PAD]" || text == "<pad>")) pad_id = id;
  }
  if (!pad_id) pad_id = tokenizer->model_.TokenId("[PAD]");
  if (!pad_id) pad_id = tokenizer->model_.TokenId("<pad>");
  tokenizer->pad_id_ = pad_id.value_or(-1);
  tokenizer->vocab_size_ = max_id + 1;
  return tokenizer;
}

void HfTokenizer::Encode(std::string_view text, std::vector<int32_t>& ids) const {
  const auto non_ascii =
      std::find_if(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  if (non_ascii != text.end()) {
    throw Error(ErrorCode::kTokenizer, "non-ASCII character at position " +
                                           std::to_string(non_ascii - text.begin()) +
                                           " (this tokenizer reads ASCII text only)");
  }
  ids.insert(ids.end(), prefix_ids_.begin(), prefix_ids_.end());
  raw_added_.Split(
      text, [&](std::string_view piece) { EncodeNormalized(piece, ids); },
      [&](int32_t id) { ids.push_back(id); });
  ids.insert(ids.end(), suffix_ids_.begin(), suffix_ids_.end());
}

void HfTokenizer::EncodeNormalized(std::string_view text, std::vector<int32_t>& ids) const {
  if (text.empty()) return;
  thread_local std::vector<std::string_view> words;
  const auto encode_words = [&](std::string_view piece) {
    pre_tokenizer_.Split(piece, words);
    for (const std::string_view word : words) model_.EncodeWord(word, ids);
  };
  if (normalizer_.IsIdentity()) {
    encode_words(text);
    return;
  }
  const std::string normalized = normalizer_.Apply(text);
  normalized_added_.Split(normalized, encode_words, [&](int32_t id) { ids.push_back(id); });
}

}  // namespace virnucpro
