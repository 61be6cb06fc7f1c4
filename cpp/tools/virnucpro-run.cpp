// virnucpro-run: loads an embedding TorchScript module through cpp/core and times forward on synthetic or
// given token batches, without Node. Meant for GPU machines and profilers.

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/alloc_conf.h"
#include "core/device.h"
#include "core/errors.h"
#include "core/inference.h"
#include "core/model_registry.h"
#include "core/op_profile.h"

namespace {

constexpr const char* kUsage = R"(usage: virnucpro-run MODEL.pt [options]
  --device D     cpu or cuda:N (default cpu)
  --dtype T      auto, fp32, fp16 or bf16 (default auto: bf16 on CUDA, fp32 on the CPU;
                 fp16 needs CUDA)
  --pooling P    none, esm-mean or masked-mean (default esm-mean)
  --batch N      synthetic rows (default 8)
  --length N     synthetic columns (default 256)
  --vocab N      synthetic ids are uniform in [0, N) (default: the module's vocab_size)
  --tokens FILE  one row of whitespace-separated ids per line instead of synthetic rows;
                 shorter rows are padded with --pad (default 1) under a zero mask
  --iters N      timed iterations (default 10)
  --warmup N     untimed iterations first (default 2)
  --threads N    intra-op CPU threads (default: libtorch's choice)
  --cache-clear-interval N  empty the CUDA cache after every N timed iterations (default: never)
  --profile      after the timed iterations, run one more forward under libtorch's profiler and
                 print each operator's self time, calls and, for matrix products, GFLOP/s
  --json         print one JSON object instead of text
)";

struct Options {
  std::string model;
  std::string device = "cpu";
  std::string dtype = "auto";
  std::string pooling = "esm-mean";
  int64_t batch = 8;
  int64_t length = 256;
  int64_t vocab = -1;
  std::string tokens_file;
  int64_t pad = 1;
  int iters = 10;
  int warmup = 2;
  int threads = 0;
  int cache_clear_interval = 0;
  bool json = false;
  bool profile = false;
};

[[noreturn]] void UsageError(const std::string& message) {
  std::cerr << "virnucpro-run: " << message << "\n" << kUsage;
  std::exit(2);
}

int64_t PositiveInteger(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    const int64_t value = std::stoll(text, &used);
    if (used == text.size() && value > 0) return value;
  } catch (const std::exception&) {
  }
  UsageError(flag + " needs a positive integer, got '" + text + "'");
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (arg == "--json") {
      options.json = true;
      continue;
    }
    if (arg == "--profile") {
      options.profile = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      if (!options.model.empty()) UsageError("one model file only, got '" + arg + "' too");
      options.model = arg;
      continue;
    }
    if (i + 1 >= args.size()) UsageError(arg + " needs a value");
    const std::string& value = args[++i];
    if (arg == "--device")
      options.device = value;
    else if (arg == "--dtype")
      options.dtype = value;
    else if (arg == "--pooling")
      options.pooling = value;
    else if (arg == "--tokens")
      options.tokens_file = value;
    else if (arg == "--batch")
      options.batch = PositiveInteger(arg, value);
    else if (arg == "--length")
      options.length = PositiveInteger(arg, value);
    else if (arg == "--vocab")
      options.vocab = PositiveInteger(arg, value);
    else if (arg == "--pad")
      options.pad = std::stoll(value);
    else if (arg == "--iters")
      options.iters = static_cast<int>(PositiveInteger(arg, value));
    else if (arg == "--warmup")
      options.warmup = value == "0" ? 0 : static_cast<int>(PositiveInteger(arg, value));
    else if (arg == "--threads")
      options.threads = static_cast<int>(PositiveInteger(arg, value));
    else if (arg == "--cache-clear-interval")
      options.cache_clear_interval = static_cast<int>(PositiveInteger(arg, value));
    else
      UsageError("unknown option " + arg);
  }
  if (options.model.empty()) UsageError("no model file given");
  return options;
}

struct TokenBatch {
  at::Tensor tokens;
  at::Tensor mask;
};

TokenBatch SyntheticBatch(int64_t rows, int64_t cols, int64_t vocab) {
  if (vocab < 1)
    throw virnucpro::Error(virnucpro::ErrorCode::kTokenRange, "the module has no vocab_size: pass --vocab");
  at::manual_seed(0);
  return {at::randint(vocab, {rows, cols}, at::kLong), at::ones({rows, cols}, at::kLong)};
}

