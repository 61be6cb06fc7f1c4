#include "core/model_registry.h"

#include <chrono>
#include <filesystem>

#include "core/errors.h"

namespace virnucpro {

namespace {

std::string CanonicalPath(const std::string& path) {
  std::error_code ignored;
  const auto canonical = std::filesystem::weakly_canonical(path, ignored);
  return canonical.empty() ? path : canonical.string();
}

bool SamePlacement(const Placement& a, const Placement& b) {
  return a.device == b.device && a.dtype == b.dtype;
}

}  // namespace

ModelRegistry& ModelRegistry::Instance() {
  // Never destroyed: a forward may still run on a libuv thread while the process exits, and libtorch
  // modules must not be torn down under it (static-destruction order is not ours to control).
  static ModelRegistry& registry = *new ModelRegistry();
  return registry;
}

ModelInfo ModelRegistry::Load(const std::string& name, const std::string& path, const Placement& placement) {
  std::lock_guard<std::mutex> load_lock(load_mutex_);
  const std::string canonical = CanonicalPath(path);
  {
    std::lock_guard<std::mutex> lock(models_mutex_);
    const auto found = models_.find(name);
    if (found != models_.end() && CanonicalPath(found->second->info.path) == canonical &&
        SamePlacement(found->second->info.placement, placement)) {
      ModelInfo info = found->second->info;
      info.reused = true;
      return info;
    }
  }

  const auto start = std::chrono::steady_clock::now();
  auto registered = std::make_shared<RegisteredModel>();
  registered->model = LoadModelFile(path, placement);
  registered->info.name = name;
  registered->info.path = path;
  registered->info.placement = placement;
  registered->info.load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  registered->info.vocab_size = registered->model->IntAttribute("vocab_size");
  registered->info.hidden_dim = registered->model->IntAttribute("hidden_dim");

  std::lock_guard<std::mutex> lock(models_mutex_);
  ++files_read_;
  models_[name] = registered;
  return registered->info;
}

std::shared_ptr<const RegisteredModel> ModelRegistry::Find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(models_mutex_);
  const auto found = models_.find(name);
  if (found == models_.end())
    throw Error(ErrorCode::kModelNotLoaded, "no model loaded under the name '" + name + "'");
  return found->second;
}

bool ModelRegistry::Unload(const std::string& name) {
  std::lock_guard<std::mutex> lock(models_mutex_);
  return models_.erase(name) > 0;
}

std::vector<std::string> ModelRegistry::Names() const {
  std::lock_guard<std::mutex> lock(models_mutex_);
  std::vector<std::string> names;
  for (const auto& entry : models_) names.push_back(entry.first);
  return names;
}

int64_t ModelRegistry::FilesRead() const {
  std::lock_guard<std::mutex> lock(models_mutex_);
  return files_read_;
}

}  // namespace virnucpro
