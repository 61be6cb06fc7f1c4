#include "core/device.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include <atomic>
#include <cstdlib>
#include <regex>

#include "core/alloc_conf.h"
#include "core/errors.h"

#ifdef VIRNUCPRO_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#endif

namespace virnucpro {

namespace {

std::atomic<int64_t> cache_clears{0};
std::atomic<int> requested_intraop_threads{0};  // 0: none asked for
// libtorch's default as the thread loading the addon sees it; the other threads get the same count, or
// a result would depend on which libuv thread ran the call (OpenMP splits the sums differently).
const int default_intraop_threads = at::get_num_threads();

#ifdef VIRNUCPRO_WITH_CUDA
int CudaDeviceCount() { return static_cast<int>(c10::cuda::device_count()); }
#endif

c10::Device ParseDevice(const std::string& text) {
  if (text == "cpu") return c10::Device(c10::kCPU);
  static const std::regex cuda_pattern("cuda:(\\d{1,3})");
  std::smatch match;
  if (!std::regex_match(text, match, cuda_pattern)) {
    throw Error(ErrorCode::kDevice, "unknown device '" + text + "': expected 'cpu' or 'cuda:N'");
  }
#ifndef VIRNUCPRO_WITH_CUDA
  throw Error(ErrorCode::kDevice,
              "device '" + text + "' needs a CUDA build; this addon was built against a CPU libtorch");
#else
  const int index = std::stoi(match[1]);
  const int count = CudaDeviceCount();
  if (index >= count) {
    throw Error(ErrorCode::kDevice,
                "device '" + text + "' is not present: " + std::to_string(count) + " CUDA device(s) visible");
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
#endif
}

c10::ScalarType ParseDtype(const std::string& text, const c10::Device& device) {
  if (text == "auto") return DefaultDtype(device);
  if (text == "fp32") return c10::kFloat;
  if (text == "fp16") return c10::kHalf;
  if (text == "bf16") return c10::kBFloat16;
  throw Error(ErrorCode::kInputDtype,
              "unknown dtype '" + text + "': expected 'auto', 'fp32', 'fp16' or 'bf16'");
}

#ifdef VIRNUCPRO_WITH_CUDA
// StatArray index of the total over the small and large pools (StatType::AGGREGATE in every release;
// the enum moved namespaces across releases, its value did not).
constexpr size_t kAggregateStat = 0;

DeviceInfo QueryDevice(int index) {
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(index));
  size_t free_bytes = 0;
  size_t total_bytes = 0;
  C10_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  DeviceInfo info;
  info.index = index;
  info.name = at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(index))->name;
  info.total_memory_bytes = static_cast<int64_t>(total_bytes);
  info.free_memory_bytes = static_cast<int64_t>(free_bytes);
  return info;
}

AllocatorStats QueryAllocator(int index) {
  // getDeviceStats refuses devices the caching allocator has not been initialised for; creating an
  // empty tensor runs libtorch's lazy CUDA initialisation through the public API of every release.
  at::empty({0}, at::TensorOptions().device(c10::kCUDA, static_cast<c10::DeviceIndex>(index)));
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(index));
  AllocatorStats result;
  result.allocated_bytes = stats.allocated_bytes[kAggregateStat].current;
  result.reserved_bytes = stats.reserved_bytes[kAggregateStat].current;
  result.peak_allocated_bytes = stats.allocated_bytes[kAggregateStat].peak;
  result.peak_reserved_bytes = stats.reserved_bytes[kAggregateStat].peak;
  result.num_alloc_retries = stats.num_alloc_retries;
  result.num_ooms = stats.num_ooms;
  return result;
}

std::string CudaRuntimeVersion() {
  return std::to_string(CUDART_VERSION / 1000) + "." + std::to_string((CUDART_VERSION % 1000) / 10);
}
#endif

}  // namespace

Placement ParsePlacement(const std::string& device, const std::string& dtype) {
  const c10::Device parsed = ParseDevice(device);
  Placement placement{parsed, ParseDtype(dtype, parsed)};
  if (placement.dtype == c10::kHalf && !placement.device.is_cuda()) {
    throw Error(ErrorCode::kDevice, "dtype 'fp16' needs a CUDA device; on 'cpu' use 'fp32' or 'bf16'");
  }
  return placement;
}

c10::ScalarType DefaultDtype(const c10::Device& device) {
  return device.is_cuda() ? c10::kBFloat16 : c10::kFloat;
}

std::string DeviceName(const c10::Device& device) { return device.str(); }

std::string DtypeName(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kHalf:
      return "fp16";
    case c10::kBFloat16:
      return "bf16";
    default:
      return "fp32";
  }
}

BuildInfo QueryBuildInfo() {
  BuildInfo info;
  info.torch_version = TORCH_VERSION;
  if (const auto applied = AppliedAllocConf()) {
    info.alloc_conf = applied->value;
    info.alloc_conf_note = applied->note;
  }
  info.interop_threads = at::get_num_interop_threads();
  info.intraop_threads = at::get_num_threads();
#ifdef VIRNUCPRO_WITH_CUDA
  info.cuda = true;
  info.cuda_version = CudaRuntimeVersion();
  const int count = CudaDeviceCount();
  for (int index = 0; index < count; ++index) {
    info.devices.push_back(QueryDevice(index));
    info.allocator.push_back(QueryAllocator(index));
  }
#endif
  return info;
}

int VisibleCudaDeviceCount() {
#ifdef VIRNUCPRO_WITH_CUDA
  return CudaDeviceCount();
#else
  return 0;
#endif
}

void SetIntraopThreads(int threads) {
  if (threads < 1) throw Error(ErrorCode::kInternal, "thread count must be at least 1");
  requested_intraop_threads = threads;
  at::set_num_threads(threads);
}

void UseDeterministicAlgorithms() {
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
}

void ApplyIntraopThreadsOnThisThread() {
  const int requested = requested_intraop_threads.load();
  const int wanted = requested > 0 ? requested : default_intraop_threads;
  if (at::get_num_threads() != wanted) at::set_num_threads(wanted);
}

int64_t ClearCache() {
#ifdef VIRNUCPRO_WITH_CUDA
  if (CudaDeviceCount() > 0) c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  return ++cache_clears;
}

int64_t CacheClears() { return cache_clears.load(); }

}  // namespace virnucpro
