#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace virnucpro {

enum class Pooling {
  kNone,        // hidden states [B,L,D] as they are
  kEsmMean,     // mean over positions 1..min(len,1024), len = mask.sum - 2: residues only, as ESM-2 does
  kMaskedMean,  // mean over every position whose mask is set (DNABERT-S: [CLS] and [SEP] included)
};

Pooling ParsePooling(const std::string& name);

// hidden [B,L,D] float32, mask [B,L] integer on the same device. Returns [B,D] for the means (a row with
// nothing to average pools to zeros) and hidden itself for kNone.
at::Tensor Pool(const at::Tensor& hidden, const at::Tensor& mask, Pooling pooling);

}  // namespace virnucpro
