#include "napi/arguments.h"

#include <ATen/ATen.h>

#include "core/errors.h"
#include "core/host_transfer.h"

namespace virnucpro::napi {

namespace {

std::vector<int64_t> MatrixShape(const Napi::Object& input) {
  const Napi::Value value = input.Get("shape");
  if (!value.IsArray()) throw Error(ErrorCode::kInputShape, "shape must be an array [rows, cols]");
  const Napi::Array shape = value.As<Napi::Array>();
  if (shape.Length() != 2) {
    throw Error(ErrorCode::kInputShape,
                "shape must have rank 2 [rows, cols], got rank " + std::to_string(shape.Length()));
  }
  std::vector<int64_t> dims;
  for (uint32_t i = 0; i < 2; ++i) {
    const Napi::Value dim = shape.Get(i);
    const double number = dim.IsNumber() ? dim.As<Napi::Number>().DoubleValue() : -1;
    if (number < 0 || number != static_cast<double>(static_cast<int64_t>(number))) {
      throw Error(ErrorCode::kInputShape, "shape entries must be non-negative integers");
    }
    dims.push_back(static_cast<int64_t>(number));
  }
  return dims;
}

Napi::TypedArray TypedArrayProperty(const Napi::Object& input, const char* key, const char* expected) {
  const Napi::Value value = input.Get(key);
  if (!value.IsTypedArray()) throw Error(ErrorCode::kInputDtype, std::string(key) + " must be " + expected);
  return value.As<Napi::TypedArray>();
}

// Copies a typed array's elements of type Source into a new host tensor of `dtype` with `shape`, pinned
// when it is bound for a CUDA device.
template <typename Source>
at::Tensor CopyToTensor(const Napi::TypedArray& array, const std::vector<int64_t>& shape,
                        at::ScalarType dtype, const char* key, const c10::Device& target) {
  const int64_t expected = shape[0] * shape[1];
  if (static_cast<int64_t>(array.ElementLength()) != expected) {
    throw Error(ErrorCode::kInputShape, std::string(key) + " has " + std::to_string(array.ElementLength()) +
                                            " elements but shape [" + std::to_string(shape[0]) + "," +
                                            std::to_string(shape[1]) + "] needs " + std::to_string(expected));
  }
  const auto* data = reinterpret_cast<const Source*>(static_cast<const uint8_t*>(array.ArrayBuffer().Data()) +
                                                     array.ByteOffset());
  at::Tensor copy = EmptyHostTensor(shape, dtype, target);
  if (expected > 0) {
    // from_blob only views the JS memory for the duration of this copy (which converts to dtype).
    copy.copy_(at::from_blob(const_cast<Source*>(data), shape, c10::CppTypeToScalarType<Source>::value));
  }
  return copy;
}

}  // namespace

std::string StringArgument(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsString()) {
    throw Error(ErrorCode::kInternal, std::string(what) + " must be a string");
  }
  return info[index].As<Napi::String>().Utf8Value();
}

Napi::Object ObjectArgument(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsObject()) {
    throw Error(ErrorCode::kInternal, std::string(what) + " must be an object");
  }
  return info[index].As<Napi::Object>();
}

std::string StringProperty(const Napi::Object& object, const char* key) {
  const Napi::Value value = object.Get(key);
  if (!value.IsString()) throw Error(ErrorCode::kInternal, std::string(key) + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

at::Tensor TokenTensor(const Napi::Object& input, const c10::Device& target) {
  const auto shape = MatrixShape(input);
  const Napi::TypedArray tokens = TypedArrayProperty(input, "tokens", "an Int32Array or BigInt64Array");
  switch (tokens.TypedArrayType()) {
    case napi_int32_array:
      return CopyToTensor<int32_t>(tokens, shape, at::kLong, "tokens", target);
    case napi_bigint64_array:
      return CopyToTensor<int64_t>(tokens, shape, at::kLong, "tokens", target);
    default:
      throw Error(ErrorCode::kInputDtype, "tokens must be an Int32Array or BigInt64Array");
  }
}

at::Tensor MaskTensor(const Napi::Object& input, const c10::Device& target) {
  const auto shape = MatrixShape(input);
  const Napi::TypedArray mask = TypedArrayProperty(input, "mask", "an Int32Array or Uint8Array");
  switch (mask.TypedArrayType()) {
    case napi_int32_array:
      return CopyToTensor<int32_t>(mask, shape, at::kLong, "mask", target);
    case napi_uint8_array:
      return CopyToTensor<uint8_t>(mask, shape, at::kLong, "mask", target);
    default:
      throw Error(ErrorCode::kInputDtype, "mask must be an Int32Array or Uint8Array");
  }
}

at::Tensor FeatureTensor(const Napi::Object& input, const c10::Device& target) {
  const auto shape = MatrixShape(input);
  const Napi::TypedArray features = TypedArrayProperty(input, "features", "a Float32Array");
  if (features.TypedArrayType() != napi_float32_array) {
    throw Error(ErrorCode::kInputDtype, "features must be a Float32Array");
  }
  return CopyToTensor<float>(features, shape, at::kFloat, "features", target);
}

}  // namespace virnucpro::napi
