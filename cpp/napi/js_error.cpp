#include "core/errors.h"
#include "napi/bindings.h"

namespace virnucpro::napi {

Napi::Error MakeJsError(Napi::Env env, ErrorCode code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, ErrorCodeName(code)));
  return error;
}

Napi::Error MakeJsError(Napi::Env env, const std::exception_ptr& error) {
  const ClassifiedError classified = ClassifyException(error);
  return MakeJsError(env, classified.code, classified.message);
}

}  // namespace virnucpro::napi
