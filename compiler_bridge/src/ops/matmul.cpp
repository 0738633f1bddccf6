// matmul (fully connected, + fused activation) → reshape-fix to [N,1,1,K], a 1×1 conv2d-fix, reshape-fix
// back (as vai_c_xir's TransferMatMulToConv2d); the conv's limits are conv2d.cpp's.
#include "compiler_ops.hpp"

namespace dputk::compiler_ops {

void register_matmul() {
  add_lower_rule("matmul", [](LowerContext& cx, const Group& g) -> xir::Op* {
    const xir::Op* c = g.compute;
    if (c->get_attr<bool>("transpose_a")) fail(c, "transpose_a is not supported on the DPU");
    auto ins = c->get_input_ops("input");
    const Lowered& xin = cx.value(ins[0]);
    const IV& xs = ins[0]->get_output_tensor()->get_shape();
    if (xs.size() != 2) fail(c, "only 2-D matmul inputs are supported");
    xir::Op* w = cx.param(ins[1]);
    const IV ws = w->get_output_tensor()->get_shape();
    const bool tb = c->get_attr<bool>("transpose_b");
    const int k = tb ? ws[1] : ws[0], n = tb ? ws[0] : ws[1];
    if (!tb) fail(c, "weights must be [out, in] (transpose_b = true) for the DPU");
    auto ra = xir::Attrs::create();
    ra->set_attr<IV>("shape", {xs[0], 1, 1, k});
    xir::Op* r = cx.add(c->get_name() + "_to_4d", "reshape-fix", std::move(ra), {{"input", {xin.op}}}, xin.fix_point);
    // The 2-D weight const-fix becomes a 4-D [N,1,1,K] one (same bytes).
    auto ca = xir::Attrs::create();
    ca->set_attr<IV>("shape", {n, 1, 1, k});
    ca->set_attr<std::string>("data_type", "XINT8");
    ca->set_attr<std::vector<char>>("data", w->get_attr<std::vector<char>>("data"));
    const int fw = cx.value(ins[1]).fix_point;
    std::string wname = w->get_name();
    if (w->get_fanout_num() == 0) {
      cx.drop_value(ins[1]);
      cx.out().remove_op(w);
    } else {
      wname += "_4d";
    }
    xir::Op* wc = cx.add(wname, "const-fix", std::move(ca), {}, fw);
    auto a = xir::Attrs::create();
    a->set_attr<IV>("kernel", {1, 1});
    a->set_attr<IV>("stride", {1, 1});
    a->set_attr<std::string>("pad_mode", "FLOOR");
    a->set_attr<std::string>("nonlinear", nonlinear_of(g.act));
    std::map<std::string, std::vector<xir::Op*>> in{{"input", {r}}, {"weights", {wc}}};
    if (const xir::Op* b = c->get_input_op("bias")) in["bias"] = {cx.param(b)};
    xir::Op* conv = cx.add(c->get_name() + "_conv", "conv2d-fix", std::move(a), in, g.fp);
    auto ba = xir::Attrs::create();
    ba->set_attr<IV>("shape", {xs[0], n});
    return cx.add(c->get_name(), "reshape-fix", std::move(ba), {{"input", {conv}}}, g.fp);
  });
}

}  // namespace dputk::compiler_ops
