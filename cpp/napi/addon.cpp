#include <napi.h>

#include "napi/bindings.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  virnucpro::napi::RegisterDeviceBindings(env, exports);
  virnucpro::napi::RegisterModelBindings(env, exports);
  virnucpro::napi::RegisterTokenizerBindings(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(virnucpro_native, Init)
