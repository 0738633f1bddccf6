#include "dputk/quantizer/calibrate.hpp"

#include <glog/logging.h>

#include <cfloat>
#include <climits>
#include <cmath>
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "dputk/quantizer/const_data.hpp"
#include "dputk/dpu/dpu_arith.hpp"
#include "dputk/quantizer/prepare.hpp"

namespace dputk {

using dpu::FixSpec;
using dpu::RoundMode;

namespace {

// The diffs search; with `apply`, the SSE pass also writes fake_quantize(x, *apply) to `out` (and sets
// *written).
int diffs_search(const float* x, std::int64_t n, int scope, RoundMode round, int bit_width, const FixSpec* apply, float* out,
                 bool* written) {
  float lo = 0.0f, hi = 0.0f;
  dpu::min_max(x, n, &lo, &hi);
  lo = std::min(lo, 0.0f);  // the range always includes 0
  hi = std::max(hi, 0.0f);
  const double qmax = std::ldexp(1.0, bit_width - 1);
  const double step = std::max(static_cast<double>(lo) / (-qmax - 0.5), static_cast<double>(hi) / (qmax - 0.5));
  const int fp0 = step <= FLT_MIN ? 18 : static_cast<int>(std::floor(std::log2(1.0 / step)));
  if (scope <= 1) return fp0;
  double sse[16];
  const FixSpec first{fp0, bit_width, true, round};
  if (apply) {
    dpu::fake_quant_sse_multi_apply(x, n, first, std::min(scope, 16), sse, *apply, out);
    *written = true;
  } else {
    dpu::fake_quant_sse_multi(x, n, first, std::min(scope, 16), sse);
  }
  int best = 0;
  for (int k = 1; k < std::min(scope, 16); ++k)
    if (sse[k] < sse[best]) best = k;  // strict: ties keep the smaller fix point
  return fp0 + best;
}

}  // namespace

int diffs_fix_point(const float* x, std::int64_t n, int scope, RoundMode round, int bit_width) {
  return diffs_search(x, n, scope, round, bit_width, nullptr, nullptr, nullptr);
}

int percentile_fix_point(const float* x, std::int64_t n, double percentage, int bit_width) {
  std::vector<float> a(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) a[i] = std::fabs(x[i]);
  const std::size_t k = std::min(a.size() - 1, static_cast<std::size_t>(percentage / 100.0 * static_cast<double>(a.size() - 1)));
  std::nth_element(a.begin(), a.begin() + static_cast<long>(k), a.end());
  const double t = a[k];
  if (t <= FLT_MIN) return 18;
  return static_cast<int>(std::floor(std::log2((std::ldexp(1.0, bit_width - 1) - 0.5) / t)));
}

int weighted_weight_fix_point(const float* w, std::int64_t n, const std::vector<double>& energy, int scope) {
  const int fp0 = diffs_fix_point(w, n, 1, RoundMode::STD_ROUND);
  const std::size_t c = energy.size();
  int best = fp0;
  double best_err = -1.0;
  for (int fp = fp0; fp < fp0 + scope; ++fp) {
    const FixSpec f{fp, 8, true, RoundMode::STD_ROUND};
    double err = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(dpu::fake_quantize(w[i], f)) - w[i];
      err += energy[static_cast<std::size_t>(i) % c] * d * d;
    }
    if (best_err < 0.0 || err < best_err) {  // strict: ties keep the smaller fix point
      best = fp;
      best_err = err;
    }
  }
  return best;
}

int weight_fix_point(const float* w, std::int64_t n, const std::vector<double>* energy, const CalibOptions& options) {
  const int scope = options.weight_method == "maxmin" ? 1 : 5;
  return std::min(energy ? weighted_weight_fix_point(w, n, *energy, scope) : diffs_fix_point(w, n, scope, RoundMode::STD_ROUND),
                  options.max_fix_point);
}

namespace {
// A ReLU6 output's range is [0, 6], so the search chooses fix point 4 or finer; finer is capped at
// dpu::kRelu6ExactFixPoint, where the hardware's clamp and the quantizer's agree.
constexpr int kRelu6FixPoint = dpu::kRelu6ExactFixPoint;
}  // namespace

