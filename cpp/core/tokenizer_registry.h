#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tokenizer.h"

namespace virnucpro {

// Process-wide tokenizers by name. Loading under an existing name replaces it; work already holding
// the old tokenizer keeps it alive until done.
class TokenizerRegistry {
 public:
  static TokenizerRegistry& Instance();

  // kind "esm" (path ignored) or "hf" (a tokenizer.json path). Throws Error(kTokenizer).
  void Load(const std::string& name, const std::string& kind, const std::string& path);
  // Throws Error(kTokenizer) when no tokenizer has that name.
  std::shared_ptr<const Tokenizer> Get(const std::string& name) const;
  std::vector<std::string> Names() const;

 private:
  struct State;
  TokenizerRegistry();
  ~TokenizerRegistry();
  std::unique_ptr<State> state_;
};

}  // namespace virnucpro
