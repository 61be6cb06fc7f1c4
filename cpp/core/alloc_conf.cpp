#include "core/alloc_conf.h"

#include <cstdlib>
#include <mutex>
#include <sstream>

namespace virnucpro {

namespace {

constexpr const char* kVariable = "PYTORCH_CUDA_ALLOC_CONF";
constexpr const char* kOption = "expandable_segments";

std::string Trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

// The variable is a comma-separated list of key:value pairs.
bool HasOption(const std::string& conf) {
  std::istringstream items(conf);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (Trim(item.substr(0, item.find(':'))) == kOption) return true;
  }
  return false;
}

std::mutex applied_mutex;
std::optional<std::string> applied;

}  // namespace

std::string WithExpandableSegments(const std::optional<std::string>& current) {
  const std::string wanted = std::string(kOption) + ":True";
  if (!current || Trim(*current).empty()) return wanted;
  if (HasOption(*current)) return *current;
  return *current + "," + wanted;
}

std::string ApplyAllocConf() {
  std::lock_guard<std::mutex> lock(applied_mutex);
  const char* raw = std::getenv(kVariable);
  const std::string value = WithExpandableSegments(raw ? std::optional<std::string>(raw) : std::nullopt);
  setenv(kVariable, value.c_str(), /*overwrite=*/1);
  applied = value;
  return value;
}

std::optional<std::string> AppliedAllocConf() {
  std::lock_guard<std::mutex> lock(applied_mutex);
  return applied;
}

}  // namespace virnucpro
