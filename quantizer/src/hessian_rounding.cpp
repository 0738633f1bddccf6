#include "dputk/quantizer/hessian_rounding.hpp"

#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>

#include "dputk/dpu/fix_attrs.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/engine/op_geometry.hpp"
#include "dputk/engine/window_loop.hpp"
#include "dputk/quantizer/const_data.hpp"
#include "dputk/quantizer/image_pass.hpp"

namespace dputk {

namespace {

// LAPACK (column-major; H and H⁻¹ are symmetric, so only the triangles' names swap with row-major).
extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dpotri_(const char* uplo, const int* n, double* a, const int* lda, int* info);
}

// U upper triangular (row-major) with H⁻¹ = Uᵀ U: H = L Lᵀ (dpotrf), H⁻¹ from it (dpotri), then H⁻¹'s
// own factor. Column-major "L" is the row-major upper triangle, where U ends up. False if H is not
// positive definite.
bool inverse_upper_factor(std::vector<double> h, std::size_t n, std::vector<double>* u) {
  const int dim = static_cast<int>(n);
  int info = 0;
  dpotrf_("L", &dim, h.data(), &dim, &info);
  if (info != 0) return false;
  dpotri_("L", &dim, h.data(), &dim, &info);
  if (info != 0) return false;
  dpotrf_("L", &dim, h.data(), &dim, &info);
  if (info != 0) return false;
  u->assign(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i; j < n; ++j) (*u)[i * n + j] = h[i * n + j];
  return true;
}

}  // namespace

void hessian_round(std::vector<double> h, std::size_t k, const float* w, std::size_t rows, const dpu::FixSpec& grid, float* out) {
  if (h.size() != k * k) throw std::logic_error("hessian_round: H is not k x k");
  std::vector<bool> dead(k, false);
  double mean_diag = 0.0;
  for (std::size_t i = 0; i < k; ++i) mean_diag += h[i * k + i];
  mean_diag /= static_cast<double>(std::max<std::size_t>(k, 1));
  if (!(mean_diag > 0.0)) {
    dpu::fake_quantize_array(w, static_cast<std::int64_t>(rows * k), grid, out);  // to nearest
    return;
  }
  for (std::size_t i = 0; i < k; ++i)
    if (h[i * k + i] <= 0.0) {
      dead[i] = true;
      for (std::size_t j = 0; j < k; ++j) h[i * k + j] = h[j * k + i] = 0.0;
      h[i * k + i] = mean_diag;
    }
  for (std::size_t i = 0; i < k; ++i) h[i * k + i] += 0.01 * mean_diag;  // GPTQ's damping
  // Inputs with the most energy first (GPTQ's act-order): their errors have the most left to go to.
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return h[a * k + a] > h[b * k + b]; });
  std::vector<double> hp(k * k);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) hp[i * k + j] = h[order[i] * k + order[j]];
  std::vector<double> u;
  if (!inverse_upper_factor(std::move(hp), k, &u)) {
    dpu::fake_quantize_array(w, static_cast<std::int64_t>(rows * k), grid, out);  // to nearest
    return;
  }
  std::vector<double> row(k);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t i = 0; i < k; ++i) row[i] = w[r * k + order[i]];
    for (std::size_t j = 0; j < k; ++j) {
      const float q = dpu::fake_quantize(static_cast<float>(row[j]), grid);
      out[r * k + order[j]] = q;
      if (dead[order[j]]) continue;
      const double e = (row[j] - q) / u[j * k + j];
      for (std::size_t p = j + 1; p < k; ++p) row[p] -= e * u[j * k + p];
    }
  }
}

namespace {

struct Target {
  xir::Op* op = nullptr;
  xir::Op* w_const = nullptr;
  dpu::FixSpec grid;
  bool depthwise = false;
  std::size_t k = 0;              // inputs per output (patch size)
  std::size_t c = 0;              // depthwise: channels (one H of k x k each)
  std::vector<std::int32_t> wshape;
  std::vector<double> h;          // conv: [k][k]; depthwise: [c][k][k]
  std::size_t every = 1, seen = 0;  // one output position in `every` is a sample (for_each_sample)
};

// Calls take(n, oy, ox) for this batch's sampled output positions: one in t.every, drawn by a hash of
// the position's number over all batches (deterministic; a plain stride would take the same columns
// of every image).
template <typename Take>
void for_each_sample(Target& t, const engine::ref::Window2d& g, Take take) {
  for (int n = 0; n < g.n; ++n)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox) {
        std::uint64_t z = t.seen++ + 0x9E3779B97F4A7C15ull;  // splitmix64's finalizer
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        if ((z ^ (z >> 31)) % t.every == 0) take(n, oy, ox);
      }
}

