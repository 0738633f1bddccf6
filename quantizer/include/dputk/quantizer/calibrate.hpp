// Calibration: choosing every fix point of a QuantGraph from data (spec §2.2–2.6).
//  - activations: the "diffs" search (candidates fp0 … fp0+scope−1 from the no-overflow fp0, least
//    squared error with DPU_ROUND, ties keep the smaller), one vote per batch, modal merge (ties →
//    smallest), fix point ≤ 12; the graph input too (ours: vai_q takes its max/min, which for inputs in
//    [−1, 1] gives fix point 6 where 7 loses only the value 1.0 — MobileNetV1 QAT +0.75 pp, V2 +1.25 pp);
//  - weights and biases: the same search with STD_ROUND, once (weights: weighted by the input
//    channels' energy when it was measured, see CalibOptions::input_energy);
//  - afterwards the DPU's shift_cut / shift_bias limits are enforced.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "dputk/engine/float_executor.hpp"
#include "dputk/dpu/fix_math.hpp"
#include "dputk/quantizer/quant_graph.hpp"

namespace dputk {

struct CalibOptions {
  std::string method = "diffs";         // activations: diffs | maxmin | percentile
  std::string weight_method = "diffs";  // weights and biases: diffs | maxmin
  double percentage = 99.99;            // percentile: the |x| percentile that must not overflow
  int max_fix_point = 12;
  // Graph outputs (logits) take the no-overflow fix point: the diffs search would clip the few large
  // logits that decide the argmax (they are outliers by nature), making classes tie.
  bool output_maxmin = true;
  // Convolutions between fix ops as exact int8 oneDNN convolutions (their sums are exact where float32
  // rounds); false: float32 convolutions on the fake-quantized values.
  bool int8_convolutions = true;
  // By weighted op (convolution, fully connected) name: E[x_c²] of each channel of its input on the
  // calibration images. When given, the layer's weight fix point minimises the error it adds to the
  // layer's output, Σ_i E[x_c(i)²]·(q(w_i) − w_i)² (the diagonal of E‖ΔW·x‖²), instead of the weights'
  // own squared error: a weight on a channel that carries little signal no longer sets the range.
  std::map<std::string, std::vector<double>> input_energy;
};

// The weight fix point that minimises Σ_i energy[i mod C]·(q(w_i) − w_i)², C = energy.size() (the
// input channel is the weights' last axis in XIR: OHWI, depthwise [M,KH,KW,C], FC [out, in]);
// candidates: the no-overflow fix point and the next scope − 1 (STD_ROUND, as weights are stored).
int weighted_weight_fix_point(const float* w, std::int64_t n, const std::vector<double>& energy, int scope = 5);

// The fix point whose range holds the given percentile of |x| (power-of-two percentile calibration).
int percentile_fix_point(const float* x, std::int64_t n, double percentage, int bit_width = 8);
// The diffs search on one tensor. scope 1 = maxmin.
int diffs_fix_point(const float* x, std::int64_t n, int scope, dpu::RoundMode round, int bit_width = 8);

// The fix point calibration gives a weight tensor (input channel last): the diffs search, or with
// `energy` (CalibOptions::input_energy of its layer) weighted_weight_fix_point; at most max_fix_point.
int weight_fix_point(const float* w, std::int64_t n, const std::vector<double>* energy, const CalibOptions& options);

class Calibrator {
 public:
  Calibrator(QuantGraph& qg, CalibOptions options);
  // The hook to give the float executor running qg.graph.
  engine::FixHook hook();
  // Ends calibration: resolves ties, applies the shift checks, writes fix_point attrs into the fix ops
  // and replaces parameter const data by their quantized (on-grid) values. Returns warnings.
  std::vector<std::string> finish();
  int batches() const { return batches_; }
  // The fix point the hook last used for a fix op (INT_MIN before its first value): the float
  // executor's fix_point_of.
  int fix_point_of(const xir::Op* fix_op) const;
  void next_batch() { ++batches_; }

 private:
  struct State {
    const FixSlot* slot = nullptr;
    std::map<int, int> votes;
    int fix_point = 0;
    bool decided = false;
    bool relu6 = false;  // the output of a ReLU6: fix point at most kRelu6FixPoint
    int min_fix_point = -128;  // the producer's floor (op_traits: a hard-sigmoid's 7)
  };
  void on_fix(const xir::Op* fix, const engine::FloatTensor& in, engine::FloatTensor& out);

  QuantGraph& qg_;
  CalibOptions options_;
  std::map<std::string, State> state_;
  int batches_ = 0;
};

}  // namespace dputk
