#include "dputk/quantizer/quant_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <tuple>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "dputk/common/progress.hpp"
#include "dputk/dpu/dpu_arith.hpp"
#include "dputk/data/batch.hpp"
#include "dputk/data/voc_palette.hpp"
#include "dputk/dpu/fix_attrs.hpp"
#include "dputk/dpu/fix_math.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/quantizer/const_data.hpp"
#include "dputk/quantizer/evaluate.hpp"
#include "dputk/quantizer/quant_graph.hpp"

namespace dputk {

namespace {

constexpr int kBins = 48;

int fix_point_of(const xir::Op* fix) { return fix && fix->has_attr("fix_point") ? fix->get_attr<std::int32_t>("fix_point") : 0; }

double sqnr_db(const std::vector<float>& ref, const std::vector<float>& q) {
  double s = 0.0, n = 0.0;
  for (std::size_t i = 0; i < ref.size() && i < q.size(); ++i) {
    s += static_cast<double>(ref[i]) * ref[i];
    n += (static_cast<double>(ref[i]) - q[i]) * (static_cast<double>(ref[i]) - q[i]);
  }
  return n > 0.0 ? 10.0 * std::log10(std::max(s, 1e-300) / n) : 200.0;
}

// The weights' fix op of a weighted op (matmul: its second input).
const xir::Op* weights_fix(const xir::Op* op) {
  return op->get_type() == "matmul" ? op->get_input_op("input", 1) : op->get_input_op("weights");
}

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '"' ? "&quot;" : std::string(1, c);
  return o;
}

std::string num(double v, int digits = 2) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}

// A chart's horizontal grid line from x0 to x1 at y, labelled at its left end.
void y_grid_line(std::ostream& h, double x0, double x1, double y, const std::string& label) {
  h << "<line x1=\"" << x0 << "\" x2=\"" << x1 << "\" y1=\"" << y << "\" y2=\"" << y << "\" stroke=\"#eee\"/><text x=\"" << x0 - 6 << "\" y=\""
    << y + 4 << "\" font-size=\"10\" text-anchor=\"end\">" << label << "</text>";
}

// RFC 4648 base64, for the report's images (data: URIs keep the page self-contained).
std::string base64(const std::vector<std::uint8_t>& bytes) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t left = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = static_cast<std::uint32_t>(bytes[i]) << 16;
    if (left > 1) v |= static_cast<std::uint32_t>(bytes[i + 1]) << 8;
    if (left > 2) v |= bytes[i + 2];
    for (std::size_t k = 0; k < 4; ++k) out += k <= left ? digits[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

// A label map as a PNG data URI: each pixel in its label's PASCAL VOC colour, or (`differences`) light
// grey where float and int8 agree and red where they differ.
std::string label_map_png(const LabelMaps& m, bool int8, bool differences) {
  cv::Mat bgr(m.height, m.width, CV_8UC3);
  for (int y = 0; y < m.height; ++y)
    for (int x = 0; x < m.width; ++x) {
      const std::size_t i = static_cast<std::size_t>(y) * static_cast<std::size_t>(m.width) + static_cast<std::size_t>(x);
      cv::Vec3b& px = bgr.at<cv::Vec3b>(y, x);
      if (differences) {
        px = m.float_labels[i] == m.int8_labels[i] ? cv::Vec3b(225, 225, 225) : cv::Vec3b(0, 0, 220);
      } else {
        const auto bgr = voc_bgr(int8 ? m.int8_labels[i] : m.float_labels[i]);
        px = cv::Vec3b(bgr[0], bgr[1], bgr[2]);
      }
    }
  std::vector<std::uint8_t> png;
  cv::imencode(".png", bgr, png);
  return "data:image/png;base64," + base64(png);
}

// A fix op on a layer's constant (weights, bias), not on an activation.
bool is_parameter_fix(const xir::Op* fix) {
  const xir::Op* src = fix->get_input_op("input");
  return src && src->get_type() == "const";
}

}  // namespace

