#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "core/model_registry.h"
#include "core/pooling.h"

namespace virnucpro {

struct InferenceResult {
  // float32, contiguous, on the CPU
  at::Tensor values;
  double seconds = 0;
};

// Runs an embedding module under InferenceMode on its device. tokens and mask: int64 [B,L] on the CPU;
// token ids are checked against the module's vocab_size (ErrorCode::kTokenRange).
InferenceResult RunEmbedding(const RegisteredModel& model, const at::Tensor& tokens, const at::Tensor& mask,
                             Pooling pooling);

// Runs a classifier module on float32 features [N,dim] on the CPU; returns softmax probabilities [N,C].
InferenceResult RunClassifier(const RegisteredModel& model, const at::Tensor& features);

// Test-only: the next `count` RunEmbedding calls with at least `min_rows` rows fail with kOutOfMemory.
void InjectOutOfMemory(int64_t count, int64_t min_rows);

struct InferenceCounters {
  int64_t forward_calls = 0;
  double forward_seconds = 0;
};
// RunEmbedding calls that ran the module, and the seconds they took.
InferenceCounters Counters();

}  // namespace virnucpro
