#pragma once

#include <napi.h>

#include <exception>

#include "core/errors.h"

namespace virnucpro::napi {

// Each Register* adds one group of functions to the addon's exports (binding/index.d.ts).
void RegisterDeviceBindings(Napi::Env env, Napi::Object exports);
void RegisterModelBindings(Napi::Env env, Napi::Object exports);
void RegisterTokenizerBindings(Napi::Env env, Napi::Object exports);

// A JS Error carrying the stable `code` property.
Napi::Error MakeJsError(Napi::Env env, ErrorCode code, const std::string& message);
Napi::Error MakeJsError(Napi::Env env, const std::exception_ptr& error);

}  // namespace virnucpro::napi
