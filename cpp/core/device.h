#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace virnucpro {

// Where a model runs and in which floating-point type it computes.
struct Placement {
  c10::Device device{c10::kCPU};
  c10::ScalarType dtype = c10::kFloat;
};

// 'cpu' or 'cuda:N'; anything else, a CUDA device on a CPU build, or N past the device count is
// ErrorCode::kDevice. dtype is 'auto' (DefaultDtype of the device), 'fp32', 'fp16' or 'bf16'; fp16
// needs a CUDA device (libtorch's CPU kernels lack half-precision matmul), bf16 runs on both.
Placement ParsePlacement(const std::string& device, const std::string& dtype);
// bf16 on CUDA devices (tensor-core rate, fp32's exponent range), fp32 on the CPU, where bf16 matmuls
// are emulated and slower than fp32.
c10::ScalarType DefaultDtype(const c10::Device& device);
std::string DeviceName(const c10::Device& device);
std::string DtypeName(c10::ScalarType dtype);

struct DeviceInfo {
  int index = 0;
  std::string name;
  int64_t total_memory_bytes = 0;
  int64_t free_memory_bytes = 0;
};

struct AllocatorStats {
  int64_t allocated_bytes = 0;
  int64_t reserved_bytes = 0;
  int64_t peak_allocated_bytes = 0;
  int64_t peak_reserved_bytes = 0;
  int64_t num_alloc_retries = 0;
  int64_t num_ooms = 0;
};

struct BuildInfo {
  std::string torch_version;
  bool cuda = false;
  std::optional<std::string> cuda_version;
  std::vector<DeviceInfo> devices;
  // PYTORCH_CUDA_ALLOC_CONF in force, and why expandable segments are off when the addon left them off
  std::optional<std::string> alloc_conf;
  std::optional<std::string> alloc_conf_note;
  int interop_threads = 0;
  int intraop_threads = 0;
  // One entry per device on CUDA builds with a device; empty otherwise.
  std::vector<AllocatorStats> allocator;
};

// Querying free memory creates a CUDA context on every visible device.
BuildInfo QueryBuildInfo();

// The CUDA devices this process sees (0 on a CPU build). It initialises the driver but creates no
// context, so a process that only schedules work can ask without holding memory on every GPU.
int VisibleCudaDeviceCount();

// Sets libtorch's intra-op thread count (worker processes divide the cores between them).
void SetIntraopThreads(int threads);
// With OpenMP the count is per calling thread and a thread picks it up once; forwards run on libuv
// threads, so each call applies the count SetIntraopThreads last asked for (libtorch's default on the
// loading thread when none was asked for), and results do not depend on the thread.
void ApplyIntraopThreadsOnThisThread();

// Deterministic kernels: libtorch's deterministic-algorithms switch, and on CUDA the cuBLAS workspace
// setting it requires (CUBLAS_WORKSPACE_CONFIG, unless the user set one). Call before any model is
// loaded: cuBLAS reads the variable when its first handle is created.
void UseDeterministicAlgorithms();

// Releases the CUDA caching allocator's unused blocks on CUDA builds; a no-op on CPU builds. Either way
// the call is counted; returns the count so far.
int64_t ClearCache();
int64_t CacheClears();

}  // namespace virnucpro
