#include <napi.h>

#include "core/alloc_conf.h"
#include "napi/bindings.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Before anything can touch CUDA: the caching allocator reads the variable once, on first use.
  virnucpro::ApplyAllocConf();
  virnucpro::napi::RegisterDeviceBindings(env, exports);
  virnucpro::napi::RegisterModelBindings(env, exports);
  virnucpro::napi::RegisterTokenizerBindings(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(virnucpro_native, Init)
