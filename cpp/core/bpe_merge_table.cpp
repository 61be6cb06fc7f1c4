#include "core/bpe_merge_table.h"

namespace virnucpro {

BpeMergeTable::BpeMergeTable(std::size_t expected_count) {
  // At most a quarter of the slots used, so a bucket is rarely full and a lookup rarely probes on.
  unsigned bits = 3;
  while ((std::size_t{1} << bits) < 2 * expected_count + 1) ++bits;
  entries_.resize(std::size_t{2} << bits);
  mask_ = (std::size_t{1} << bits) - 1;
  shift_ = 64 - bits;
}

void BpeMergeTable::Insert(int32_t left, int32_t right, uint32_t rank) {
  const uint64_t key = Key(left, right);
  for (std::size_t bucket = Bucket(key);; bucket = (bucket + 1) & mask_) {
    Entry* slots = &entries_[2 * bucket];
    for (int i = 0; i < 2; ++i) {
      if (slots[i].key == kEmptyKey || slots[i].key == key) {
        slots[i] = {key, rank};
        return;
      }
    }
  }
}

}  // namespace virnucpro
