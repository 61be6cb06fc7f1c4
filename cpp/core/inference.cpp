#include "core/inference.h"

#include <ATen/ATen.h>
#include <c10/core/DeviceGuard.h>
#include <c10/core/InferenceMode.h>

#include <chrono>
#include <mutex>
#include <vector>

#include "core/device.h"
#include "core/errors.h"
#include "core/host_transfer.h"

namespace virnucpro {

namespace {

std::mutex state_mutex;
InferenceCounters counters;
int64_t injected_oom_count = 0;
int64_t injected_oom_min_rows = 0;

std::string ShapeText(const at::Tensor& tensor) {
  std::string text = "[";
  for (int64_t dim = 0; dim < tensor.dim(); ++dim)
    text += (dim ? "," : "") + std::to_string(tensor.size(dim));
  return text + "]";
}

void ConsumeInjectedOutOfMemory(int64_t rows) {
  std::lock_guard<std::mutex> lock(state_mutex);
  if (injected_oom_count > 0 && rows >= injected_oom_min_rows) {
    --injected_oom_count;
    throw Error(ErrorCode::kOutOfMemory,
                "out of memory (injected for testing) on a batch of " + std::to_string(rows) + " rows");
  }
}

void CheckTokenBatch(const at::Tensor& tokens, const at::Tensor& mask, int64_t vocab_size) {
  if (tokens.dim() != 2)
    throw Error(ErrorCode::kInputShape, "tokens must be [rows, cols], got " + ShapeText(tokens));
  if (tokens.size(0) < 1 || tokens.size(1) < 1) {
    throw Error(ErrorCode::kInputShape,
                "tokens must have at least one row and one column, got " + ShapeText(tokens));
  }
  if (!mask.sizes().equals(tokens.sizes())) {
    throw Error(ErrorCode::kInputShape,
                "mask shape " + ShapeText(mask) + " differs from tokens shape " + ShapeText(tokens));
  }
  if (tokens.scalar_type() != at::kLong || mask.scalar_type() != at::kLong) {
    throw Error(ErrorCode::kInputDtype, "tokens and mask must be int64");
  }
  if (vocab_size < 0) return;
  const int64_t lowest = tokens.min().item<int64_t>();
  const int64_t highest = tokens.max().item<int64_t>();
  if (lowest < 0 || highest >= vocab_size) {
    throw Error(ErrorCode::kTokenRange, "token ids must lie in [0, " + std::to_string(vocab_size) +
                                            "), got " + std::to_string(lowest < 0 ? lowest : highest));
  }
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

InferenceResult RunEmbedding(const RegisteredModel& model, const at::Tensor& tokens, const at::Tensor& mask,
                             Pooling pooling) {
  CheckTokenBatch(tokens, mask, model.info.vocab_size);
  ConsumeInjectedOutOfMemory(tokens.size(0));

  const auto start = std::chrono::steady_clock::now();
  const c10::Device device = model.info.placement.device;
  c10::DeviceGuard device_guard(device);
  c10::InferenceMode inference_mode;
  ApplyIntraopThreadsOnThisThread();
  const at::Tensor device_mask = CopyToDevice(mask, device);
  const at::Tensor hidden = model.model->Forward({CopyToDevice(tokens, device), device_mask});
  if (hidden.dim() != 3 || hidden.size(0) != tokens.size(0) || hidden.size(1) != tokens.size(1)) {
    throw Error(ErrorCode::kModelFormat, "the embedding module returned " + ShapeText(hidden) +
                                             " for tokens " + ShapeText(tokens) +
                                             ", expected [rows, cols, D]");
  }
  // Pooling sums up to a thousand positions: it runs in float32 whatever the compute dtype.
  at::Tensor values = Pool(hidden.to(at::kFloat), device_mask, pooling).to(at::kCPU).contiguous();

  InferenceResult result{std::move(values), SecondsSince(start)};
  std::lock_guard<std::mutex> lock(state_mutex);
  ++counters.forward_calls;
  counters.forward_seconds += result.seconds;
  return result;
}

InferenceResult RunClassifier(const RegisteredModel& model, const at::Tensor& features) {
  if (features.dim() != 2 || features.size(0) < 1) {
    throw Error(ErrorCode::kInputShape,
                "features must be [rows, dim] with rows >= 1, got " + ShapeText(features));
  }
  if (features.scalar_type() != at::kFloat) throw Error(ErrorCode::kInputDtype, "features must be float32");

  const auto start = std::chrono::steady_clock::now();
  const Placement& placement = model.info.placement;
  c10::DeviceGuard device_guard(placement.device);
  c10::InferenceMode inference_mode;
  ApplyIntraopThreadsOnThisThread();
  // One row per forward: a frame's scores then depend on its features alone, not on which frames share
  // the call (matrix kernels round a row differently by its place in the matrix), so identical frames
  // get identical scores and the sharding of a run cannot change them.
  const at::Tensor on_device = CopyToDevice(features, placement.device).to(placement.dtype);
  std::vector<at::Tensor> rows;
  rows.reserve(static_cast<size_t>(features.size(0)));
  for (int64_t row = 0; row < features.size(0); ++row) {
    rows.push_back(model.model->Forward({on_device.narrow(0, row, 1)}));
  }
  const at::Tensor logits = at::cat(rows, 0);
  if (logits.dim() != 2 || logits.size(0) != features.size(0)) {
    throw Error(ErrorCode::kModelFormat, "the classifier returned " + ShapeText(logits) + " for features " +
                                             ShapeText(features) + ", expected [rows, classes]");
  }
  at::Tensor probabilities = at::softmax(logits.to(at::kFloat), 1).to(at::kCPU).contiguous();
  return {std::move(probabilities), SecondsSince(start)};
}

void InjectOutOfMemory(int64_t count, int64_t min_rows) {
  std::lock_guard<std::mutex> lock(state_mutex);
  injected_oom_count = count;
  injected_oom_min_rows = min_rows;
}

InferenceCounters Counters() {
  std::lock_guard<std::mutex> lock(state_mutex);
  return counters;
}

}  // namespace virnucpro
