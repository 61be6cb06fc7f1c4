#include <ATen/ATen.h>

#include <cstring>

#include "core/device.h"
#include "core/inference.h"
#include "core/model_registry.h"
#include "core/tokenizer_registry.h"
#include "napi/arguments.h"
#include "napi/bindings.h"
#include "napi/promise_worker.h"
#include "napi/sync_call.h"

namespace virnucpro::napi {

namespace {

Napi::Array StringArray(Napi::Env env, const std::vector<std::string>& values) {
  Napi::Array array = Napi::Array::New(env, values.size());
  for (uint32_t i = 0; i < values.size(); ++i) array.Set(i, values[i]);
  return array;
}

Napi::Object ModelInfoObject(Napi::Env env, const ModelInfo& info) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("name", info.name);
  object.Set("path", info.path);
  object.Set("device", DeviceName(info.placement.device));
  object.Set("dtype", DtypeName(info.placement.dtype));
  object.Set("reused", info.reused);
  object.Set("loadSeconds", info.load_seconds);
  object.Set("vocabSize", static_cast<double>(info.vocab_size));
  object.Set("hiddenDim", static_cast<double>(info.hidden_dim));
  return object;
}

// ForwardOutput: the float32 values copied into a Float32Array, with their shape.
Napi::Object ForwardOutputObject(Napi::Env env, const InferenceResult& result) {
  const at::Tensor& values = result.values;
  Napi::Float32Array data = Napi::Float32Array::New(env, values.numel());
  if (values.numel() > 0) std::memcpy(data.Data(), values.data_ptr<float>(), values.numel() * sizeof(float));
  Napi::Array shape = Napi::Array::New(env, values.dim());
  for (int64_t dim = 0; dim < values.dim(); ++dim) shape.Set(static_cast<uint32_t>(dim), values.size(dim));
  Napi::Object object = Napi::Object::New(env);
  object.Set("data", data);
  object.Set("shape", shape);
  object.Set("forwardSeconds", result.seconds);
  return object;
}

class LoadWorker : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, std::string name, std::string path, Placement placement)
      : PromiseWorker(env), name_(std::move(name)), path_(std::move(path)), placement_(placement) {}

 protected:
  void Compute() override { info_ = ModelRegistry::Instance().Load(name_, path_, placement_); }
  Napi::Value Result(Napi::Env env) override { return ModelInfoObject(env, info_); }

 private:
  std::string name_;
  std::string path_;
  Placement placement_;
  ModelInfo info_;
};

class ForwardWorker : public PromiseWorker {
 public:
  ForwardWorker(Napi::Env env, std::shared_ptr<const RegisteredModel> model, at::Tensor tokens,
                at::Tensor mask, Pooling pooling)
      : PromiseWorker(env),
        model_(std::move(model)),
        tokens_(std::move(tokens)),
        mask_(std::move(mask)),
        pooling_(pooling) {}

 protected:
  void Compute() override { result_ = RunEmbedding(*model_, tokens_, mask_, pooling_); }
  Napi::Value Result(Napi::Env env) override { return ForwardOutputObject(env, result_); }

 private:
  std::shared_ptr<const RegisteredModel> model_;
  at::Tensor tokens_;
  at::Tensor mask_;
  Pooling pooling_;
  InferenceResult result_;
};

class ClassifyWorker : public PromiseWorker {
 public:
  ClassifyWorker(Napi::Env env, std::shared_ptr<const RegisteredModel> model, at::Tensor features)
      : PromiseWorker(env), model_(std::move(model)), features_(std::move(features)) {}

 protected:
  void Compute() override { result_ = RunClassifier(*model_, features_); }
  Napi::Value Result(Napi::Env env) override { return ForwardOutputObject(env, result_); }

 private:
  std::shared_ptr<const RegisteredModel> model_;
  at::Tensor features_;
  InferenceResult result_;
};

// node-addon-api workers own themselves: Start() queues them and they delete themselves once settled.
template <typename Worker, typename... Args>
Napi::Promise StartWorker(Napi::Env env, Args&&... args) {
  return (new Worker(env, std::forward<Args>(args)...))->Start();
}

Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  return StartOrReject(info.Env(), [&] {
    std::string name = StringArgument(info, 0, "name");
    std::string path = StringArgument(info, 1, "path");
    const Napi::Object options = ObjectArgument(info, 2, "options");
    const Placement placement =
        ParsePlacement(StringProperty(options, "device"), StringProperty(options, "dtype"));
    return StartWorker<LoadWorker>(info.Env(), std::move(name), std::move(path), placement);
  });
}

Napi::Value UnloadModel(const Napi::CallbackInfo& info) {
  return SyncCall(info.Env(), [&] {
    return Napi::Boolean::New(info.Env(), ModelRegistry::Instance().Unload(StringArgument(info, 0, "name")));
  });
}

Napi::Value Forward(const Napi::CallbackInfo& info) {
  return StartOrReject(info.Env(), [&] {
    auto model = ModelRegistry::Instance().Find(StringArgument(info, 0, "name"));
    const Napi::Object input = ObjectArgument(info, 1, "input");
    const c10::Device target = model->info.placement.device;
    at::Tensor tokens = TokenTensor(input, target);
    at::Tensor mask = MaskTensor(input, target);
    const Pooling pooling = ParsePooling(StringProperty(input, "pooling"));
    return StartWorker<ForwardWorker>(info.Env(), std::move(model), std::move(tokens), std::move(mask),
                                      pooling);
  });
}

Napi::Value Classify(const Napi::CallbackInfo& info) {
  return StartOrReject(info.Env(), [&] {
    auto model = ModelRegistry::Instance().Find(StringArgument(info, 0, "name"));
    const Napi::Object input = ObjectArgument(info, 1, "input");
    at::Tensor features = FeatureTensor(input, model->info.placement.device);
    return StartWorker<ClassifyWorker>(info.Env(), std::move(model), std::move(features));
  });
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ModelRegistry& registry = ModelRegistry::Instance();
  const InferenceCounters counters = Counters();
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("modelLoads", static_cast<double>(registry.FilesRead()));
  stats.Set("cacheClears", static_cast<double>(CacheClears()));
  stats.Set("forwardCalls", static_cast<double>(counters.forward_calls));
  stats.Set("forwardSeconds", counters.forward_seconds);
  stats.Set("models", StringArray(env, registry.Names()));
  stats.Set("tokenizers", StringArray(env, TokenizerRegistry::Instance().Names()));
  return stats;
}

Napi::Value InjectOutOfMemoryForTest(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    throw MakeJsError(info.Env(), ErrorCode::kInternal,
                      "injectOutOfMemory(count, minRows) takes two numbers");
  }
  InjectOutOfMemory(info[0].As<Napi::Number>().Int64Value(), info[1].As<Napi::Number>().Int64Value());
  return info.Env().Undefined();
}

}  // namespace

void RegisterModelBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("loadModel", Napi::Function::New(env, LoadModel, "loadModel"));
  exports.Set("unloadModel", Napi::Function::New(env, UnloadModel, "unloadModel"));
  exports.Set("forward", Napi::Function::New(env, Forward, "forward"));
  exports.Set("classify", Napi::Function::New(env, Classify, "classify"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("injectOutOfMemory", Napi::Function::New(env, InjectOutOfMemoryForTest, "injectOutOfMemory"));
}

}  // namespace virnucpro::napi
