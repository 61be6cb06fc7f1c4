#include "core/tokenizer.h"

#include "core/errors.h"

namespace virnucpro {

TokenizedBatch EncodeBatch(const Tokenizer& tokenizer, const std::vector<std::string>& sequences) {
  TokenizedBatch batch;
  std::size_t total_chars = 0;
  for (const std::string& sequence : sequences) total_chars += sequence.size();
  batch.ids.reserve(total_chars / 2 + 2 * sequences.size());
  batch.offsets.reserve(sequences.size() + 1);
  batch.offsets.push_back(0);
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    try {
      tokenizer.Encode(sequences[i], batch.ids);
    } catch (const Error& e) {
      throw Error(e.code(), "sequence " + std::to_string(i) + ": " + e.what());
    }
    batch.offsets.push_back(static_cast<uint32_t>(batch.ids.size()));
  }
  return batch;
}

}  // namespace virnucpro