// dst[ch] += a[ch] · b[ch]: a depthwise patch's products, channel by channel (MobileNetV2's
// calibration: 8% of its time in SSE code), built for the widest vector unit the machine has; products
// rounded before they are added (no FMA), as in every build.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx512f", "avx2", "default"), optimize("fp-contract=off")))
#endif
void add_products(float* __restrict dst, const float* __restrict a, const float* __restrict b, std::size_t n) {
  for (std::size_t ch = 0; ch < n; ++ch) dst[ch] += a[ch] * b[ch];
}

// Σ p pᵀ over the sampled patches p of one batch, added to t.h: sums of up to 1024 patches in float,
// then in double.
void accumulate(Target& t, const engine::FloatTensor& v) {
  std::vector<std::int32_t> in(v.shape.begin(), v.shape.end()), outs = t.op->get_output_tensor()->get_shape();
  in[0] = 1;
  outs[0] = 1;
  engine::ref::Window2d g = engine::window_of(*t.op, in, outs, t.wshape);
  g.n = v.shape[0];
  const std::size_t k = t.k, ic = static_cast<std::size_t>(g.c);
  constexpr std::size_t kChunk = 1024;
  if (t.depthwise) {  // one k x k per channel; [k][k][c] so that the channels' sums vectorize
    std::vector<float> patch(k * ic), acc(k * k * ic, 0.0f);
    std::size_t rows = 0;
    auto flush = [&] {
      for (std::size_t a = 0; a < k; ++a)
        for (std::size_t b = a; b < k; ++b)
          for (std::size_t ch = 0; ch < ic; ++ch) {
            const double s = acc[(a * k + b) * ic + ch];
            t.h[(ch * k + a) * k + b] += s;
            if (a != b) t.h[(ch * k + b) * k + a] += s;
          }
      std::fill(acc.begin(), acc.end(), 0.0f);
      rows = 0;
    };
    for_each_sample(t, g, [&](int n, int oy, int ox) {
      std::fill(patch.begin(), patch.end(), 0.0f);
      engine::ref::for_each_tap(g, n, oy, ox, [&](std::int64_t pixel, int ky, int kx) {
        std::copy_n(v.data.data() + pixel * g.c, ic, patch.data() + (static_cast<std::size_t>(ky) * g.kw + kx) * ic);
      });
      for (std::size_t a = 0; a < k; ++a)
        for (std::size_t b = a; b < k; ++b) add_products(acc.data() + (a * k + b) * ic, patch.data() + a * ic, patch.data() + b * ic, ic);
      if (++rows == kChunk) flush();
    });
    if (rows) flush();
    return;
  }
  // conv2d: patches [rows][k], Pᵀ P by oneDNN's sgemm.
  std::vector<float> p(kChunk * k), c(k * k);
  std::size_t rows = 0;
  auto flush = [&] {
    dnnl_sgemm('T', 'N', static_cast<dnnl_dim_t>(k), static_cast<dnnl_dim_t>(k), static_cast<dnnl_dim_t>(rows), 1.0f, p.data(),
               static_cast<dnnl_dim_t>(k), p.data(), static_cast<dnnl_dim_t>(k), 0.0f, c.data(), static_cast<dnnl_dim_t>(k));
    for (std::size_t i = 0; i < k * k; ++i) t.h[i] += c[i];
    rows = 0;
  };
  for_each_sample(t, g, [&](int n, int oy, int ox) {
    float* row = p.data() + rows * k;
    std::fill(row, row + k, 0.0f);
    engine::ref::for_each_tap(g, n, oy, ox, [&](std::int64_t pixel, int ky, int kx) {
      std::copy_n(v.data.data() + pixel * g.c, ic, row + (static_cast<std::size_t>(ky) * g.kw + kx) * ic);
    });
    if (++rows == kChunk) flush();
  });
  if (rows) flush();
}

}  // namespace