TokenBatch BatchFromFile(const std::string& path, int64_t pad) {
  std::ifstream file(path);
  if (!file) throw virnucpro::Error(virnucpro::ErrorCode::kInternal, "cannot read token file " + path);
  std::vector<std::vector<int64_t>> rows;
  std::string line;
  for (size_t number = 1; std::getline(file, line); ++number) {
    std::istringstream fields(line);
    std::vector<int64_t> row;
    std::string field;
    while (fields >> field) {
      try {
        row.push_back(std::stoll(field));
      } catch (const std::exception&) {
        throw virnucpro::Error(
            virnucpro::ErrorCode::kInputDtype,
            path + ":" + std::to_string(number) + ": not an integer token id: '" + field + "'");
      }
    }
    if (!row.empty()) rows.push_back(std::move(row));
  }
  if (rows.empty()) throw virnucpro::Error(virnucpro::ErrorCode::kInputShape, path + ": no token rows");
  size_t cols = 0;
  for (const auto& row : rows) cols = std::max(cols, row.size());
  at::Tensor tokens =
      at::full({static_cast<int64_t>(rows.size()), static_cast<int64_t>(cols)}, pad, at::kLong);
  at::Tensor mask = at::zeros_like(tokens);
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < rows[r].size(); ++c) {
      tokens[r][c] = rows[r][c];
      mask[r][c] = 1;
    }
  }
  return {tokens, mask};
}

nlohmann::json BuildInfoJson(const virnucpro::BuildInfo& info) {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& device : info.devices) {
    devices.push_back({{"index", device.index},
                       {"name", device.name},
                       {"totalMemoryBytes", device.total_memory_bytes},
                       {"freeMemoryBytes", device.free_memory_bytes}});
  }
  nlohmann::json allocator = nlohmann::json::array();
  for (const auto& stats : info.allocator) {
    allocator.push_back({{"allocatedBytes", stats.allocated_bytes},
                         {"reservedBytes", stats.reserved_bytes},
                         {"peakAllocatedBytes", stats.peak_allocated_bytes},
                         {"peakReservedBytes", stats.peak_reserved_bytes},
                         {"numAllocRetries", stats.num_alloc_retries},
                         {"numOoms", stats.num_ooms}});
  }
  return {{"torchVersion", info.torch_version},
          {"variant", info.cuda ? "cuda" : "cpu"},
          {"cudaVersion", info.cuda_version ? nlohmann::json(*info.cuda_version) : nlohmann::json(nullptr)},
          {"torchSource", VIRNUCPRO_TORCH_SOURCE},
          {"devices", devices},
          {"allocConf", info.alloc_conf ? nlohmann::json(*info.alloc_conf) : nlohmann::json(nullptr)},
          {"allocConfNote",
           info.alloc_conf_note ? nlohmann::json(*info.alloc_conf_note) : nlohmann::json(nullptr)},
          {"interopThreads", info.interop_threads},
          {"intraopThreads", info.intraop_threads},
          {"allocator", allocator}};
}

// Operators by self time, largest first; the forward's wall time is the whole.
nlohmann::json ProfileJson(const virnucpro::OpProfile& profile) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : profile.rows) {
    rows.push_back(
        {{"op", row.name}, {"calls", row.calls}, {"selfMs", row.self_us / 1000}, {"flops", row.flops}});
  }
  return {{"wallMs", profile.wall_us / 1000}, {"ops", rows}};
}

void PrintProfile(const virnucpro::OpProfile& profile) {
  std::cout << "profile of one forward: " << profile.wall_us / 1000 << " ms\n"
            << "op\tcalls\tself ms\tshare\tGFLOP/s\n";
  for (const auto& row : profile.rows) {
    std::cout << row.name << "\t" << row.calls << "\t" << row.self_us / 1000 << "\t"
              << 100 * row.self_us / profile.wall_us << "%\t";
    if (row.flops > 0) std::cout << row.flops / row.self_us / 1000;
    std::cout << "\n";
  }
}

