#include "core/pooling.h"

#include <ATen/ATen.h>

#include "core/errors.h"

namespace virnucpro {

namespace {

// ESM-2 was trained on at most 1022 residues plus BOS/EOS; its embedding averages the first 1024
// positions after BOS at most, whatever the sequence's length.
constexpr int64_t kEsmMaxPooledResidues = 1024;

// [B,L] float weights: 1 where a position takes part in the mean.
at::Tensor EsmResidueWeights(const at::Tensor& mask) {
  const at::Tensor residues = (mask.sum(1) - 2).clamp(0, kEsmMaxPooledResidues).unsqueeze(1);
  const at::Tensor positions = at::arange(mask.size(1), mask.options()).unsqueeze(0);
  return ((positions >= 1) & (positions <= residues)).to(at::kFloat);
}

}  // namespace

Pooling ParsePooling(const std::string& name) {
  if (name == "none") return Pooling::kNone;
  if (name == "esm-mean") return Pooling::kEsmMean;
  if (name == "masked-mean") return Pooling::kMaskedMean;
  throw Error(ErrorCode::kInternal, "unknown pooling '" + name + "': expected none, esm-mean or masked-mean");
}

at::Tensor Pool(const at::Tensor& hidden, const at::Tensor& mask, Pooling pooling) {
  if (pooling == Pooling::kNone) return hidden;
  const at::Tensor weights =
      pooling == Pooling::kEsmMean ? EsmResidueWeights(mask) : (mask != 0).to(at::kFloat);
  const at::Tensor counts = weights.sum(1, /*keepdim=*/true).clamp_min(1);
  return at::bmm(weights.unsqueeze(1), hidden).squeeze(1) / counts;
}

}  // namespace virnucpro
