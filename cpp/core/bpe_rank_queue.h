#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace virnucpro {

// The candidate merges of one word, taken lowest rank first and, within a rank, leftmost first: the
// order of the Rust crate's binary heap. Ranks are dense (0..merges-1), so a bucket per rank and a
// bitmap of non-empty buckets replace the heap's log-time sifting with a few word operations. A bucket
// is a list of positions kept in ascending order; pushing positions right to left, as the first pass
// over a word does, inserts each at the head.
class BpeRankQueue {
 public:
  // Sizes the buckets for `rank_count` ranks. A word drains the queue; one cut short (an allocation
  // failure) leaves entries behind, which are dropped here.
  void Prepare(std::size_t rank_count) {
    if (size_ != 0) {
      std::fill(heads_.begin(), heads_.end(), kNone);
      std::fill(bits_.begin(), bits_.end(), 0);
      entries_.clear();
      first_word_ = kNoWord;
      size_ = 0;
    }
    if (heads_.size() < rank_count) {
      heads_.resize(rank_count, kNone);
      bits_.resize((rank_count + 63) / 64, 0);
    }
  }

  bool Empty() const { return size_ == 0; }

  void Push(uint32_t rank, int32_t pos) {
    const auto index = static_cast<int32_t>(entries_.size());
    int32_t before = kNone;  // the entry after which `pos` goes, kNone for the head
    for (int32_t at = heads_[rank]; at != kNone && entries_[at].pos < pos; at = entries_[at].next)
      before = at;
    int32_t& link = before == kNone ? heads_[rank] : entries_[before].next;
    const int32_t after = link;
    link = index;
    entries_.push_back({pos, after});
    bits_[rank / 64] |= uint64_t{1} << (rank % 64);
    if (rank / 64 < first_word_) first_word_ = rank / 64;
    ++size_;
  }

  // Removes and returns the lowest-ranked, then leftmost, candidate. The queue must not be empty.
  void Pop(uint32_t& rank, int32_t& pos) {
    while (bits_[first_word_] == 0) ++first_word_;
    rank = static_cast<uint32_t>(first_word_ * 64 + __builtin_ctzll(bits_[first_word_]));
    const Entry& head = entries_[heads_[rank]];
    pos = head.pos;
    heads_[rank] = head.next;
    if (heads_[rank] == kNone) bits_[rank / 64] &= ~(uint64_t{1} << (rank % 64));
    if (--size_ == 0) {
      entries_.clear();
      first_word_ = kNoWord;
    }
  }

 private:
  static constexpr int32_t kNone = -1;
  static constexpr std::size_t kNoWord = ~std::size_t{0};
  struct Entry {
    int32_t pos;
    int32_t next;
  };

  std::vector<int32_t> heads_;
  std::vector<uint64_t> bits_;
  std::vector<Entry> entries_;
  std::size_t first_word_ = kNoWord;
  std::size_t size_ = 0;
};

}  // namespace virnucpro