Calibrator::Calibrator(QuantGraph& qg, CalibOptions options) : qg_(qg), options_(std::move(options)) {
  for (const auto& s : qg_.slots) {
    State& st = state_[s.fix_op];
    st.slot = &s;
    const xir::Op* fix = qg_.graph->get_op(s.fix_op);
    const xir::Op* src = fix ? fix->get_input_op("input") : nullptr;
    st.relu6 = s.kind == FixSlot::Kind::ACTIVATION && src && dpu::is_relu6(*src);
    if (s.kind == FixSlot::Kind::ACTIVATION && src) st.min_fix_point = dpu::op_traits(src->get_type()).min_output_fix_point;
  }
}

engine::FixHook Calibrator::hook() {
  return [this](const xir::Op* fix, const engine::FloatTensor& in, engine::FloatTensor& out) { on_fix(fix, in, out); };
}

int Calibrator::fix_point_of(const xir::Op* fix_op) const {
  auto it = state_.find(fix_op->get_name());
  return it == state_.end() || !it->second.decided ? INT_MIN : it->second.fix_point;
}

void Calibrator::on_fix(const xir::Op* fix, const engine::FloatTensor& in, engine::FloatTensor& out) {
  auto it = state_.find(fix->get_name());
  if (it == state_.end()) throw std::logic_error("calibration: fix op '" + fix->get_name() + "' is not in the slot table");
  State& s = it->second;
  const bool param = s.slot->kind == FixSlot::Kind::WEIGHTS || s.slot->kind == FixSlot::Kind::BIAS;
  const RoundMode round = param ? RoundMode::STD_ROUND : RoundMode::DPU_ROUND;
  // A graph output, or only read by float ops on the CPU (softmax): keep its large values (logits).
  bool graph_output = true;
  for (const xir::Op* user : fix->get_fanout_ops()) graph_output = graph_output && user->get_type() == "softmax";
  const std::string& method = param ? options_.weight_method : options_.method;
  const int scope = method == "maxmin" || (graph_output && options_.output_maxmin) ? 1 : 5;
  const bool percentile = method == "percentile" && s.slot->kind == FixSlot::Kind::ACTIVATION && !graph_output;
  if (param) {
    if (!s.decided) {
      const std::vector<double>* energy = nullptr;
      if (s.slot->kind == FixSlot::Kind::WEIGHTS && scope > 1 && fix->get_fanout_num() == 1) {
        auto e = options_.input_energy.find(fix->get_fanout_ops()[0]->get_name());
        if (e != options_.input_energy.end() && !e->second.empty() && in.numel() % static_cast<std::int64_t>(e->second.size()) == 0 &&
            in.shape.back() == static_cast<int>(e->second.size()))
          energy = &e->second;
      }
      s.fix_point = s.slot->kind == FixSlot::Kind::WEIGHTS ? weight_fix_point(in.data.data(), in.numel(), energy, options_)
                                                            : std::min(diffs_fix_point(in.data.data(), in.numel(), scope, round), options_.max_fix_point);
      s.decided = true;
    }
  } else if (!s.slot->tie.empty() && state_.count(s.slot->tie) && state_.at(s.slot->tie).decided) {
    s.fix_point = state_.at(s.slot->tie).fix_point;
    s.decided = true;
  } else {
    // The output is fake-quantized at the fix point of the batches so far during the search (one pass
    // less); only when this batch's vote moves the mode is it redone.
    const bool had = s.decided;
    const int previous = s.fix_point;
    const FixSpec previous_spec{previous, 8, true, round};
    bool written = false;
    const int vote = std::min(percentile ? percentile_fix_point(in.data.data(), in.numel(), options_.percentage)
                                         : diffs_search(in.data.data(), in.numel(), scope, round, 8, had ? &previous_spec : nullptr,
                                                        out.data.data(), &written),
                              s.relu6 ? std::min(options_.max_fix_point, kRelu6FixPoint) : options_.max_fix_point);
    ++s.votes[std::max(vote, s.min_fix_point)];  // e.g. a hard-sigmoid's (op_traits)
    int mode = vote, count = 0;
    for (const auto& [fp, c] : s.votes)  // ascending fp: ties keep the smallest
      if (c > count) {
        mode = fp;
        count = c;
      }
    s.fix_point = mode;
    s.decided = true;
    if (written && mode == previous) return;
  }
  dpu::fake_quantize_array(in.data.data(), in.numel(), FixSpec{s.fix_point, 8, true, round}, out.data.data());
}

