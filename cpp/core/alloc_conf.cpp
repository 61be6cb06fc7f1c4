#include "core/alloc_conf.h"

#include <torch/version.h>

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
std::optional<AllocConf> applied;

}  // namespace

AllocConf DecideAllocConf(int torch_major, int torch_minor, const std::optional<std::string>& current) {
  const bool empty = !current || Trim(*current).empty();
  if (!empty && HasOption(*current)) return {current, std::nullopt};
  if (torch_major < 2 || (torch_major == 2 && torch_minor < 1)) {
    std::ostringstream note;
    note << kVariable << ": " << kOption << " not added: libtorch " << torch_major << "." << torch_minor
         << " does not accept it (2.1 and newer do)";
    return {current, note.str()};
  }
  const std::string wanted = std::string(kOption) + ":True";
  return {empty ? wanted : *current + "," + wanted, std::nullopt};
}

AllocConf ApplyAllocConf() {
  std::lock_guard<std::mutex> lock(applied_mutex);
  const char* raw = std::getenv(kVariable);
  const std::optional<std::string> current = raw ? std::optional<std::string>(raw) : std::nullopt;
  const AllocConf decided = DecideAllocConf(TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, current);
  if (decided.value && decided.value != current) setenv(kVariable, decided.value->c_str(), /*overwrite=*/1);
  applied = decided;
  return decided;
}

std::optional<AllocConf> AppliedAllocConf() {
  std::lock_guard<std::mutex> lock(applied_mutex);
  return applied;
}

}  // namespace virnucpro
