#pragma once

#include <cstdint>
#include <vector>

namespace virnucpro {

// (left id, right id) -> merge rank, an open-addressing table of two-slot buckets: the BPE inner loop
// does one lookup per candidate pair, most of which have no merge, so a lookup compares a whole
// bucket without branching on which slot matched and moves on only from a full bucket.
class BpeMergeTable {
 public:
  static constexpr uint32_t kNoMerge = ~uint32_t{0};

  explicit BpeMergeTable(std::size_t expected_count);

  // A pair inserted twice keeps the later rank, as Hugging Face's map-building does.
  void Insert(int32_t left, int32_t right, uint32_t rank);

  // The rank of the merge of (left, right), kNoMerge when there is none.
  uint32_t RankOf(int32_t left, int32_t right) const {
    const uint64_t key = Key(left, right);
    for (std::size_t bucket = Bucket(key);; bucket = (bucket + 1) & mask_) {
      const Entry* slots = &entries_[2 * bucket];
      const uint32_t rank =
          slots[0].key == key ? slots[0].rank : (slots[1].key == key ? slots[1].rank : kNoMerge);
      if (rank != kNoMerge || slots[1].key == kEmptyKey) return rank;
    }
  }

 private:
  static constexpr uint64_t kEmptyKey = ~uint64_t{0};
  struct Entry {
    uint64_t key = kEmptyKey;
    uint32_t rank = kNoMerge;
  };

  static uint64_t Key(int32_t left, int32_t right) {
    return (uint64_t{static_cast<uint32_t>(left)} << 32) | static_cast<uint32_t>(right);
  }
  std::size_t Bucket(uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_) & mask_;
  }

  std::vector<Entry> entries_;  // bucket b is entries_[2b], entries_[2b + 1], filled in that order
  std::size_t mask_;
  unsigned shift_;
};

}  // namespace virnucpro
