#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "core/added_token_splitter.h"
#include "core/bpe_model.h"
#include "core/pre_tokenizer.h"
#include "core/text_normalizer.h"
#include "core/tokenizer.h"

namespace virnucpro {

// A Hugging Face tokenizer.json with a BPE model, in the form DNABERT-2 / DNABERT-S use, tokenizing
// exactly as the Rust `tokenizers` crate does for ASCII text: added tokens are cut out first
// (leftmost-longest; non-normalized ones on the raw text, normalized ones after the normalizer), the
// rest is normalized, pre-tokenized and BPE-encoded, then the post-processor adds its specials
// (TemplateProcessing, BertProcessing, RobertaProcessing or none). A feature this class does not
// implement is refused when the file is loaded, naming the feature; non-ASCII text is refused when
// it is encoded.
class HfTokenizer : public Tokenizer {
 public:
  static std::unique_ptr<HfTokenizer> Load(const std::string& path);
  // `source` names the file in error messages.
  static std::unique_ptr<HfTokenizer> FromJson(const nlohmann::json& root, const std::string& source);

  void Encode(std::string_view text, std::vector<int32_t>& ids) const override;
  int32_t PadId() const override { return pad_id_; }
  int32_t VocabSize() const override { return vocab_size_; }
  const char* Kind() const override { return "hf"; }

 private:
  HfTokenizer(TextNormalizer normalizer, PreTokenizer pre_tokenizer, BpeModel model);

  void EncodeNormalized(std::string_view text, std::vector<int32_t>& ids) const;

  TextNormalizer normalizer_;
  PreTokenizer pre_tokenizer_;
  BpeModel model_;
  AddedTokenSplitter raw_added_;
  AddedTokenSplitter normalized_added_;
  std::vector<int32_t> prefix_ids_;
  std::vector<int32_t> suffix_ids_;
  int32_t pad_id_ = -1;
  int32_t vocab_size_ = 0;
};

}  // namespace virnucpro
