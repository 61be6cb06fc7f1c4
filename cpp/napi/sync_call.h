#pragma once

#include <napi.h>

#include <exception>

#include "napi/bindings.h"

namespace virnucpro::napi {

// Runs a synchronous binding body; any C++ exception leaves as a JS Error with a stable `code`
// (node-addon-api only forwards Napi::Error, anything else would terminate the process).
template <typename Fn>
auto SyncCall(Napi::Env env, Fn body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw MakeJsError(env, std::current_exception());
  }
}

}  // namespace virnucpro::napi
