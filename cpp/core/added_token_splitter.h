#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace virnucpro {

// Cuts a tokenizer.json's added tokens ([CLS], [MASK], ...) out of text, leftmost-longest like the
// Aho-Corasick matcher of Hugging Face's AddedVocabulary. Few tokens and a first-byte filter keep
// the scan cheap on DNA, which never contains their first characters.
class AddedTokenSplitter {
 public:
  void Add(std::string content, int32_t id) {
    starts_token_[static_cast<unsigned char>(content.front())] = true;
    tokens_.push_back({std::move(content), id});
  }

  // Calls on_text(piece) for the (possibly empty) text between tokens and on_token(id) per token.
  template <typename OnText, typename OnToken>
  void Split(std::string_view text, OnText&& on_text, OnToken&& on_token) const {
    std::size_t piece_start = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
      const Token* longest = nullptr;
      if (starts_token_[static_cast<unsigned char>(text[pos])]) {
        for (const Token& token : tokens_) {
          if (text.compare(pos, token.content.size(), token.content) == 0 &&
              (longest == nullptr || token.content.size() > longest->content.size())) {
            longest = &token;
          }
        }
      }
      if (longest == nullptr) {
        ++pos;
        continue;
      }
      on_text(text.substr(piece_start, pos - piece_start));
      on_token(longest->id);
      pos += longest->content.size();
      piece_start = pos;
    }
    on_text(text.substr(piece_start));
  }

 private:
  struct Token {
    std::string content;
    int32_t id;
  };
  std::vector<Token> tokens_;
  std::array<bool, 256> starts_token_{};
};

}  // namespace virnucpro
