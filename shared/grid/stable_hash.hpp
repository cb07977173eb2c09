#pragma once
// Portable deterministic hashing and random numbers for the synthetic grid:
// the same values on every compiler, library and platform (unlike std::hash
// and the std:: distributions), so that results can be compared byte for
// byte between machines.
#include <cstdint>
#include <string_view>

namespace dcp::grid {

// One step of the splitmix64 finaliser: a bijective 64-bit mix.
constexpr std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// FNV-1a over the bytes, then mixed.
constexpr std::uint64_t StableHash(std::string_view text) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return SplitMix64(h);
}

// A uniform double in [0, 1) from the top 53 bits.
constexpr double UnitInterval(std::uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

// A sequence of splitmix64 outputs. Not thread-safe; cheap to copy.
class SplitMixRng {
 public:
  explicit constexpr SplitMixRng(std::uint64_t seed) : state_(seed) {}
  constexpr std::uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return SplitMix64(state_);
  }
  constexpr double NextUnit() { return UnitInterval(Next()); }
  // Uniform in [0, bound); bound > 0. The tiny modulo bias is irrelevant here.
  constexpr std::uint64_t NextBelow(std::uint64_t bound) { return Next() % bound; }

 private:
  std::uint64_t state_;
};

}  // namespace dcp::grid
