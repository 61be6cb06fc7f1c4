#include "core/tokenizer_registry.h"

#include <map>
#include <mutex>

#include "core/errors.h"
#include "core/esm_tokenizer.h"
#include "core/hf_tokenizer.h"

namespace virnucpro {

struct TokenizerRegistry::State {
  mutable std::mutex mutex;
  std::map<std::string, std::shared_ptr<const Tokenizer>> tokenizers;
};

TokenizerRegistry::TokenizerRegistry() : state_(std::make_unique<State>()) {}
TokenizerRegistry::~TokenizerRegistry() = default;

TokenizerRegistry& TokenizerRegistry::Instance() {
  static TokenizerRegistry registry;
  return registry;
}

void TokenizerRegistry::Load(const std::string& name, const std::string& kind, const std::string& path) {
  std::shared_ptr<const Tokenizer> tokenizer;
  if (kind == "esm") {
    tokenizer = std::make_shared<EsmTokenizer>();
  } else if (kind == "hf") {
    tokenizer = HfTokenizer::Load(path);
  } else {
    throw Error(ErrorCode::kTokenizer, "unknown tokenizer kind \"" + kind + "\" (expected esm or hf)");
  }
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->tokenizers[name] = std::move(tokenizer);
}

std::shared_ptr<const Tokenizer> TokenizerRegistry::Get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  const auto it = state_->tokenizers.find(name);
  if (it == state_->tokenizers.end()) {
    throw Error(ErrorCode::kTokenizer, "no tokenizer loaded under the name \"" + name + "\"");
  }
  return it->second;
}

std::vector<std::string> TokenizerRegistry::Names() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  std::vector<std::string> names;
  for (const auto& entry : state_->tokenizers) names.push_back(entry.first);
  return names;
}

}  // namespace virnucpro
