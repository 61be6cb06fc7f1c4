#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/model_loader.h"

namespace virnucpro {

struct ModelInfo {
  std::string name;
  std::string path;
  Placement placement;
  // true when the name was already registered with the same file, device and dtype and nothing was read.
  bool reused = false;
  double load_seconds = 0;
  int64_t vocab_size = -1;
  int64_t hidden_dim = -1;
};

struct RegisteredModel {
  std::shared_ptr<Model> model;
  ModelInfo info;
};

// The process-lifetime home of loaded models, keyed by name. Callers hold a shared_ptr for the duration
// of a forward, so unloading or replacing a model never pulls it from under a running call.
class ModelRegistry {
 public:
  static ModelRegistry& Instance();

  // Loads the file unless the name already holds the same file on the same placement; a name that holds
  // something else is replaced.
  ModelInfo Load(const std::string& name, const std::string& path, const Placement& placement);
  // ErrorCode::kModelNotLoaded when the name is unknown.
  std::shared_ptr<const RegisteredModel> Find(const std::string& name) const;
  bool Unload(const std::string& name);
  std::vector<std::string> Names() const;
  // Model files actually read by this process; a reuse does not count.
  int64_t FilesRead() const;

 private:
  ModelRegistry() = default;

  // Serialises loads so that two concurrent loads of one name read its file once; lookups only take
  // models_mutex_ and are never blocked by a load in progress.
  std::mutex load_mutex_;
  mutable std::mutex models_mutex_;
  std::map<std::string, std::shared_ptr<const RegisteredModel>> models_;
  int64_t files_read_ = 0;
};

}  // namespace virnucpro
