#include "core/op_profile.h"

#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <chrono>
#include <map>

namespace virnucpro {

namespace {

using torch::autograd::profiler::EventKind;
using torch::autograd::profiler::LegacyEvent;

int64_t Product(const std::vector<int64_t>& shape, size_t from, size_t to) {
  int64_t product = 1;
  for (size_t i = from; i < to && i < shape.size(); ++i) product *= shape[i];
  return product;
}

// 2 x M x K x N (times the batch) from the shapes the profiler recorded; 0 for every other operator.
double MatrixProductFlops(const std::string& name, const std::vector<std::vector<int64_t>>& shapes) {
  // addmm(bias, a [M,K], b [K,N]); baddbmm(bias, a [B,M,K], b [B,K,N]); mm(a, b); bmm(a, b)
  const bool with_bias = name == "aten::addmm" || name == "aten::baddbmm";
  if (!with_bias && name != "aten::mm" && name != "aten::bmm") return 0;
  const size_t first = with_bias ? 1 : 0;
  if (shapes.size() < first + 2) return 0;
  const std::vector<int64_t>& a = shapes[first];
  const std::vector<int64_t>& b = shapes[first + 1];
  if (a.size() < 2 || b.size() != a.size()) return 0;
  return 2.0 * static_cast<double>(Product(a, 0, a.size()) * b.back());
}

struct Open {
  const LegacyEvent* push;
  double child_us = 0;
};

}  // namespace

OpProfile ProfileOperators(const std::function<void()>& work) {
  using namespace torch::autograd::profiler;
  const torch::profiler::impl::ProfilerConfig config(torch::profiler::impl::ProfilerState::CPU,
                                                     /*report_input_shapes=*/true);
  thread_event_lists events;
  const auto start = std::chrono::steady_clock::now();
  {
    TLSLegacyProfilerGuard guard(config, [&events](const thread_event_lists& lists) { events = lists; });
    work();
  }
  OpProfile profile;
  profile.wall_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();

  std::map<std::string, OpProfileRow> by_name;
  for (const auto& list : events) {
    std::vector<Open> open;
    for (const LegacyEvent& event : list) {
      if (event.kind() == EventKind::PushRange) {
        open.push_back({&event});
      } else if (event.kind() == EventKind::PopRange && !open.empty()) {
        const Open closed = open.back();
        open.pop_back();
        const double total_us = closed.push->cpuElapsedUs(event);
        if (!open.empty()) open.back().child_us += total_us;
        const std::string name = closed.push->name();
        OpProfileRow& row = by_name[name];
        row.name = name;
        ++row.calls;
        row.self_us += total_us - closed.child_us;
        row.flops += MatrixProductFlops(name, closed.push->shapes());
      }
    }
  }
  for (auto& [name, row] : by_name) profile.rows.push_back(std::move(row));
  std::sort(profile.rows.begin(), profile.rows.end(),
            [](const OpProfileRow& a, const OpProfileRow& b) { return a.self_us > b.self_us; });
  return profile;
}

}  // namespace virnucpro
