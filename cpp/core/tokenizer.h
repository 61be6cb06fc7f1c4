#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace virnucpro {

// A text -> token ids mapping that adds the model's specials. Implementations are immutable after
// construction, so one instance serves many threads at once.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Appends the ids of `text`, specials included, to `ids`.
  virtual void Encode(std::string_view text, std::vector<int32_t>& ids) const = 0;

  virtual int32_t PadId() const = 0;
  virtual int32_t VocabSize() const = 0;
  // "esm" or "hf", as binding/index.d.ts names the kinds.
  virtual const char* Kind() const = 0;
};

// Every sequence's ids back to back; offsets[i]..offsets[i+1] delimit sequence i (n+1 offsets).
struct TokenizedBatch {
  std::vector<int32_t> ids;
  std::vector<uint32_t> offsets;
};

// Encodes each sequence, in order; an error names the sequence's index. A batch of millions of
// characters is split over the cores.
TokenizedBatch EncodeBatch(const Tokenizer& tokenizer, const std::vector<std::string_view>& sequences);

}  // namespace virnucpro
