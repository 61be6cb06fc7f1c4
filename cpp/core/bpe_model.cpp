#include "core/bpe_model.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/bpe_pair_tree.h"
#include "core/errors.h"

namespace virnucpro {

namespace {

using nlohmann::json;

[[noreturn]] void Refuse(const std::string& source, const std::string& what) {
  throw Error(ErrorCode::kTokenizer, source + ": " + what);
}

std::optional<std::string> OptionalString(const json& object, const char* key, const std::string& source) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) Refuse(source, std::string("model.") + key + " must be a string or null");
  return it->get<std::string>();
}

bool OptionalBool(const json& object, const char* key, const std::string& source) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return false;
  if (!it->is_boolean()) Refuse(source, std::string("model.") + key + " must be a boolean");
  return it->get<bool>();
}

std::pair<std::string, std::string> MergePair(const json& merge, std::size_t index,
                                              const std::string& source) {
  if (merge.is_string()) {
    const std::string& text = merge.get_ref<const std::string&>();
    const std::size_t space = text.find(' ');
    if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
      Refuse(source, "model.merges[" + std::to_string(index) + "] \"" + text +
                         "\" is not two tokens separated by one space");
    }
    return {text.substr(0, space), text.substr(space + 1)};
  }
  if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
    return {merge[0].get<std::string>(), merge[1].get<std::string>()};
  }
  Refuse(source, "model.merges[" + std::to_string(index) + "] is neither \"a b\" nor [\"a\", \"b\"]");
}

// One symbol of a word being merged, in a linked list over the word's initial symbols; a symbol merged
// into its left neighbour is unlinked, so the list from position 0 is the word's current symbols.
struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;  // -1 for the last symbol
};

}  // namespace

BpeModel::BpeModel(std::unordered_map<std::string, int32_t> vocab, BpeMergeTable merges)
    : vocab_(std::move(vocab)), merges_(std::move(merges)) {}

BpeModel BpeModel::FromJson(const json& model, const std::string& source) {
  if (!model.is_object()) Refuse(source, "model must be an object");
  const auto type = model.find("type");
  if (type == model.end() || !type->is_string()) Refuse(source, "model.type is missing");
  if (*type != "BPE") Refuse(source, "unsupported model type \"" + type->get<std::string>() + "\"");

  const auto dropout = model.find("dropout");
  if (dropout != model.end() && !dropout->is_null() &&
      !(dropout->is_number() && dropout->get<double>() == 0.0)) {
    Refuse(source, "unsupported model option dropout (BPE dropout makes tokenization random)");
  }
  if (OptionalBool(model, "byte_fallback", source)) Refuse(source, "unsupported model option byte_fallback");

  const auto vocab_json = model.find("vocab");
  if (vocab_json == model.end() || !vocab_json->is_object()) Refuse(source, "model.vocab must be an object");
  std::unordered_map<std::string, int32_t> vocab;
  vocab.reserve(vocab_json->size());
  int32_t max_id = -1;
  for (const auto& [token, id] : vocab_json->items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      Refuse(source, "model.vocab[\"" + token + "\"] is not a non-negative integer id");
    }
    const auto value = static_cast<int32_t>(id.get<int64_t>());
    vocab.emplace(token, value);
    max_id = std::max(max_id, value);
  }

  const std::string prefix = OptionalString(model, "continuing_subword_prefix", source).value_or("");
  const std::string suffix = OptionalString(model, "end_of_word_suffix", source).value_or("");

  const auto merges_json = model.find("merges");
  if (merges_json == model.end() || !merges_json->is_array()) Refuse(source, "model.merges must be an array");
  BpeMergeTable merges(merges_json->size());
  std::vector<int32_t> merged_id_of_rank;
  merged_id_of_rank.reserve(merges_json->size());
  const auto id_of = [&](const std::string& token) {
    const auto it = vocab.find(token);
    if (it == vocab.end()) Refuse(source, "a merge uses \"" + token + "\", which is not in model.vocab");
    return it->second;
  };
  for (std::size_t rank = 0; rank < merges_json->size(); ++rank) {
    const auto [left, right] = MergePair((*merges_json)[rank], rank, source);
    if (right.size() < prefix.size()) {
      Refuse(source, "merge right side \"" + right + "\" is shorter than continuing_subword_prefix");
    }
    const int32_t merged_id = id_of(left + right.substr(prefix.size()));
    merges.Insert(id_of(left), id_of(right), static_cast<uint32_t>(rank));
    merged_id_of_rank.push_back(merged_id);
  }

  BpeModel result(std::move(vocab), std::move(merges));
  result.merged_id_of_rank_ = std::move(merged_id_of_rank);
  result.max_id_ = max_id;
  result.fuse_unk_ = OptionalBool(model, "fuse_unk", source);
  result.ignore_merges_ = OptionalBool(model, "ignore_merges", source);
  if (const auto unk = OptionalString(model, "unk_token", source)) {
    const auto it = result.vocab_.find(*unk);
    if (it == result.vocab_.end()) Refuse(source, "model.unk_token \"" + *unk + "\" is not in model.vocab");
    result.unk_id_ = it->second;
  }
  for (int c = 0; c < 128; ++c) {
    const std::string character(1, static_cast<char>(c));
    const auto lookup = [&](const std::string& token) {
      const auto it = result.vocab_.find(token);
      return it == result.vocab_.end() ? -1 : it->second;
    };
    result.char_ids_[kMiddle][c] = lookup(prefix + character);
    result.char_ids_[kFirst][c] = lookup(character);
    result.char_ids_[kLast][c] = lookup(prefix + character + suffix);
    result.char_ids_[kOnly][c] = lookup(character + suffix);
  }
  return result;
}

