#pragma once

#include <array>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bpe_merge_table.h"

namespace virnucpro {

// The "BPE" model of a Hugging Face tokenizer.json, with the semantics of the Rust `tokenizers` crate:
// a word starts as one symbol per character (continuing_subword_prefix on all but the first,
// end_of_word_suffix on the last; unknown characters become unk_token, fused when fuse_unk, dropped
// when there is no unk_token), then the lowest-ranked adjacent pair is merged, leftmost first, until
// no pair has a merge. A tournament tree of the pairs over a linked list of symbols makes a word of
// n characters O(n log n). Words must be ASCII (the pipeline checks this before calling).
class BpeModel {
 public:
  // `source` names the file in error messages.
  static BpeModel FromJson(const nlohmann::json& model, const std::string& source);

  void EncodeWord(std::string_view word, std::vector<int32_t>& ids) const;

  std::optional<int32_t> TokenId(const std::string& token) const;
  int32_t MaxId() const { return max_id_; }

 private:
  // Initial symbol ids per ASCII character, by where the character sits in the word; -1 = unknown.
  enum Position { kMiddle = 0, kFirst = 1, kLast = 2, kOnly = 3 };
  using CharIds = std::array<std::array<int32_t, 128>, 4>;

  BpeModel(std::unordered_map<std::string, int32_t> vocab, BpeMergeTable merges);

  std::unordered_map<std::string, int32_t> vocab_;
  BpeMergeTable merges_;
  std::vector<int32_t> merged_id_of_rank_;
  CharIds char_ids_{};
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;
  int32_t max_id_ = -1;
};

}  // namespace virnucpro
