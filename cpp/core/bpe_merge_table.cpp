#include "core/bpe_merge_table.h"

namespace virnucpro {

BpeMergeTable::BpeMergeTable(std::size_t expected_count) {
  // At most a quarter full: most looked-up pairs have no merge, and a miss probes until an empty slot.
  unsigned bits = 4;
  while ((std::size_t{1} << bits) < 4 * expected_count + 1) ++bits;
  entries_.resize(std::size_t{1} << bits);
  mask_ = entries_.size() - 1;
  shift_ = 64 - bits;
}

void BpeMergeTable::Insert(int32_t left, int32_t right, Merge merge) {
  const uint64_t key = Key(left, right);
  std::size_t slot = Slot(key);
  while (entries_[slot].key != kEmptyKey && entries_[slot].key != key) slot = (slot + 1) & mask_;
  entries_[slot].key = key;
  entries_[slot].merge = merge;
}

}  // namespace virnucpro
