#include "core/host_transfer.h"

#include <ATen/ATen.h>

namespace virnucpro {

at::Tensor EmptyHostTensor(const std::vector<int64_t>& shape, c10::ScalarType dtype,
                           const c10::Device& target) {
  return at::empty(shape, at::TensorOptions().dtype(dtype).pinned_memory(target.is_cuda()));
}

at::Tensor CopyToDevice(const at::Tensor& host, const c10::Device& target) {
  if (!target.is_cuda()) return host.to(target);
  const at::Tensor pinned = host.is_pinned() ? host : host.pin_memory();
  return pinned.to(target, /*non_blocking=*/true);
}

}  // namespace virnucpro
