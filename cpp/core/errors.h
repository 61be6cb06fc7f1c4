#pragma once

#include <stdexcept>
#include <string>

namespace virnucpro {

// Stable codes; their names are what JavaScript sees as Error.code (binding/index.d.ts).
enum class ErrorCode {
  kModelFileMissing,
  kModelFormat,
  kModelNotLoaded,
  kInputDtype,
  kInputShape,
  kTokenRange,
  kOutOfMemory,
  kDevice,
  kTokenizer,
  kInternal,
};

const char* ErrorCodeName(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

// Maps any exception (virnucpro::Error, c10 errors, std::bad_alloc, ...) to a code and a message
// without libtorch's C++ backtrace.
struct ClassifiedError {
  ErrorCode code;
  std::string message;
};
ClassifiedError ClassifyException(const std::exception_ptr& error);

}  // namespace virnucpro
