// Builds small compiled-form (fix-op) graphs by hand for tests: data-fix, const-fix, conv2d-fix,
// depthwise-conv2d-fix, pad-fix and fix2float with chosen fix points.
#pragma once
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "xir/graph/graph.hpp"

namespace dputk::test {

class FixGraphBuilder {
 public:
  using IV = std::vector<std::int32_t>;
  explicit FixGraphBuilder(const std::string& name, unsigned seed = 7) : g_(xir::Graph::create(name)), rng_(seed) {}

  xir::Op* data(const std::string& name, IV shape, int fp) {
    auto a = xir::Attrs::create();
    a->set_attr<IV>("shape", shape);
    a->set_attr<std::string>("data_type", "XINT8");
    return fixed(g_->add_op(name, "data-fix", std::move(a), {}, xir::DataType("XINT8")), fp);
  }
  // Random int8 values in [lo, hi].
  xir::Op* konst(const std::string& name, IV shape, int fp, int lo = -30, int hi = 30) {
    std::int64_t n = 1;
    for (int d : shape) n *= d;
    std::vector<char> bytes(static_cast<std::size_t>(n));
    std::uniform_int_distribution<int> dist(lo, hi);
    for (char& c : bytes) c = static_cast<char>(dist(rng_));
    auto a = xir::Attrs::create();
    a->set_attr<IV>("shape", shape);
    a->set_attr<std::string>("data_type", "XINT8");
    a->set_attr<std::vector<char>>("data", bytes);
    return fixed(g_->add_op(name, "const-fix", std::move(a), {}, xir::DataType("XINT8")), fp);
  }
  struct Conv {
    int k = 3, stride = 1, pad = 1, out_channels = 8;
    bool depthwise = false;
    std::string nonlinear = "RELU";
    int fw = 7, fb = 6, fo = 3;
    bool bias = true;
    int wlo = -30, whi = 30;
  };
  xir::Op* conv(const std::string& name, xir::Op* in, const Conv& c) {
    const int ic = in->get_output_tensor()->get_shape().back();
    auto a = xir::Attrs::create();
    a->set_attr<IV>("kernel", {c.k, c.k});
    a->set_attr<IV>("stride", {c.stride, c.stride});
    a->set_attr<IV>("pad", {c.pad, c.pad, c.pad, c.pad});
    a->set_attr<std::string>("nonlinear", c.nonlinear);
    const int oc = c.depthwise ? ic : c.out_channels;
    std::map<std::string, std::vector<xir::Op*>> ins{
        {"input", {in}}, {"weights", {konst(name + "_w", c.depthwise ? IV{1, c.k, c.k, ic} : IV{oc, c.k, c.k, ic}, c.fw, c.wlo, c.whi)}}};
    if (c.bias) ins["bias"] = {konst(name + "_b", {oc}, c.fb, -128, 127)};
    return fixed(g_->add_op(name, c.depthwise ? "depthwise-conv2d-fix" : "conv2d-fix", std::move(a), ins, xir::DataType("XINT8")), c.fo);
  }
  xir::Op* pad(const std::string& name, xir::Op* in, IV paddings, int fp) {
    auto a = xir::Attrs::create();
    a->set_attr<IV>("paddings", paddings);
    a->set_attr<std::string>("mode", "CONSTANT");
    return fixed(g_->add_op(name, "pad-fix", std::move(a), {{"input", {in}}}, xir::DataType("XINT8")), fp);
  }
  xir::Op* fix2float(const std::string& name, xir::Op* in) {
    auto a = xir::Attrs::create();
    a->set_attr<std::int32_t>("fix_point", in->get_output_tensor()->get_attr<std::int32_t>("fix_point"));
    a->set_attr<std::int32_t>("bit_width", 8);
    a->set_attr<std::string>("round_mode", "DPU_ROUND");
    a->set_attr<bool>("if_signed", true);
    return g_->add_op(name, "fix2float", std::move(a), {{"input", {in}}}, xir::DataType("FLOAT32"));
  }
  std::unique_ptr<xir::Graph> take() { return std::move(g_); }
  xir::Graph& graph() { return *g_; }

 private:
  static xir::Op* fixed(xir::Op* op, int fp) {
    auto* t = op->get_output_tensor();
    t->set_attr<std::int32_t>("fix_point", fp);
    t->set_attr<std::int32_t>("bit_width", 8);
    t->set_attr<bool>("if_signed", true);
    t->set_attr<std::string>("round_mode", "DPU_ROUND");
    return op;
  }
  std::unique_ptr<xir::Graph> g_;
  std::mt19937 rng_;
};

}  // namespace dputk::test
