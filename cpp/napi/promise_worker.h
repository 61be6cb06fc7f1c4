#pragma once

#include <napi.h>

#include <exception>

#include "napi/bindings.h"

namespace virnucpro::napi {

// An AsyncWorker settling a Promise: Compute() runs on a libuv thread, Result() back on the JS thread.
// Any exception from either becomes a rejection with a stable `code` (MakeJsError).
class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env)
      : Napi::AsyncWorker(env, "virnucpro"), deferred_(Napi::Promise::Deferred::New(env)) {}

  // Queues the worker, which deletes itself once settled (node-addon-api's ownership model).
  Napi::Promise Start() {
    Napi::Promise promise = deferred_.Promise();
    Queue();
    return promise;
  }

 protected:
  virtual void Compute() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;

 private:
  void Execute() final {
    try {
      Compute();
    } catch (...) {
      error_ = std::current_exception();
    }
  }

  void OnOK() final {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (error_) {
      deferred_.Reject(MakeJsError(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(Result(env));
    } catch (...) {
      deferred_.Reject(MakeJsError(env, std::current_exception()).Value());
    }
  }

  Napi::Promise::Deferred deferred_;
  std::exception_ptr error_;
};

// Runs `start` (argument checks, then PromiseWorker::Start) and turns a synchronous failure into a
// rejected Promise, so that callers see every error the same way.
template <typename StartFn>
Napi::Value StartOrReject(Napi::Env env, StartFn start) {
  try {
    return start();
  } catch (...) {
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(MakeJsError(env, std::current_exception()).Value());
    return deferred.Promise();
  }
}

}  // namespace virnucpro::napi
