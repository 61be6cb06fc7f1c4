#pragma once

#include <optional>
#include <string>

namespace virnucpro {

// PYTORCH_CUDA_ALLOC_CONF with expandable segments turned on: the option is added when the variable is
// absent or empty, appended when the user set other options, and left alone when the user gave it any
// value. Expandable segments let the caching allocator grow one mapping instead of fragmenting across
// the very different batch shapes of length-sorted batches.
std::string WithExpandableSegments(const std::optional<std::string>& current);

// Applies WithExpandableSegments to this process's environment. Must run before the first CUDA call:
// the caching allocator reads the variable once, when it is first used. Returns the value it left.
std::string ApplyAllocConf();

// The value ApplyAllocConf left, or nullopt when it has not run in this process.
std::optional<std::string> AppliedAllocConf();

}  // namespace virnucpro
