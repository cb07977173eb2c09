#pragma once
// UTF-8 as MySQL's utf8mb4 takes it: no overlong forms, no surrogates,
// nothing beyond U+10FFFF.
#include <cstddef>
#include <optional>
#include <string_view>

namespace dcp {

// The length of the valid UTF-8 sequence that starts at s[i], or 0 if none
// does. Precondition: i < s.size().
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i);

// The offset of the first byte that is not valid UTF-8, or nullopt.
std::optional<std::size_t> FirstInvalidUtf8(std::string_view s);

}  // namespace dcp