std::vector<std::string> Calibrator::finish() {
  std::vector<std::string> warnings;
  for (auto& [name, s] : state_)
    if (!s.decided) throw std::runtime_error("calibration did not reach fix op '" + name + "' (no data flowed through it)");
  // Ties (pad/slice take their input's fix; concat inputs take the concat's).
  // A tie may lead to another (a concat feeding a concat, a pad before one): follow it to its end.
  for (auto& [name, s] : state_) {
    const State* t = &s;
    for (std::size_t hops = 0; !t->slot->tie.empty() && state_.count(t->slot->tie) && hops <= state_.size(); ++hops) t = &state_.at(t->slot->tie);
    s.fix_point = t->fix_point;
  }
  // shift_cut / shift_bias limits for conv-like ops (spec §2.5).
  for (xir::Op* op : qg_.graph->topological_sort()) {
    const std::string& t = op->get_type();
    if (!dpu::op_traits(t).weighted) continue;
    const xir::Op* in_fix = defining_fix(op->get_input_op("input", 0));
    const xir::Op* w_fix = t == "matmul" ? op->get_input_op("input", 1) : op->get_input_op("weights");
    const xir::Op* b_fix = op->get_input_op("bias");
    const xir::Op* out = op;
    if (op->get_fanout_num() == 1 && dpu::is_activation_op(op->get_fanout_ops()[0]->get_type())) out = op->get_fanout_ops()[0];
    const xir::Op* o_fix = out->get_fanout_num() == 1 && out->get_fanout_ops()[0]->get_type() == "fix" ? out->get_fanout_ops()[0] : nullptr;
    if (!in_fix || !w_fix || w_fix->get_type() != "fix" || !o_fix) continue;
    State& fw = state_.at(w_fix->get_name());
    State& fo = state_.at(o_fix->get_name());
    const int fi = state_.at(in_fix->get_name()).fix_point;
    const int shift_cut = dpu::shift_cut_for(fi, fw.fix_point, fo.fix_point);
    if (shift_cut < 0) {
      warnings.push_back("output of '" + op->get_name() + "' value is too small, so adjust the fix position from " +
                         std::to_string(fo.fix_point) + " to " + std::to_string(fo.fix_point + shift_cut));
      fo.fix_point += shift_cut;
    } else if (shift_cut > 16) {
      warnings.push_back("weight of '" + op->get_name() + "' value is too small, so adjust the fix position from " +
                         std::to_string(fw.fix_point) + " to " + std::to_string(fw.fix_point - (shift_cut - 16)));
      fw.fix_point -= shift_cut - 16;
    }
    if (b_fix && b_fix->get_type() == "fix") {
      State& fb = state_.at(b_fix->get_name());
      const int shift_bias = dpu::shift_bias_for(fi, fw.fix_point, fb.fix_point);
      const int min_bias = std::min(0, shift_cut - 16);
      if (shift_bias < min_bias) {
        warnings.push_back("bias of '" + op->get_name() + "' value is too small, so adjust the fix position from " +
                           std::to_string(fb.fix_point) + " to " + std::to_string(fb.fix_point + shift_bias - min_bias));
        fb.fix_point += shift_bias - min_bias;
      } else if (shift_bias > 16) {
        warnings.push_back("weight of '" + op->get_name() + "' value is too small, so adjust the fix position from " +
                           std::to_string(fw.fix_point) + " to " + std::to_string(fw.fix_point - (shift_bias - 16)));
        fw.fix_point -= shift_bias - 16;
      }
    }
  }
  for (const auto& [name, s] : state_)
    if (s.relu6 && s.fix_point != kRelu6FixPoint)
      warnings.push_back("ReLU6 output '" + name + "' has fix point " + std::to_string(s.fix_point) +
                         ": the DPU clamps ReLU6 at 96 LSBs, which is 6.0 only at fix point 4 (board results may differ)");
  // Write fix points; put parameters on their grid (STD_ROUND), as vai_q_pytorch stores them.
  for (auto& [name, s] : state_) {
    xir::Op* fix = qg_.graph->get_op(name);
    fix->set_attr<std::int32_t>("fix_point", s.fix_point);
    if (s.slot->kind == FixSlot::Kind::WEIGHTS || s.slot->kind == FixSlot::Kind::BIAS) {
      xir::Op* c = fix->get_input_op("input");
      auto v = const_values(*c);
      const FixSpec f{s.fix_point, 8, true, RoundMode::STD_ROUND};
      for (auto& x : v) x = dpu::fake_quantize(x, f);
      set_const_values(*c, v);
    }
  }
  return warnings;
}

}  // namespace dputk
