#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "core/device.h"

namespace virnucpro {

// A loaded model, whatever file format it came from. Inputs must already be on the model's device.
class Model {
 public:
  virtual ~Model() = default;
  virtual at::Tensor Forward(const std::vector<at::Tensor>& inputs) = 0;
  // An int attribute of the module (vocab_size, hidden_dim), or -1 when it has none.
  virtual int64_t IntAttribute(const std::string& name) const = 0;
};

// Reads a model file and places it (device and dtype). Errors: kModelFileMissing when the path cannot
// be read, kModelFormat when it is not a model archive. TorchScript is the only format today; an
// AOTInductor package (.pt2) loader would be chosen here by file type.
std::unique_ptr<Model> LoadModelFile(const std::string& path, const Placement& placement);

}  // namespace virnucpro