std::vector<ReportTensor> report_tensors(const xir::Graph& quantized, const xir::Graph& prepared, const engine::FloatTensor& batch) {
  std::vector<ReportTensor> out;
  std::vector<std::string> float_names;  // the prepared graph's op holding each tensor's float value
  for (const xir::Op* fix : quantized.topological_sort()) {
    if (fix->get_type() != "fix") continue;
    const xir::Op* src = fix->get_input_op("input");
    if (!src || is_parameter_fix(fix)) continue;
    ReportTensor t;
    t.name = src->get_name();
    t.fix_op = fix->get_name();
    t.fo = fix_point_of(fix);
    const xir::Op* producer = src;
    if (dpu::is_activation_op(src->get_type()) && src->get_input_op("input")) producer = src->get_input_op("input");
    t.layer_type = producer->get_type() == "data" ? "input" : producer->get_type();
    const xir::Op* wfix = dpu::op_traits(producer->get_type()).weighted ? weights_fix(producer) : nullptr;
    if (wfix && wfix->get_type() == "fix") {
      t.weighted = true;
      t.weighted_op = producer->get_name();
      t.fi = fix_point_of(defining_fix(producer->get_input_op("input", 0)));
      t.fw = fix_point_of(wfix);
      t.shift_cut = dpu::shift_cut_for(t.fi, t.fw, t.fo);
      if (const xir::Op* bfix = producer->get_input_op("bias"); bfix && bfix->get_type() == "fix") {
        t.has_bias = true;
        t.fb = fix_point_of(bfix);
        t.shift_bias = dpu::shift_bias_for(t.fi, t.fw, t.fb);
      }
      const xir::Op* wq = wfix->get_input_op("input");
      const xir::Op* wf = wq ? prepared.get_op(wq->get_name()) : nullptr;
      if (wq && wf && wf->get_type() == "const") t.weight_sqnr = sqnr_db(const_values(*wf), const_values(*wq));
    }
    // An op only the quantizer form has (average pooling's DPU-factor mul) stands for its input's value.
    const xir::Op* f = src;
    while (f && !prepared.get_op(f->get_name()) && f->get_input_num() > 0) f = f->get_input_op("input", 0);
    float_names.push_back(f ? f->get_name() : t.name);
    const double step = std::ldexp(1.0, -t.fo);
    t.range_lo = static_cast<float>(-128.0 * step);
    t.range_hi = static_cast<float>(127.0 * step);
    out.push_back(std::move(t));
  }
  // Float values of those tensors on the batch: clipped fraction and histogram.
  std::multimap<std::string, std::size_t> index;
  for (std::size_t i = 0; i < out.size(); ++i) index.emplace(float_names[i], i);
  engine::FloatExecutorOptions eo;
  eo.fuse = false;
  engine::FloatExecutor exec(prepared, eo);
  auto fill = [&](const std::string& name, const engine::FloatTensor& v) {
    if (v.data.empty()) return;
    const auto [first, last] = index.equal_range(name);
    for (auto it = first; it != last; ++it) {
      ReportTensor& t = out[it->second];
      const auto [mn, mx] = std::minmax_element(v.data.begin(), v.data.end());
      t.hist_lo = std::min(*mn, t.range_lo);
      t.hist_hi = std::max(*mx, t.range_hi);
      t.hist.assign(kBins, 0);
      std::size_t clipped = 0;
      const double w = (static_cast<double>(t.hist_hi) - t.hist_lo) / kBins;
      for (float x : v.data) {
        clipped += x < t.range_lo || x > t.range_hi;
        const int b = w > 0 ? std::clamp(static_cast<int>((x - t.hist_lo) / w), 0, kBins - 1) : 0;
        ++t.hist[static_cast<std::size_t>(b)];
      }
      t.clipped = static_cast<double>(clipped) / static_cast<double>(v.data.size());
    }
  };
  for (const xir::Op* in : exec.input_ops()) fill(in->get_name(), batch);
  exec.run({&batch}, [&](const xir::Op* op, engine::FloatTensor& v) { fill(op->get_name(), v); });
  return out;
}

