#include "dnnl_dpu_conv.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "dnnl_conv_cache.hpp"

namespace dputk::engine::fast {

using dt = dnnl::memory::data_type;

struct DnnlDpuConv::Impl {
  std::unique_ptr<CachedConv> conv;
};

namespace {

dnnl::primitive_attr dpu_attr(int shift_cut, bool relu) {
  dnnl::primitive_attr attr;
  attr.set_output_scales(0, {std::ldexp(1.0f, -shift_cut)});
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  return attr;
}

bool run_probe() {
  // 16 channels of a 1×1 identity conv, shift 1: inputs 10..25 with biases 0/2 → known results.
  ref::Window2d g;
  g.n = 1;
  g.h = g.w = g.oh = g.ow = 1;
  g.c = g.oc = 16;
  g.kh = g.kw = g.sh = g.sw = g.dh = g.dw = 1;
  g.group = 1;
  std::vector<char> w(16 * 16, 0);
  for (int i = 0; i < 16; ++i) w[static_cast<std::size_t>(i) * 16 + i] = 1;
  std::vector<float> bias(16);
  for (int i = 0; i < 16; ++i) bias[i] = (i % 2 ? 2.0f : 0.0f) + 0.25f;
  CachedConv conv(g, false, dt::u8, dt::s8, dt::s8, std::make_shared<const std::vector<char>>(w), bias, dpu_attr(1, false));
  std::uint8_t x[16];
  std::int8_t y[16];
  for (int i = 0; i < 16; ++i) x[i] = static_cast<std::uint8_t>(9 + i);
  conv.run(x, y, 1);
  for (int i = 0; i < 16; ++i) {
    const int acc = 9 + i + (i % 2 ? 2 : 0);
    if (y[i] != static_cast<int>(std::floor(acc / 2.0 + 0.5))) return false;
  }
  return true;
}

// s8 activations: oneDNN's VNNI kernels add 128 to them and subtract 128·Σw afterwards; that is
// exact only if the compensation is applied in int32. Probe with Σw so large that an f32
// compensation would lose the low bits: 1152 inputs (sum 3) against weights of 127 → acc 381, shift 1.
bool run_signed_probe() {
  constexpr int kC = 1152;
  ref::Window2d g;
  g.n = 1;
  g.h = g.w = g.oh = g.ow = 1;
  g.c = kC;
  g.oc = 16;
  g.kh = g.kw = g.sh = g.sw = g.dh = g.dw = 1;
  g.group = 1;
  std::vector<char> w(static_cast<std::size_t>(16) * kC, 127);
  std::vector<float> bias(16, 0.25f);
  CachedConv conv(g, false, dt::s8, dt::s8, dt::s8, std::make_shared<const std::vector<char>>(w), bias, dpu_attr(1, false));
  std::vector<std::int8_t> x(kC);
  for (int i = 0; i < kC; ++i) x[i] = static_cast<std::int8_t>(i % 2 ? -1 : 1);
  x[0] = x[2] = x[4] = 2;  // Σx = 3
  std::int8_t y[16];
  conv.run(x.data(), y, 1);
  for (int i = 0; i < 16; ++i)
    if (y[i] != 127) return false;  // 381/2 saturates; check an unsaturated case too
  std::fill(w.begin(), w.end(), 1);
  for (std::size_t i = 0; i < w.size(); i += 2) w[i] = 127;  // Σw huge, acc small
  CachedConv conv2(g, false, dt::s8, dt::s8, dt::s8, std::make_shared<const std::vector<char>>(w), bias, dpu_attr(3, false));
  conv2.run(x.data(), y, 1);
  std::int64_t acc = 0;
  for (int i = 0; i < kC; ++i) acc += static_cast<std::int64_t>(x[i]) * w[static_cast<std::size_t>(i)];
  const int want = static_cast<int>(std::floor(static_cast<double>(acc) / 8.0 + 0.5));
  for (int i = 0; i < 16; ++i)
    if (y[i] != std::max(-128, std::min(127, want))) return false;
  return true;
}

// A probe that cannot even build its primitive counts as failed (the exact s32 path runs instead).
bool probe_passes(bool (*probe)()) {
  try {
    return probe();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

bool dnnl_dpu_conv_signed_probe() {
  static const bool ok = probe_passes(run_signed_probe);
  return ok;
}

bool dnnl_dpu_conv_probe() {
  static const bool ok = probe_passes(run_probe);
  return ok;
}

std::unique_ptr<DnnlDpuConv> DnnlDpuConv::create(const ref::Window2d& g, bool depthwise, const std::int8_t* weights,
                                                 const std::int8_t* bias, const dpu::ConvShift& shift, bool non_negative_input) {
  if (shift.nonlinear != dpu::Nonlinear::NONE && shift.nonlinear != dpu::Nonlinear::RELU) return nullptr;
  if (shift.shift_cut < 1 || shift.shift_cut > 14) return nullptr;
  std::vector<float> beta(static_cast<std::size_t>(g.oc), 0.25f);
  if (bias) {
    if (shift.shift_bias < -1 || shift.shift_bias > 20) return nullptr;
    for (int c = 0; c < g.oc; ++c) {
      const double b = std::ldexp(static_cast<double>(bias[c]), shift.shift_bias);
      if (std::fabs(b) > std::ldexp(1.0, 20)) return nullptr;
      beta[c] = static_cast<float>(b + 0.25);
    }
  }
  if (!dnnl_dpu_conv_probe() || (!non_negative_input && !dnnl_dpu_conv_signed_probe())) return nullptr;
  const std::size_t count = depthwise ? static_cast<std::size_t>(g.multiplier) * g.kh * g.kw * g.c
                                      : static_cast<std::size_t>(g.oc) * g.kh * g.kw * (g.c / g.group);
  std::vector<char> w(reinterpret_cast<const char*>(weights), reinterpret_cast<const char*>(weights) + count);
  auto impl = std::make_unique<Impl>();
  impl->conv = std::make_unique<CachedConv>(g, depthwise, non_negative_input ? dt::u8 : dt::s8, dt::s8, dt::s8,
                                            std::make_shared<const std::vector<char>>(std::move(w)), std::move(beta),
                                            dpu_attr(shift.shift_cut, shift.nonlinear == dpu::Nonlinear::RELU));
  return std::unique_ptr<DnnlDpuConv>(new DnnlDpuConv(std::move(impl)));
}

DnnlDpuConv::DnnlDpuConv(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DnnlDpuConv::~DnnlDpuConv() = default;

void DnnlDpuConv::run(const std::int8_t* in, std::int8_t* out, int batch) { impl_->conv->run(in, out, batch); }

}  // namespace dputk::engine::fast
