#include "core/tokenizer.h"

#include <algorithm>
#include <exception>
#include <thread>

#include "core/errors.h"

namespace virnucpro {

namespace {

// Below this many characters per thread, starting threads costs more than it saves; the batches the
// embedding pipeline tokenizes stay on one thread, leaving the cores to the model.
constexpr std::size_t kCharsPerThread = std::size_t{1} << 20;

// Sequences [begin, end) encoded back to back, with each one's id count.
struct EncodedRange {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::vector<int32_t> ids;
  std::vector<uint32_t> counts;
  std::exception_ptr error;
};

void EncodeRange(const Tokenizer& tokenizer, const std::vector<std::string_view>& sequences,
                 EncodedRange& range) {
  try {
    for (std::size_t i = range.begin; i < range.end; ++i) {
      const std::size_t before = range.ids.size();
      try {
        tokenizer.Encode(sequences[i], range.ids);
      } catch (const Error& e) {
        throw Error(e.code(), "sequence " + std::to_string(i) + ": " + e.what());
      }
      range.counts.push_back(static_cast<uint32_t>(range.ids.size() - before));
    }
  } catch (...) {
    range.error = std::current_exception();
  }
}

// Contiguous ranges of about equal character counts, one per thread.
std::vector<EncodedRange> SplitByCharacters(const std::vector<std::string_view>& sequences,
                                            std::size_t total_chars, std::size_t parts) {
  std::vector<EncodedRange> ranges(parts);
  std::size_t next = 0;
  std::size_t chars = 0;
  for (std::size_t part = 0; part < parts; ++part) {
    ranges[part].begin = next;
    const std::size_t target = total_chars * (part + 1) / parts;
    while (next < sequences.size() && (chars < target || part + 1 == parts))
      chars += sequences[next++].size();
    ranges[part].end = next;
  }
  return ranges;
}

}  // namespace

TokenizedBatch EncodeBatch(const Tokenizer& tokenizer, const std::vector<std::string_view>& sequences) {
  std::size_t total_chars = 0;
  for (const std::string_view sequence : sequences) total_chars += sequence.size();
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t threads =
      std::max<std::size_t>(1, std::min({total_chars / kCharsPerThread, cores, sequences.size()}));

  std::vector<EncodedRange> ranges = SplitByCharacters(sequences, total_chars, threads);
  if (threads == 1) {
    EncodeRange(tokenizer, sequences, ranges[0]);
  } else {
    std::vector<std::thread> workers;
    for (EncodedRange& range : ranges) {
      workers.emplace_back([&tokenizer, &sequences, &range] { EncodeRange(tokenizer, sequences, range); });
    }
    for (std::thread& worker : workers) worker.join();
  }

  TokenizedBatch batch;
  std::size_t total_ids = 0;
  for (const EncodedRange& range : ranges) {
    // Ranges are in input order, so the first error is the lowest failing sequence.
    if (range.error) std::rethrow_exception(range.error);
    total_ids += range.ids.size();
  }
  batch.ids.reserve(total_ids);
  batch.offsets.reserve(sequences.size() + 1);
  batch.offsets.push_back(0);
  for (const EncodedRange& range : ranges) {
    batch.ids.insert(batch.ids.end(), range.ids.begin(), range.ids.end());
    for (const uint32_t count : range.counts) batch.offsets.push_back(batch.offsets.back() + count);
  }
  return batch;
}

}  // namespace virnucpro
