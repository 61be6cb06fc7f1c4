#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace virnucpro {

// One operator's share of a profiled run: calls, the time spent in it less its child operators (self),
// and, for the matrix products (addmm, mm, bmm, baddbmm), the floating-point operations from the input
// shapes (2 per multiply-add).
struct OpProfileRow {
  std::string name;
  int64_t calls = 0;
  double self_us = 0;
  double flops = 0;
};

struct OpProfile {
  // self time, largest first
  std::vector<OpProfileRow> rows;
  double wall_us = 0;
};

// Runs `work` once under libtorch's profiler (CPU events with input shapes, on the calling thread: the
// intra-op threads run inside the operator that called them) and sums the events by operator name.
OpProfile ProfileOperators(const std::function<void()>& work);

}  // namespace virnucpro
