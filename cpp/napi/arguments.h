#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <napi.h>

#include <string>

namespace virnucpro::napi {

// Argument checks on the JS thread; each failure is a virnucpro::Error with a stable code.
std::string StringArgument(const Napi::CallbackInfo& info, size_t index, const char* what);
Napi::Object ObjectArgument(const Napi::CallbackInfo& info, size_t index, const char* what);
std::string StringProperty(const Napi::Object& object, const char* key);

// Host tensors copied out of typed arrays, so that nothing JS owns is touched off the JS thread; pinned
// when `target` (the model's device) is a CUDA device. `shape` must be [rows, cols]
// (ErrorCode::kInputShape) and match the array's length.
// tokens: Int32Array | BigInt64Array -> int64
at::Tensor TokenTensor(const Napi::Object& input, const c10::Device& target);
// mask: Int32Array | Uint8Array -> int64
at::Tensor MaskTensor(const Napi::Object& input, const c10::Device& target);
// features: Float32Array -> float32
at::Tensor FeatureTensor(const Napi::Object& input, const c10::Device& target);

}  // namespace virnucpro::napi
