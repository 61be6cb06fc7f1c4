#pragma once

#include <optional>
#include <string>

namespace virnucpro {

// What the addon leaves in PYTORCH_CUDA_ALLOC_CONF, and why when it differs from what it would like.
struct AllocConf {
  // the variable's value in force; nullopt: unset
  std::optional<std::string> value;
  // why expandable segments were not turned on (the user's value is left as it was); nullopt when they
  // were, or when the user set the option themselves
  std::optional<std::string> note;
};

// The allocator setting for a libtorch of version major.minor, given the variable as the user set it.
// Expandable segments let the caching allocator grow one mapping instead of fragmenting across the very
// different batch shapes of length-sorted batches; the option is added when the variable is absent or
// empty, appended when the user set other options, and left alone when the user gave it any value.
// libtorch before 2.1 rejects the key on the first CUDA allocation ("Unrecognized CachingAllocator
// option"), so there the variable stays as the user set it and `note` says why.
AllocConf DecideAllocConf(int torch_major, int torch_minor, const std::optional<std::string>& current);

// Applies DecideAllocConf for the linked libtorch to this process's environment. Must run before the
// first CUDA call: the caching allocator reads the variable once, when it is first used.
AllocConf ApplyAllocConf();

// What ApplyAllocConf left, or nullopt when it has not run in this process.
std::optional<AllocConf> AppliedAllocConf();

}  // namespace virnucpro
