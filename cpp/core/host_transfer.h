#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <vector>

namespace virnucpro {

// A new host tensor that will be copied to `target`: page-locked (pinned) when the target is a CUDA
// device, so that CopyToDevice can hand the copy to the DMA engine; ordinary memory otherwise.
at::Tensor EmptyHostTensor(const std::vector<int64_t>& shape, c10::ScalarType dtype,
                           const c10::Device& target);

// `host` on `target`. To a CUDA device the copy is queued on the current stream without blocking the
// host (from pinned memory; an unpinned tensor is staged through pinned memory first), so kernels
// queued after it wait for it and the host goes on building the rest of the call.
at::Tensor CopyToDevice(const at::Tensor& host, const c10::Device& target);

}  // namespace virnucpro