int Run(const Options& options) {
  virnucpro::ApplyAllocConf();
  if (options.threads > 0) virnucpro::SetIntraopThreads(options.threads);
  const virnucpro::Placement placement = virnucpro::ParsePlacement(options.device, options.dtype);
  const virnucpro::Pooling pooling = virnucpro::ParsePooling(options.pooling);

  auto& registry = virnucpro::ModelRegistry::Instance();
  const virnucpro::ModelInfo info = registry.Load("model", options.model, placement);
  const auto model = registry.Find("model");
  TokenBatch batch =
      options.tokens_file.empty()
          ? SyntheticBatch(options.batch, options.length, options.vocab > 0 ? options.vocab : info.vocab_size)
          : BatchFromFile(options.tokens_file, options.pad);
  if (placement.device.is_cuda()) {
    // As the addon's inputs are: page-locked once, so every call's copy is asynchronous.
    batch = {batch.tokens.pin_memory(), batch.mask.pin_memory()};
  }

  for (int i = 0; i < options.warmup; ++i) virnucpro::RunEmbedding(*model, batch.tokens, batch.mask, pooling);
  std::vector<double> seconds;
  std::vector<int64_t> output_shape;
  for (int i = 0; i < options.iters; ++i) {
    const auto result = virnucpro::RunEmbedding(*model, batch.tokens, batch.mask, pooling);
    seconds.push_back(result.seconds);
    output_shape = result.values.sizes().vec();
    if (options.cache_clear_interval > 0 && (i + 1) % options.cache_clear_interval == 0)
      virnucpro::ClearCache();
  }
  std::optional<virnucpro::OpProfile> profile;
  if (options.profile) {
    profile = virnucpro::ProfileOperators(
        [&] { virnucpro::RunEmbedding(*model, batch.tokens, batch.mask, pooling); });
  }
  const double total = std::accumulate(seconds.begin(), seconds.end(), 0.0);
  const double ms_per_iter = 1000 * total / seconds.size();
  const double real_tokens = batch.mask.sum().item<double>();
  const double tokens_per_second = real_tokens * seconds.size() / total;
  const auto [fastest, slowest] = std::minmax_element(seconds.begin(), seconds.end());

  nlohmann::json report = {{"build", BuildInfoJson(virnucpro::QueryBuildInfo())},
                           {"model",
                            {{"path", info.path},
                             {"vocabSize", info.vocab_size},
                             {"hiddenDim", info.hidden_dim},
                             {"loadSeconds", info.load_seconds}}},
                           {"device", virnucpro::DeviceName(placement.device)},
                           {"dtype", virnucpro::DtypeName(placement.dtype)},
                           {"pooling", options.pooling},
                           {"batch", {batch.tokens.size(0), batch.tokens.size(1)}},
                           {"iterations", options.iters},
                           {"warmup", options.warmup},
                           {"msPerIter", ms_per_iter},
                           {"msMin", 1000 * *fastest},
                           {"msMax", 1000 * *slowest},
                           {"tokensPerSecond", tokens_per_second},
                           {"cacheClearInterval", options.cache_clear_interval},
                           {"cacheClears", virnucpro::CacheClears()},
                           {"outputShape", output_shape}};
  if (profile) report["profile"] = ProfileJson(*profile);
  if (options.json) {
    std::cout << report.dump(2) << "\n";
    return 0;
  }
  const auto& build = report["build"];
  std::cout << "torch " << build["torchVersion"].get<std::string>() << " ("
            << build["variant"].get<std::string>() << ", " << VIRNUCPRO_TORCH_SOURCE << "), "
            << build["intraopThreads"] << " intra-op threads\n"
            << "model " << info.path << ": vocab " << info.vocab_size << ", hidden " << info.hidden_dim
            << ", loaded in " << info.load_seconds << " s\n"
            << "batch " << batch.tokens.size(0) << " x " << batch.tokens.size(1) << " on "
            << report["device"].get<std::string>() << " " << report["dtype"].get<std::string>()
            << ", pooling " << options.pooling << "\n"
            << "forward " << ms_per_iter << " ms/iter (min " << 1000 * *fastest << ", max " << 1000 * *slowest
            << ") over " << options.iters << " iterations, " << tokens_per_second << " tokens/s\n"
            << "output " << report["outputShape"].dump() << "\n";
  if (profile) PrintProfile(*profile);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  try {
    return Run(options);
  } catch (...) {
    const auto error = virnucpro::ClassifyException(std::current_exception());
    std::cerr << "virnucpro-run: " << virnucpro::ErrorCodeName(error.code) << ": " << error.message << "\n";
    return 1;
  }
}
