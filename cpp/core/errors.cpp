#include "core/errors.h"

#include <c10/util/Exception.h>

#include <new>

namespace virnucpro {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kModelFileMissing:
      return "ERR_MODEL_FILE_MISSING";
    case ErrorCode::kModelFormat:
      return "ERR_MODEL_FORMAT";
    case ErrorCode::kModelNotLoaded:
      return "ERR_MODEL_NOT_LOADED";
    case ErrorCode::kInputDtype:
      return "ERR_INPUT_DTYPE";
    case ErrorCode::kInputShape:
      return "ERR_INPUT_SHAPE";
    case ErrorCode::kTokenRange:
      return "ERR_TOKEN_RANGE";
    case ErrorCode::kOutOfMemory:
      return "ERR_OUT_OF_MEMORY";
    case ErrorCode::kDevice:
      return "ERR_DEVICE";
    case ErrorCode::kTokenizer:
      return "ERR_TOKENIZER";
    case ErrorCode::kInternal:
      return "ERR_INTERNAL";
  }
  return "ERR_INTERNAL";
}

namespace {

bool LooksLikeOutOfMemory(const std::string& message) {
  return message.find("out of memory") != std::string::npos ||
         message.find("CUDA error: out of memory") != std::string::npos ||
         message.find("DefaultCPUAllocator: can't allocate memory") != std::string::npos;
}

}  // namespace

ClassifiedError ClassifyException(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return {e.code(), e.what()};
  } catch (const c10::Error& e) {
    // what_without_backtrace() drops libtorch's frame list; the first line is the useful part.
    std::string message = e.what_without_backtrace();
    const auto code = LooksLikeOutOfMemory(message) ? ErrorCode::kOutOfMemory : ErrorCode::kInternal;
    return {code, message};
  } catch (const std::bad_alloc&) {
    return {ErrorCode::kOutOfMemory, "host memory allocation failed"};
  } catch (const std::exception& e) {
    return {ErrorCode::kInternal, e.what()};
  } catch (...) {
    return {ErrorCode::kInternal, "unknown native error"};
  }
}

}  // namespace virnucpro
