// The DPU number format in one place: rounding modes and the fix-neuron (quantize to bit_width
// signed/unsigned integers at a power-of-two scale 2^fix_point). See spec §1.
#pragma once
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace dputk::dpu {

enum class RoundMode { DPU_ROUND, STD_ROUND, PY3_ROUND };

inline RoundMode parse_round_mode(const std::string& s) {
  if (s == "DPU_ROUND") return RoundMode::DPU_ROUND;
  if (s == "STD_ROUND") return RoundMode::STD_ROUND;
  if (s == "PY3_ROUND") return RoundMode::PY3_ROUND;
  throw std::invalid_argument("unknown round_mode '" + s + "' (DPU_ROUND, STD_ROUND, PY3_ROUND)");
}

// DPU_ROUND: halves toward +inf (floor(v + 0.5)); STD_ROUND: halves away from zero; PY3_ROUND: halves to even.
inline double round_value(double v, RoundMode mode) {
  switch (mode) {
    case RoundMode::DPU_ROUND: return std::floor(v + 0.5);
    case RoundMode::STD_ROUND: return std::round(v);
    default: return std::nearbyint(v);  // default FP environment rounds half to even
  }
}

struct FixSpec {
  int fix_point = 0;
  int bit_width = 8;
  bool if_signed = true;
  RoundMode round = RoundMode::DPU_ROUND;
  double lo() const { return if_signed ? -std::ldexp(1.0, bit_width - 1) : 0.0; }
  double hi() const { return if_signed ? std::ldexp(1.0, bit_width - 1) - 1.0 : std::ldexp(1.0, bit_width) - 1.0; }
};

// The integer a float maps to: clamp(round(x * 2^fp)).
inline double quantize_value(float x, const FixSpec& f) {
  double q = round_value(static_cast<double>(x) * std::ldexp(1.0, f.fix_point), f.round);
  return q < f.lo() ? f.lo() : (q > f.hi() ? f.hi() : q);
}
// Fake quantization: the float value of that integer.
inline float fake_quantize(float x, const FixSpec& f) {
  return static_cast<float>(quantize_value(x, f) * std::ldexp(1.0, -f.fix_point));
}

// Array versions (vectorizable; same results as the scalar ones): out[i] = fake_quantize(in[i]), and
// Σ (x − fake_quantize(x))².
void fake_quantize_array(const float* in, std::int64_t n, const FixSpec& f, float* out);
// out[i] = quantize_value(in[i], f) as int8 (signed 8-bit specs).
void quantize_array(const float* in, std::int64_t n, const FixSpec& f, std::int8_t* out);
// Smallest and largest of n values (both 0 when n == 0).
void min_max(const float* in, std::int64_t n, float* lo, float* hi);
double fake_quant_sse(const float* in, std::int64_t n, const FixSpec& f);
// The same for `count` consecutive fix points starting at first.fix_point, in one pass over the data
// (each cache-sized block is read once for all candidates): sse[k] for fix point first + k.
void fake_quant_sse_multi(const float* in, std::int64_t n, const FixSpec& first, int count, double* sse);
// The same, also writing out[i] = fake_quantize(in[i], apply) in that pass (calibration applies the
// previous batches' fix point this way and redoes the output only when this batch's vote changes it).
void fake_quant_sse_multi_apply(const float* in, std::int64_t n, const FixSpec& first, int count, double* sse, const FixSpec& apply,
                                float* out);

}  // namespace dputk::dpu
