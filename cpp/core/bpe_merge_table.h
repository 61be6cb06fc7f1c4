#pragma once

#include <cstdint>
#include <vector>

namespace virnucpro {

// (left id, right id) -> (rank, merged id), an open-addressing table: the BPE inner loop does one
// lookup per candidate pair, so this avoids std::unordered_map's node chasing.
class BpeMergeTable {
 public:
  struct Merge {
    uint32_t rank;
    int32_t merged_id;
  };

  explicit BpeMergeTable(std::size_t expected_count);

  // A pair inserted twice keeps the later merge, as Hugging Face's map-building does.
  void Insert(int32_t left, int32_t right, Merge merge);
  const Merge* Find(int32_t left, int32_t right) const {
    const uint64_t key = Key(left, right);
    for (std::size_t slot = Slot(key);; slot = (slot + 1) & mask_) {
      const Entry& entry = entries_[slot];
      if (entry.key == key) return &entry.merge;
      if (entry.key == kEmptyKey) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmptyKey = ~uint64_t{0};
  struct Entry {
    uint64_t key = kEmptyKey;
    Merge merge{0, 0};
  };

  static uint64_t Key(int32_t left, int32_t right) {
    return (uint64_t{static_cast<uint32_t>(left)} << 32) | static_cast<uint32_t>(right);
  }
  std::size_t Slot(uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_) & mask_;
  }

  std::vector<Entry> entries_;
  std::size_t mask_;
  unsigned shift_;
};

}  // namespace virnucpro
