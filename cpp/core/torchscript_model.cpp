#include <torch/script.h>

#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "core/model_loader.h"

namespace virnucpro {

namespace {

class TorchScriptModel : public Model {
 public:
  explicit TorchScriptModel(torch::jit::Module module) : module_(std::move(module)) {}

  at::Tensor Forward(const std::vector<at::Tensor>& inputs) override {
    std::vector<torch::jit::IValue> values(inputs.begin(), inputs.end());
    torch::jit::IValue output = module_.forward(values);
    if (!output.isTensor()) {
      throw Error(ErrorCode::kModelFormat,
                  "the module's forward returned " + output.tagKind() + ", expected one tensor");
    }
    return output.toTensor();
  }

  int64_t IntAttribute(const std::string& name) const override {
    if (!module_.hasattr(name)) return -1;
    const torch::jit::IValue value = module_.attr(name);
    return value.isInt() ? value.toInt() : -1;
  }

 private:
  torch::jit::Module module_;
};

void RequireReadable(const std::string& path) {
  std::error_code ignored;
  if (!std::filesystem::is_regular_file(path, ignored) || !std::ifstream(path, std::ios::binary).good()) {
    throw Error(ErrorCode::kModelFileMissing, "model file not found or unreadable: " + path);
  }
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// Module::to(device, dtype) would also cast integer buffers (position ids, say); only floating-point
// state changes type here.
void CastFloatingState(torch::jit::Module& module, c10::ScalarType dtype) {
  for (at::Tensor parameter : module.parameters()) {
    if (parameter.is_floating_point()) parameter.set_data(parameter.to(dtype));
  }
  for (at::Tensor buffer : module.buffers()) {
    if (buffer.is_floating_point()) buffer.set_data(buffer.to(dtype));
  }
}

// The attributes the registry reads from a module; freezing would fold them away.
const std::vector<std::string> kIntAttributes = {"vocab_size", "hidden_dim"};

// Frozen for inference: parameters and attributes become constants of the graph, so the interpreter
// stops looking them up on every call and constant work (weight transposes) is done once. Bit-identical
// outputs on the ESM-2 and DNABERT-S modules, a few percent faster on CPU. torch.jit.optimize_for_inference
// goes further (MKL-DNN layouts) but moves fp32 outputs by about 1e-6 and was not faster here.
torch::jit::Module Frozen(const torch::jit::Module& module) {
  std::vector<std::string> preserved;
  for (const auto& name : kIntAttributes) {
    if (module.hasattr(name)) preserved.push_back(name);
  }
  // optimize_numerics off: later libtorch releases fold batch norms into linear layers there, which
  // rounds differently.
  return torch::jit::freeze(module, preserved, /*optimize_numerics=*/false);
}

}  // namespace

std::unique_ptr<Model> LoadModelFile(const std::string& path, const Placement& placement) {
  RequireReadable(path);
  torch::jit::Module module;
  try {
    // Loaded onto the CPU first so that the dtype cast happens once, then moved in one step.
    module = torch::jit::load(path, c10::Device(c10::kCPU));
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::kModelFormat, "not a loadable TorchScript archive: " + path + " (" +
                                             FirstLine(e.what_without_backtrace()) + ")");
  }
  module.eval();
  if (placement.dtype != c10::kFloat) CastFloatingState(module, placement.dtype);
  module.to(placement.device);
  return std::make_unique<TorchScriptModel>(Frozen(module));
}

}  // namespace virnucpro
