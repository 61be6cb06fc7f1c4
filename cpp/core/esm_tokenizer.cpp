#include "core/esm_tokenizer.h"

namespace virnucpro {

namespace {

// Residue characters in id order, starting at id 4.
constexpr std::string_view kResidues = "LAGVSERTIDPKQNFYMHWCXBUZO.-";

bool IsUtf8Continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

EsmTokenizer::EsmTokenizer() {
  id_of_byte_.fill(kUnkId);
  for (std::size_t i = 0; i < kResidues.size(); ++i) {
    id_of_byte_[static_cast<unsigned char>(kResidues[i])] = static_cast<int32_t>(4 + i);
  }
}

void EsmTokenizer::Encode(std::string_view text, std::vector<int32_t>& ids) const {
  ids.push_back(kClsId);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (!IsUtf8Continuation(byte)) ids.push_back(id_of_byte_[byte]);
  }
  ids.push_back(kEosId);
}

}  // namespace virnucpro
