#pragma once
// The synthetic load of a meter: a pure, deterministic function of the meter
// and the 15-minute interval, the same on every machine (no std:: random
// distributions, no transcendental functions, no std::hash). Thread-safe.
//
//   load = base_kw * shape(class, local time) * noise(meter, absolute time)
//
// shape: a daily curve by local time of day (night low, morning and evening
// peaks for homes, office hours for businesses), a different curve on
// weekends, and a seasonal factor (winter high, summer low). noise: a
// factor in [0.75, 1.25) seeded by the meter id and the interval start.
#include <cstdint>
#include <string_view>

#include "domain/local_time.hpp"
#include "grid/topology.hpp"

namespace dcp::grid {

inline constexpr std::chrono::minutes kIntervalLength{15};

enum class MeterClass { kResidential, kCommercial };

// Stable per-meter seed: StableHash of the id.
std::uint64_t MeterSeed(std::string_view meter_id);
// About one meter in six is commercial, decided by the seed.
MeterClass ClassOf(std::uint64_t meter_seed);

// The time-dependent factor shared by all meters of a class; > 0.
double ShapeFactor(MeterClass meter_class, LocalMinute local_start);
// The per-meter random factor, in [0.75, 1.25).
double NoiseFactor(std::uint64_t meter_seed, SysMinutes interval_start);

// Mean load in kW of `meter` over the interval starting at `interval_start`,
// whose local wall-clock start is `local_start`. >= 0. Equal to
//   meter.base_kw * ShapeFactor(ClassOf(seed), local_start)
//                 * NoiseFactor(seed, interval_start)   (seed = MeterSeed(id))
// evaluated in that order, so callers may cache the factors.
double MeterLoadKw(const Node& meter, SysMinutes interval_start, LocalMinute local_start);

}  // namespace dcp::grid