ErrorBudget add_sensitivity(std::vector<ReportTensor>& tensors, const std::string& quantized_path, const xir::Graph& prepared,
                            const Dataset& data, const std::vector<std::size_t>& indices, const Preprocess& preprocess, int batch_size) {
  // The quantizer form twice: as written (parameters on their grids, corrected, fine-tuned) and with
  // the float parameters back — quantizing none of the latter's fix ops is the float network. A layer's
  // parameters alone: its weights as written, its float bias on its grid. The written bias also carries
  // bias correction's shift for the mean error of every layer before it; without their errors that
  // shift is an error of its own (MobileNetV1 0.25's op7: weights at 36 dB, yet 20 dB at the output).
  const auto deployed = xir::Graph::deserialize(quantized_path);
  auto graph = xir::Graph::deserialize(quantized_path);
  std::map<xir::Op*, std::pair<std::vector<float>, std::vector<float>>> params;  // const → (float, deployed)
  for (xir::Op* c : graph->get_ops()) {
    if (c->get_type() != "const") continue;
    const xir::Op* f = prepared.get_op(c->get_name());
    if (f && f->get_type() == "const" && f->get_output_tensor()->get_element_num() == c->get_output_tensor()->get_element_num()) {
      params[c] = {const_values(*f), const_values(*c)};
      set_const_values(*c, params[c].first);
    }
  }
  // The parameter constant a fix op quantizes, or nullptr. A weighted op's weights constant is swapped
  // in when deployed; its bias fix quantizes the float bias.
  auto param_const = [&](const xir::Op* fix) -> xir::Op* {
    xir::Op* c = fix && fix->get_type() == "fix" ? fix->get_input_op("input") : nullptr;
    return c && params.count(c) ? c : nullptr;
  };
  auto weights_const = [&](const xir::Op* op) { return param_const(weights_fix(op)); };
  auto bias_fix = [&](const xir::Op* op) -> const xir::Op* {
    const xir::Op* fix = op->get_input_op("bias");
    return param_const(fix) ? fix : nullptr;
  };
  const FloatReference reference(prepared, data, indices, preprocess, batch_size);
  // The network with the fix ops `quantizes` selects fake-quantizing (the others pass their input on).
  auto measure = [&](const xir::Graph& g, const std::function<bool(const xir::Op*)>& quantizes) {
    engine::FloatExecutorOptions eo;
    eo.fix_hook = [&](const xir::Op* fix, const engine::FloatTensor& in, engine::FloatTensor& out) {
      if (!quantizes(fix)) {
        std::copy(in.data.begin(), in.data.end(), out.data.begin());
        return;
      }
      dpu::fake_quantize_array(in.data.data(), in.numel(), dpu::fix_spec_of(*fix), out.data.data());
    };
    const OutputAgreement a = reference.compare(g, eo);
    return ErrorShare{a.sqnr_db(), a.agreement_percent()};
  };
  Progress progress("sensitivity", tensors.size() + 1, "layers");
  ErrorBudget budget;
  budget.all = measure(*deployed, [](const xir::Op*) { return true; });
  budget.activations = measure(*graph, [&](const xir::Op* fix) { return !is_parameter_fix(fix); });
  {  // every layer's parameters alone: weights as written, float biases on their grids
    std::vector<xir::Op*> swapped;
    for (xir::Op* op : graph->get_ops())
      if (dpu::op_traits(op->get_type()).weighted)
        if (xir::Op* c = weights_const(op)) {
          set_const_values(*c, params[c].second);
          swapped.push_back(c);
        }
    budget.parameters = measure(*graph, is_parameter_fix);
    for (xir::Op* c : swapped) set_const_values(*c, params[c].first);
  }
  progress.advance();
  for (ReportTensor& t : tensors) {
    xir::Op* weights = nullptr;  // the layer's weights, deployed values in
    const xir::Op* bias = nullptr;
    if (t.weighted)
      if (const xir::Op* op = graph->get_op(t.weighted_op)) {
        weights = weights_const(op);
        bias = bias_fix(op);
      }
    if (weights) set_const_values(*weights, params[weights].second);
    // Its parameters quantized: the weights are on their grid already; the bias fix rounds the float bias.
    auto own_params = [bias](const xir::Op* fix) { return bias && fix == bias; };
    auto output_fix = [&t](const xir::Op* fix) { return fix->get_name() == t.fix_op; };
    const ErrorShare both = measure(*graph, [&](const xir::Op* fix) { return output_fix(fix) || own_params(fix); });
    t.has_sensitivity = true;
    t.sens_sqnr = both.sqnr_db;
    t.sens_agreement = both.agreement;
    t.has_sens_split = weights || bias;
    if (t.has_sens_split) {
      t.sens_params_sqnr = measure(*graph, own_params).sqnr_db;
      if (weights) set_const_values(*weights, params[weights].first);
      t.sens_output_sqnr = measure(*graph, output_fix).sqnr_db;
    } else {
      t.sens_output_sqnr = both.sqnr_db;
    }
    progress.advance();
  }
  progress.finish();
  return budget;
}