std::optional<int32_t> BpeModel::TokenId(const std::string& token) const {
  const auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

void BpeModel::EncodeWord(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (const auto it = vocab_.find(std::string(word)); it != vocab_.end()) {
      ids.push_back(it->second);
      return;
    }
  }

  thread_local std::vector<Symbol> symbols;
  thread_local BpePairTree pairs;
  // At most one symbol per character; links are set for a full list and the last one fixed below.
  symbols.resize(word.size());
  int32_t count = 0;
  const auto add_symbol = [&](int32_t id) {
    symbols[count] = {id, count - 1, count + 1};
    ++count;
  };

  // A pending unknown is held back so that fuse_unk can extend it over the next unknown character.
  bool unknown_pending = false;
  const std::size_t last = word.size() - 1;
  for (std::size_t i = 0; i < word.size(); ++i) {
    const int position = (i == 0 ? kFirst : 0) | (i == last ? kLast : 0);
    const int32_t id = char_ids_[position][static_cast<unsigned char>(word[i])];
    if (id >= 0) {
      if (unknown_pending) add_symbol(*unk_id_);
      unknown_pending = false;
      add_symbol(id);
    } else if (unk_id_) {
      if (unknown_pending && !fuse_unk_) add_symbol(*unk_id_);
      unknown_pending = true;
    }
  }
  if (unknown_pending) add_symbol(*unk_id_);
  if (count == 0) return;
  symbols.resize(count);
  symbols.back().next = -1;

  // The key of the pair starting at `pos`; the last symbol starts no pair.
  const auto pair_key = [&](int32_t pos) {
    const Symbol& symbol = symbols[pos];
    const uint32_t rank =
        symbol.next == -1 ? BpeMergeTable::kNoMerge : merges_.RankOf(symbol.id, symbols[symbol.next].id);
    return BpePairTree::Key(rank, pos);
  };
  pairs.Reset(symbols.size());
  for (int32_t pos = 0; pos + 1 < count; ++pos) pairs.SetLeaf(pos, pair_key(pos));
  pairs.Build();

  for (uint64_t top = pairs.Min(); BpePairTree::RankOf(top) != BpeMergeTable::kNoMerge; top = pairs.Min()) {
    const int32_t pos = BpePairTree::PosOf(top);
    Symbol& left = symbols[pos];
    Symbol& right = symbols[left.next];
    left.id = merged_id_of_rank_[BpePairTree::RankOf(top)];
    const int32_t removed = left.next;
    pairs.SetLeaf(removed, BpePairTree::Key(BpeMergeTable::kNoMerge, removed));
    left.next = right.next;
    if (left.next != -1) symbols[left.next].prev = pos;
    pairs.SetLeaf(pos, pair_key(pos));
    const int32_t before = left.prev >= 0 ? left.prev : pos;
    pairs.SetLeaf(before, pair_key(before));
    pairs.Repair(removed, pos, before);
  }

  for (int32_t pos = 0; pos != -1; pos = symbols[pos].next) ids.push_back(symbols[pos].id);
}

}  // namespace virnucpro
