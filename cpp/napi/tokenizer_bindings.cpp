#include <napi.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.h"
#include "core/tokenizer.h"
#include "core/tokenizer_registry.h"
#include "napi/bindings.h"
#include "napi/promise_worker.h"
#include "napi/sync_call.h"

namespace virnucpro::napi {

namespace {

std::string StringAt(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsString()) {
    throw Error(ErrorCode::kTokenizer, std::string(what) + " must be a string");
  }
  return info[index].As<Napi::String>().Utf8Value();
}

// Every sequence's UTF-8 back to back in one buffer: one allocation per batch rather than one per
// sequence, and one V8 call per string, since its UTF-16 length bounds its UTF-8 size.
class SequenceText {
 public:
  void Append(Napi::Env env, const Napi::Value& value) {
    std::size_t units = 0;
    NAPI_THROW_IF_FAILED_VOID(env, napi_get_value_string_utf16(env, value, nullptr, 0, &units));
    const std::size_t start = bytes_.size();
    bytes_.resize(start + 3 * units + 1);  // a UTF-16 unit is at most 3 UTF-8 bytes; +1 for the NUL
    std::size_t written = 0;
    NAPI_THROW_IF_FAILED_VOID(
        env, napi_get_value_string_utf8(env, value, &bytes_[start], 3 * units + 1, &written));
    bytes_.resize(start + written);
    ends_.push_back(bytes_.size());
  }

  // Views into the buffer, valid while this object lives unchanged.
  std::vector<std::string_view> Views() const {
    std::vector<std::string_view> views;
    views.reserve(ends_.size());
    std::size_t start = 0;
    for (const std::size_t end : ends_) {
      views.emplace_back(bytes_.data() + start, end - start);
      start = end;
    }
    return views;
  }

 private:
  std::string bytes_;
  std::vector<std::size_t> ends_;
};

// The sequences are copied here, on the JS thread; Compute() only touches the copies.
class TokenizeWorker : public PromiseWorker {
 public:
  TokenizeWorker(Napi::Env env, std::shared_ptr<const Tokenizer> tokenizer, SequenceText sequences)
      : PromiseWorker(env), tokenizer_(std::move(tokenizer)), sequences_(std::move(sequences)) {}

 protected:
  void Compute() override {
    batch_ = EncodeBatch(*tokenizer_, sequences_.Views());
    sequences_ = {};
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    result.Set("ids", CopyToTypedArray<Napi::Int32Array>(env, batch_.ids));
    result.Set("offsets", CopyToTypedArray<Napi::Uint32Array>(env, batch_.offsets));
    return result;
  }

 private:
  template <typename Array, typename T>
  static Array CopyToTypedArray(Napi::Env env, const std::vector<T>& values) {
    Array array = Array::New(env, values.size());
    if (!values.empty()) std::memcpy(array.Data(), values.data(), values.size() * sizeof(T));
    return array;
  }

  std::shared_ptr<const Tokenizer> tokenizer_;
  SequenceText sequences_;
  TokenizedBatch batch_;
};

Napi::Value LoadTokenizer(const Napi::CallbackInfo& info) {
  return SyncCall(info.Env(), [&]() -> Napi::Value {
    TokenizerRegistry::Instance().Load(StringAt(info, 0, "name"), StringAt(info, 1, "kind"),
                                       StringAt(info, 2, "path"));
    return info.Env().Undefined();
  });
}

Napi::Value Tokenize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return StartOrReject(env, [&]() -> Napi::Value {
    auto tokenizer = TokenizerRegistry::Instance().Get(StringAt(info, 0, "name"));
    if (info.Length() < 2 || !info[1].IsArray())
      throw Error(ErrorCode::kTokenizer, "sequences must be an array");
    const Napi::Array array = info[1].As<Napi::Array>();
    SequenceText sequences;
    for (uint32_t i = 0; i < array.Length(); ++i) {
      const Napi::Value value = array.Get(i);
      if (!value.IsString())
        throw Error(ErrorCode::kTokenizer, "sequences[" + std::to_string(i) + "] is not a string");
      sequences.Append(env, value);
    }
    // node-addon-api workers own themselves: Start() queues one and it deletes itself once settled.
    auto* worker = new TokenizeWorker(env, std::move(tokenizer), std::move(sequences));
    return worker->Start();
  });
}

Napi::Value TokenizerInfo(const Napi::CallbackInfo& info) {
  return SyncCall(info.Env(), [&]() -> Napi::Value {
    const auto tokenizer = TokenizerRegistry::Instance().Get(StringAt(info, 0, "name"));
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("padId", tokenizer->PadId());
    result.Set("vocabSize", tokenizer->VocabSize());
    result.Set("kind", tokenizer->Kind());
    return result;
  });
}

}  // namespace

void RegisterTokenizerBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("loadTokenizer", Napi::Function::New(env, LoadTokenizer, "loadTokenizer"));
  exports.Set("tokenize", Napi::Function::New(env, Tokenize, "tokenize"));
  exports.Set("tokenizerInfo", Napi::Function::New(env, TokenizerInfo, "tokenizerInfo"));
}

}  // namespace virnucpro::napi
