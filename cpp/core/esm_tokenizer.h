#pragma once

#include <array>

#include "core/tokenizer.h"

namespace virnucpro {

// The ESM-2 alphabet (docs/behaviour.md §4): <cls>=0 <pad>=1 <eos>=2 <unk>=3, residues
// L A G V S E R T I D P K Q N F Y M H W C X B U Z O . - = 4..30, <null_1>=31, <mask>=32.
// A row is <cls> residues <eos>, one id per character, and any other character is <unk>.
//
// fair-esm's Alphabet.tokenize differs only on text that is not plain residue letters: it recognises
// special tokens written inside the text ("<mask>"), drops whitespace, and turns a run of unknown
// characters into one token. The proteins here are translated codons, so plain letters, and this
// tokenizer reads every character literally: "<mask>" is six <unk>-or-residue ids, a space is <unk>,
// and a multi-byte UTF-8 character is one <unk>.
class EsmTokenizer : public Tokenizer {
 public:
  static constexpr int32_t kClsId = 0;
  static constexpr int32_t kPadId = 1;
  static constexpr int32_t kEosId = 2;
  static constexpr int32_t kUnkId = 3;
  static constexpr int32_t kVocabSize = 33;

  EsmTokenizer();

  void Encode(std::string_view text, std::vector<int32_t>& ids) const override;
  int32_t PadId() const override { return kPadId; }
  int32_t VocabSize() const override { return kVocabSize; }
  const char* Kind() const override { return "esm"; }

 private:
  std::array<int32_t, 256> id_of_byte_;
};

}  // namespace virnucpro
