#include <cstdio>

#include "core/alloc_conf.h"
#include "core/device.h"
#include "napi/bindings.h"
#include "napi/sync_call.h"

namespace virnucpro::napi {

namespace {

Napi::Value OptionalString(Napi::Env env, const std::optional<std::string>& value) {
  return value ? Napi::String::New(env, *value) : env.Null();
}

Napi::Object DeviceObject(Napi::Env env, const DeviceInfo& device) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("index", device.index);
  object.Set("name", device.name);
  object.Set("totalMemoryBytes", static_cast<double>(device.total_memory_bytes));
  object.Set("freeMemoryBytes", static_cast<double>(device.free_memory_bytes));
  return object;
}

Napi::Object AllocatorObject(Napi::Env env, const AllocatorStats& stats) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("allocatedBytes", static_cast<double>(stats.allocated_bytes));
  object.Set("reservedBytes", static_cast<double>(stats.reserved_bytes));
  object.Set("peakAllocatedBytes", static_cast<double>(stats.peak_allocated_bytes));
  object.Set("peakReservedBytes", static_cast<double>(stats.peak_reserved_bytes));
  object.Set("numAllocRetries", static_cast<double>(stats.num_alloc_retries));
  object.Set("numOoms", static_cast<double>(stats.num_ooms));
  return object;
}

template <typename Item, typename ToObject>
Napi::Array ObjectArray(Napi::Env env, const std::vector<Item>& items, ToObject to_object) {
  Napi::Array array = Napi::Array::New(env, items.size());
  for (uint32_t i = 0; i < items.size(); ++i) array.Set(i, to_object(env, items[i]));
  return array;
}

Napi::Value BuildInfoObject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return SyncCall(env, [&] {
    const BuildInfo build = QueryBuildInfo();
    Napi::Object object = Napi::Object::New(env);
    object.Set("torchVersion", build.torch_version);
    object.Set("variant", build.cuda ? "cuda" : "cpu");
    object.Set("cudaVersion", OptionalString(env, build.cuda_version));
    object.Set("cudaDeviceCount", static_cast<double>(build.devices.size()));
    object.Set("devices", ObjectArray(env, build.devices, DeviceObject));
    object.Set("allocConf", OptionalString(env, build.alloc_conf));
    object.Set("allocConfNote", OptionalString(env, build.alloc_conf_note));
    object.Set("interopThreads", build.interop_threads);
    object.Set("intraopThreads", build.intraop_threads);
    object.Set("allocator",
               build.allocator.empty() ? env.Null() : ObjectArray(env, build.allocator, AllocatorObject));
    return object;
  });
}

Napi::Object AllocConfObject(Napi::Env env, const AllocConf& conf) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("value", OptionalString(env, conf.value));
  object.Set("note", OptionalString(env, conf.note));
  return object;
}

Napi::Value AllocConfBinding(const Napi::CallbackInfo& info) {
  return SyncCall(info.Env(),
                  [&] { return AllocConfObject(info.Env(), AppliedAllocConf().value_or(AllocConf{})); });
}

// The rule alone, for any libtorch version: allocConfFor('1.13', 'max_split_size_mb:128').
Napi::Value AllocConfForBinding(const Napi::CallbackInfo& info) {
  return SyncCall(info.Env(), [&] {
    if (info.Length() < 2 || !info[0].IsString() || !(info[1].IsString() || info[1].IsNull()))
      throw Error(ErrorCode::kInternal,
                  "allocConfFor(torchVersion, current) takes a string and a string or null");
    const std::string version = info[0].As<Napi::String>().Utf8Value();
    int major = 0;
    int minor = 0;
    if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2)
      throw Error(ErrorCode::kInternal, "allocConfFor: torchVersion must look like 2.1, got " + version);
    const std::optional<std::string> current =
        info[1].IsNull() ? std::nullopt : std::optional<std::string>(info[1].As<Napi::String>().Utf8Value());
    return AllocConfObject(info.Env(), DecideAllocConf(major, minor, current));
  });
}

Napi::Value CudaDeviceCountBinding(const Napi::CallbackInfo& info) {
  return SyncCall(info.Env(), [&] { return Napi::Number::New(info.Env(), VisibleCudaDeviceCount()); });
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return SyncCall(info.Env(), [&] {
    if (info.Length() < 1 || !info[0].IsNumber())
      throw Error(ErrorCode::kInternal, "setThreads(n) takes a number");
    SetIntraopThreads(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  });
}

Napi::Value UseDeterministicBinding(const Napi::CallbackInfo& info) {
  return SyncCall(info.Env(), [&] {
    UseDeterministicAlgorithms();
    return info.Env().Undefined();
  });
}

Napi::Value ClearCacheBinding(const Napi::CallbackInfo& info) {
  return SyncCall(info.Env(),
                  [&] { return Napi::Number::New(info.Env(), static_cast<double>(ClearCache())); });
}

}  // namespace

void RegisterDeviceBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfoObject, "buildInfo"));
  exports.Set("allocConf", Napi::Function::New(env, AllocConfBinding, "allocConf"));
  exports.Set("allocConfFor", Napi::Function::New(env, AllocConfForBinding, "allocConfFor"));
  exports.Set("cudaDeviceCount", Napi::Function::New(env, CudaDeviceCountBinding, "cudaDeviceCount"));
  exports.Set("useDeterministicAlgorithms",
              Napi::Function::New(env, UseDeterministicBinding, "useDeterministicAlgorithms"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("clearCache", Napi::Function::New(env, ClearCacheBinding, "clearCache"));
}

}  // namespace virnucpro::napi