std::string quant_report_html(const QuantReport& r) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Quantization report — " << esc(r.model)
    << "</title>\n<style>body{font:14px/1.4 sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}"
       "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
       "td.l,th.l{text-align:left}tr.bad td{background:#fde2e2}.grid{display:flex;flex-wrap:wrap;gap:8px}"
       ".cell{border:1px solid #ddd;padding:4px;font-size:11px}.kv td{border:none;text-align:left}</style></head><body>\n";
  h << "<h1>Quantization report</h1>\n<table class=\"kv\"><tr><td>model</td><td>" << esc(r.model) << "</td></tr><tr><td>quantized model</td><td>"
    << esc(r.xmodel) << "</td></tr><tr><td>images evaluated</td><td>" << r.images << "</td></tr>";
  if (r.labelled) h << "<tr><td>int8 top-1 (the DPU's integer arithmetic)</td><td>" << num(r.int8_top1) << "%</td></tr>";
  if (r.compared)
    h << "<tr><td>float/int8 top-1 agreement</td><td>" << num(r.agreement) << "%</td></tr><tr><td>output SQNR</td><td>" << num(r.logit_sqnr)
      << " dB</td></tr>";
  h << "<tr><td>int8 tensors</td><td>" << r.tensors.size() << "</td></tr></table>\n";

  // SQNR by layer.
  const std::size_t n = r.tensors.size();
  const double W = std::max<double>(600.0, 14.0 * static_cast<double>(n) + 60.0), H = 240.0, x0 = 50.0, y0 = 20.0, ph = 180.0;
  double top = 10.0;
  for (const auto& t : r.tensors) top = std::max({top, t.has_act_sqnr ? t.act_sqnr : 0.0, t.weighted ? std::min(t.weight_sqnr, 80.0) : 0.0});
  top = std::ceil(top / 10.0) * 10.0;
  auto ys = [&](double v) { return y0 + ph - std::clamp(v, 0.0, top) / top * ph; };
  h << "<h2>SQNR by layer</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" role=\"img\" aria-label=\"SQNR by layer\">";
  for (double v = 0; v <= top; v += 10)
    y_grid_line(h, x0, W - 10, ys(v), num(v, 0));
  const double bw = (W - x0 - 10.0) / std::max<std::size_t>(n, 1);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& t = r.tensors[i];
    const double x = x0 + bw * static_cast<double>(i);
    if (t.has_act_sqnr)
      h << "<rect x=\"" << x + 1 << "\" y=\"" << ys(t.act_sqnr) << "\" width=\"" << std::max(1.0, bw - 2) << "\" height=\"" << y0 + ph - ys(t.act_sqnr)
        << "\" fill=\"#4a78c2\"><title>" << esc(t.name) << ": int8 tensor " << num(t.act_sqnr) << " dB</title></rect>";
    if (t.weighted)
      h << "<circle cx=\"" << x + bw / 2 << "\" cy=\"" << ys(t.weight_sqnr) << "\" r=\"3\" fill=\"#e07b39\"><title>" << esc(t.name) << ": weights "
        << num(t.weight_sqnr) << " dB</title></circle>";
  }
  h << "<text x=\"" << x0 << "\" y=\"" << H - 8 << "\" font-size=\"11\">bars: the DPU's int8 tensor vs float (dB, accumulated); dots: weights (dB); layers in graph order</text></svg>\n";

  // Logits scatter.
  if (!r.logits.empty()) {
    float lo = r.logits[0].first, hi = lo;
    for (const auto& [f, q] : r.logits) {
      lo = std::min({lo, f, q});
      hi = std::max({hi, f, q});
    }
    if (hi <= lo) hi = lo + 1.0f;
    const double S = 360.0, m = 40.0;
    auto px = [&](float v) { return m + (v - lo) / (hi - lo) * (S - m - 10); };
    auto py = [&](float v) { return S - m - (v - lo) / (hi - lo) * (S - m - 10); };
    h << "<h2>Float vs int8 outputs</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << S << "\" height=\"" << S
      << "\" role=\"img\" aria-label=\"float vs int8 outputs\"><rect x=\"" << m << "\" y=\"10\" width=\"" << S - m - 10 << "\" height=\"" << S - m - 10
      << "\" fill=\"none\" stroke=\"#999\"/><line x1=\"" << px(lo) << "\" y1=\"" << py(lo) << "\" x2=\"" << px(hi) << "\" y2=\"" << py(hi)
      << "\" stroke=\"#c33\" stroke-dasharray=\"4 3\"/>";
    for (const auto& [f, q] : r.logits)
      h << "<circle cx=\"" << num(px(f), 1) << "\" cy=\"" << num(py(q), 1) << "\" r=\"1.5\" fill=\"#4a78c2\" fill-opacity=\"0.5\"/>";
    h << "<text x=\"" << m << "\" y=\"" << S - 12 << "\" font-size=\"11\">float (x) vs int8 (y), " << r.logits.size() << " outputs; range " << num(lo)
      << " … " << num(hi) << "</text></svg>\n";
  }

  // Disagreement by the float top-2 margin.
  std::size_t margin_labels = 0;
  for (const MarginBin& b : r.by_margin) margin_labels += b.labels;
  if (margin_labels) {
    const double W = 560.0, H = 250.0, x0 = 50.0, y0 = 20.0, ph = 170.0;
    const double bw = (W - x0 - 10.0) / static_cast<double>(r.by_margin.size());
    auto ys = [&](double percent) { return y0 + ph - percent / 100.0 * ph; };
    h << "<h2>Where the labels differ</h2>\n<p>Every label (an image's class, a pixel's) by the float output's margin between its two "
         "largest values. Red: the share of the bin's labels that int8 changes; grey: the share of all labels in the bin. Where the float "
         "top two are close, a small error flips the label.</p>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
      << "\" role=\"img\" aria-label=\"disagreement by float margin\">";
    for (int v = 0; v <= 100; v += 25)
      y_grid_line(h, x0, W - 10, ys(v), std::to_string(v) + "%");
    for (std::size_t i = 0; i < r.by_margin.size(); ++i) {
      const MarginBin& b = r.by_margin[i];
      const double x = x0 + bw * static_cast<double>(i);
      const double share = 100.0 * static_cast<double>(b.labels) / static_cast<double>(margin_labels);
      const double differ = b.labels ? 100.0 * static_cast<double>(b.disagree) / static_cast<double>(b.labels) : 0.0;
      const std::string range = esc(margin_bin_label(r.by_margin, i));
      h << "<rect x=\"" << x + 4 << "\" y=\"" << ys(share) << "\" width=\"" << bw / 2 - 4 << "\" height=\"" << y0 + ph - ys(share)
        << "\" fill=\"#bbb\"><title>margin " << range << ": " << num(share) << "% of the labels</title></rect><rect x=\"" << x + bw / 2 << "\" y=\""
        << ys(differ) << "\" width=\"" << bw / 2 - 4 << "\" height=\"" << y0 + ph - ys(differ) << "\" fill=\"#c33\"><title>margin " << range << ": "
        << b.disagree << " of " << b.labels << " labels differ (" << num(differ) << "%)</title></rect><text x=\"" << x + bw / 2 << "\" y=\""
        << y0 + ph + 14 << "\" font-size=\"10\" text-anchor=\"middle\">" << range << "</text>";
    }
    h << "<text x=\"" << x0 << "\" y=\"" << H - 10 << "\" font-size=\"11\">float top-2 margin (output units); " << margin_labels
      << " labels</text></svg>\n";
  }

  // The label maps of the image whose labels int8 changes most.
  const LabelMaps& maps = r.label_maps;
  const std::size_t pixels = static_cast<std::size_t>(maps.height) * static_cast<std::size_t>(maps.width);
  if (pixels > 0 && maps.float_labels.size() == pixels && maps.int8_labels.size() == pixels) {
    h << "<h2>Labels where int8 differs most</h2>\n<p>" << esc(r.label_maps_image) << ", the test image whose labels int8 changes most: every "
      << "pixel's label in PASCAL VOC colours, float and int8; red: the " << maps.differ << " of " << pixels << " pixels ("
      << num(100.0 * static_cast<double>(maps.differ) / static_cast<double>(pixels)) << "%) that differ.</p>\n<div class=\"grid\">";
    for (const auto& [what, int8, diff] : {std::tuple<const char*, bool, bool>{"float labels", false, false}, {"int8 labels", true, false},
                                           {"labels that differ", false, true}})
      h << "<figure class=\"cell\"><img alt=\"" << what << "\" width=\"" << std::min(maps.width, 320) << "\" src=\"" << label_map_png(maps, int8, diff)
        << "\"><figcaption>" << what << "</figcaption></figure>";
    h << "</div>\n";
  }

  // Sensitivity, worst first.
  std::vector<const ReportTensor*> sens;
  for (const auto& t : r.tensors)
    if (t.has_sensitivity) sens.push_back(&t);
  h << "<h2>Sensitivity</h2>\n";
  if (sens.empty()) {
    h << "<p>Not measured (run test mode with <code>--sensitivity</code>).</p>\n";
  } else {
    std::sort(sens.begin(), sens.end(), [](const ReportTensor* a, const ReportTensor* b) { return a->sens_sqnr < b->sens_sqnr; });
    h << "<p>Where the network output's error comes from, against the float network on " << r.sensitivity_images
      << " images: the activations' fix points alone (float weights and biases), the parameters alone (the xmodel's int8 weights, "
         "the float biases rounded to their grids, float activations), and both (the int8 network, bias correction in).</p>\n<table><tr><th class=\"l\">quantized</th><th>output SQNR (dB)</th><th>top-1 agreement</th></tr>\n";
    for (const auto& [what, part] : {std::pair<const char*, const ErrorShare&>{"activations only", r.budget.activations},
                                     {"parameters only", r.budget.parameters}, {"both (the int8 network)", r.budget.all}})
      h << "<tr><td class=\"l\">" << what << "</td><td>" << num(part.sqnr_db) << "</td><td>" << num(part.agreement) << "%</td></tr>\n";
    h << "</table>\n<p>The network with only one layer quantized (its output fix, its weights as the xmodel has them, its float bias "
         "rounded to its grid: the xmodel's bias also makes up for the mean error of the layers before it, float here) against the float "
         "network; a layer's output fix and its parameters also alone. Worst first.</p>\n<table><tr><th class=\"l\">tensor</th><th class=\"l\">layer</th>"
         "<th>output SQNR (dB)</th><th>top-1 agreement</th><th>its output only (dB)</th><th>its parameters only (dB)</th></tr>\n";
    for (std::size_t i = 0; i < sens.size() && i < 15; ++i) {
      const ReportTensor& t = *sens[i];
      h << "<tr><td class=\"l\">" << esc(t.name) << "</td><td class=\"l\">" << esc(t.layer_type) << "</td><td>" << num(t.sens_sqnr) << "</td><td>"
        << num(t.sens_agreement) << "%</td><td>" << num(t.sens_output_sqnr) << "</td><td>" << (t.has_sens_split ? num(t.sens_params_sqnr) : "")
        << "</td></tr>\n";
    }
    h << "</table>\n";
  }

  // Per-layer table.
  h << "<h2>Layers</h2>\n<table><tr><th>#</th><th class=\"l\">tensor</th><th class=\"l\">layer</th><th>fix in</th><th>fix w</th><th>fix b</th>"
       "<th>fix out</th><th>shift_cut</th><th>shift_bias</th><th>weight SQNR</th><th>int8 SQNR</th><th>clipped</th><th>sensitivity SQNR</th></tr>\n";
  for (std::size_t i = 0; i < n; ++i) {
    const auto& t = r.tensors[i];
    const bool bad = (t.has_act_sqnr && t.act_sqnr < 10.0) || t.clipped > 0.01;
    h << "<tr" << (bad ? " class=\"bad\"" : "") << "><td>" << i << "</td><td class=\"l\">" << esc(t.name) << "</td><td class=\"l\">" << esc(t.layer_type)
      << "</td>";
    if (t.weighted)
      h << "<td>" << t.fi << "</td><td>" << t.fw << "</td><td>" << (t.has_bias ? std::to_string(t.fb) : "") << "</td>";
    else
      h << "<td></td><td></td><td></td>";
    h << "<td>" << t.fo << "</td>";
    if (t.weighted)
      h << "<td>" << t.shift_cut << "</td><td>" << (t.has_bias ? std::to_string(t.shift_bias) : "") << "</td><td>" << num(t.weight_sqnr) << "</td>";
    else
      h << "<td></td><td></td><td></td>";
    h << "<td>" << (t.has_act_sqnr ? num(t.act_sqnr) : "") << "</td><td>" << num(100.0 * t.clipped, 3) << "%</td><td>"
      << (t.has_sensitivity ? num(t.sens_sqnr) : "") << "</td></tr>\n";
  }
  h << "</table>\n";

  // Activation histograms with the int8 range.
  h << "<h2>Activation histograms</h2>\n<p>Float values on the first images (log-scaled counts); red: the int8 range at the chosen fix point.</p>\n<div class=\"grid\">";
  for (const auto& t : r.tensors) {
    if (t.hist.empty()) continue;
    const double w = 220.0, hh = 80.0;
    std::uint32_t mx = 1;
    for (auto c : t.hist) mx = std::max(mx, c);
    auto xs = [&](double v) { return (v - t.hist_lo) / std::max(1e-30, static_cast<double>(t.hist_hi) - t.hist_lo) * w; };
    h << "<div class=\"cell\"><div>" << esc(t.name) << " (fix " << t.fo << ")</div><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w
      << "\" height=\"" << hh + 14 << "\">";
    const double bw2 = w / static_cast<double>(t.hist.size());
    for (std::size_t b = 0; b < t.hist.size(); ++b) {
      if (!t.hist[b]) continue;
      const double bh = std::log1p(t.hist[b]) / std::log1p(mx) * hh;
      h << "<rect x=\"" << num(bw2 * static_cast<double>(b), 1) << "\" y=\"" << num(hh - bh, 1) << "\" width=\"" << num(std::max(0.5, bw2 - 0.5), 1)
        << "\" height=\"" << num(bh, 1) << "\" fill=\"#4a78c2\"/>";
    }
    for (double v : {static_cast<double>(t.range_lo), static_cast<double>(t.range_hi)})
      h << "<line x1=\"" << num(xs(v), 1) << "\" x2=\"" << num(xs(v), 1) << "\" y1=\"0\" y2=\"" << hh << "\" stroke=\"#d22\" stroke-width=\"1.5\"/>";
    h << "<text x=\"0\" y=\"" << hh + 12 << "\" font-size=\"10\">" << num(t.hist_lo) << "</text><text x=\"" << w << "\" y=\"" << hh + 12
      << "\" font-size=\"10\" text-anchor=\"end\">" << num(t.hist_hi) << "</text></svg><div>clipped " << num(100.0 * t.clipped, 3) << "%</div></div>";
  }
  h << "</div>\n</body></html>\n";
  return h.str();
}

}  // namespace dputk