HessianRoundingResult round_weights_by_hessian(QuantGraph& qg, const xir::Graph& prepared, const Dataset& data,
                                               const std::vector<std::size_t>& indices, const Preprocess& preprocess,
                                               int batch_size, std::size_t max_inputs, bool quiet) {
  const auto t0 = std::chrono::steady_clock::now();
  std::map<std::string, std::vector<Target>> by_input;  // the op whose value the layers read
  for (xir::Op* op : qg.graph->topological_sort()) {
    const std::string& type = op->get_type();
    const bool dw = type == "depthwise-conv2d";
    if (!(dw || (type == "conv2d" && op->get_attr_or<std::int32_t>("group", 1) == 1))) continue;
    xir::Op* wf = op->get_input_op("weights");
    xir::Op* in = op->get_input_op("input", 0);
    if (!wf || !in || wf->get_type() != "fix" || wf->get_input_op("input")->get_type() != "const") continue;
    Target t;
    t.op = op;
    t.w_const = wf->get_input_op("input");
    t.grid = dpu::fix_spec_of(*wf);
    t.wshape = t.w_const->get_output_tensor()->get_shape();
    if (t.wshape.size() != 4) continue;
    t.depthwise = dw;
    if (dw && t.wshape[0] != 1) continue;  // channel multipliers: plain rounding
    t.k = static_cast<std::size_t>(t.wshape[1]) * t.wshape[2] * (dw ? 1 : t.wshape[3]);
    t.c = dw ? static_cast<std::size_t>(t.wshape[3]) : 1;
    if (t.k < 2 || t.k > max_inputs) continue;
    if (!prepared.get_op(t.w_const->get_name())) continue;
    t.h.assign(t.c * t.k * t.k, 0.0);
    const auto out = op->get_output_tensor()->get_shape();
    const std::size_t positions = out.size() == 4 ? indices.size() * static_cast<std::size_t>(out[1]) * out[2] : 0;
    const std::size_t samples = std::max(kHessianSamples, kHessianMacs / (t.k * t.k * t.c));
    t.every = std::max<std::size_t>(1, (positions + samples - 1) / samples);
    by_input[in->get_name()].push_back(std::move(t));
  }
  HessianRoundingResult result;
  if (by_input.empty() || indices.empty()) return result;
  engine::FloatExecutor quantized(*qg.graph, calibrated_network_options());
  run_over_images(quantized, data, indices, preprocess, static_cast<std::size_t>(batch_size), quiet ? "" : "weight rounding statistics",
                  [&](std::size_t, std::size_t, const xir::Op* op, engine::FloatTensor& v) {
                    auto it = by_input.find(op->get_name());
                    if (it == by_input.end() || v.shape.size() != 4) return;
                    for (Target& t : it->second) accumulate(t, v);
                  });
  for (auto& [input, targets] : by_input)
    for (Target& t : targets) {
      const std::vector<float> w = const_values(*prepared.get_op(t.w_const->get_name()));
      if (w.size() != t.c * t.k * static_cast<std::size_t>(t.wshape[0]))
        throw std::logic_error("weight rounding: the float weights of '" + t.op->get_name() + "' do not have the quantized graph's shape");
      std::vector<float> q(w.size());
      if (!t.depthwise) {
        hessian_round(std::move(t.h), t.k, w.data(), w.size() / t.k, t.grid, q.data());
      } else {
        std::vector<float> wc(t.k), qc(t.k);
        for (std::size_t ch = 0; ch < t.c; ++ch) {
          for (std::size_t i = 0; i < t.k; ++i) wc[i] = w[i * t.c + ch];
          hessian_round(std::vector<double>(t.h.begin() + ch * t.k * t.k, t.h.begin() + (ch + 1) * t.k * t.k), t.k, wc.data(), 1, t.grid,
                        qc.data());
          for (std::size_t i = 0; i < t.k; ++i) q[i * t.c + ch] = qc[i];
        }
      }
      set_const_values(*t.w_const, q);
      ++result.layers;
    }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace dputk
