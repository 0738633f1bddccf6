// Built-in op definitions: the float (quantizer) form and the fix (compiled) form, with the input
// args, attrs and defaults of XIR 3.5 (as they appear in the op_defs of real .xmodel files).
#include "shape_rules.hpp"
#include "xir/op/op_def.hpp"

namespace xir {

namespace {

using IV = std::vector<std::int32_t>;
using FV = std::vector<float>;
using Bytes = std::vector<char>;
namespace R = shape_rules;

template <typename T>
AttrDef req(const std::string& name, const std::string& note = "") {
  return AttrDefBuilder<T>::build(name, AttrDef::REQUIRED, note);
}
template <typename T>
AttrDef opt(const std::string& name, const T& dflt, const std::string& note = "") {
  return AttrDefBuilder<T>::build(name, AttrDef::OPTIONAL, note, dflt);
}

OpArgDef arg(const std::string& name, OpArgDef::OccurType occur, DataType::Type t) { return {name, occur, t, ""}; }

struct Builder {
  OpDefFactory& f;
  DataType::Type t;  // FLOAT for the float form, XINT for the fix form

  OpDef op(const std::string& name) const { return OpDef(name); }
  OpDef unary(const std::string& name) const {
    OpDef d(name);
    d.add_input_arg(arg("input", OpArgDef::REQUIRED, t)).set_shape_infer(R::same_as_input);
    return d;
  }
  OpDef nary(const std::string& name) const {
    OpDef d(name);
    d.add_input_arg(arg("input", OpArgDef::REQUIRED_AND_REPEATED, t));
    return d;
  }
  OpDef conv(const std::string& name, bool fix, bool with_group, bool transposed) const {
    OpDef d(name);
    d.add_input_arg(arg("input", OpArgDef::REQUIRED, t))
        .add_input_arg(arg("weights", OpArgDef::REQUIRED, t))
        .add_input_arg(arg("bias", OpArgDef::OPTIONAL, t))
        .add_attr(req<IV>("kernel", "{kernel_width, kernel_height}"))
        .add_attr(req<IV>("stride", "{stride_width, stride_height}"))
        .add_attr(opt<IV>("dilation", {1, 1}, "{dilation_width, dilation_height}"));
    if (!fix) d.add_attr(req<std::string>("pad_mode", "FLOOR, CEIL, SAME or VALID"));
    d.add_attr(opt<IV>("pad", {0, 0, 0, 0}, "{left, right, top, bottom}"));
    if (fix) {
      d.add_attr(opt<std::string>("nonlinear", "", "NONE, RELU, PRELU, LEAKYRELU, RELU6, HSIGMOID, HSWISH"))
          .add_attr(opt<std::int32_t>("hsigmoid_in", -128))
          .add_attr(opt<std::int32_t>("shift_hsigmoid", -128))
          .add_attr(opt<std::int32_t>("shift_hswish", -128));
    }
    if (with_group) d.add_attr(opt<std::int32_t>("group", 1));
    d.set_shape_infer(transposed ? R::transposed_conv2d : R::conv2d);
    return d;
  }
  OpDef pool(const std::string& name, bool avg) const {
    OpDef d = unary(name);
    d.add_attr(req<IV>("kernel")).add_attr(req<IV>("stride")).add_attr(req<std::string>("pad_mode"))
        .add_attr(opt<IV>("pad", {0, 0, 0, 0})).add_attr(opt<bool>("global", false));
    if (avg) d.add_attr(opt<bool>("count_include_pad", true)).add_attr(opt<bool>("count_include_invalid", true));
    d.set_shape_infer(R::pool2d);
    return d;
  }
  OpDef fix_like(const std::string& name, DataType::Type in_type) const {
    OpDef d(name);
    d.add_input_arg(arg("input", OpArgDef::REQUIRED, in_type))
        .add_attr(req<std::int32_t>("fix_point"))
        .add_attr(req<std::int32_t>("bit_width"))
        .add_attr(req<std::string>("round_mode", "STD_ROUND, DPU_ROUND or PY3_ROUND"))
        .add_attr(req<bool>("if_signed"))
        .set_shape_infer(R::same_as_input);
    return d;
  }
  // resize (float) and upsample-fix: XIR's resize attributes; `scale` {scale_w, scale_h} sets the
  // output size (in * scale, truncated), the sampling positions come from the two shapes.
  OpDef resize(const std::string& name, bool scale_required) const {
    OpDef d(name);
    d.add_input_arg(arg("input", OpArgDef::REQUIRED, t))
        .add_input_arg(arg("size", OpArgDef::OPTIONAL, DataType::INT))
        .add_attr(req<std::string>("mode", "NEAREST, BILINEAR or TRILINEAR"))
        .add_attr(opt<bool>("align_corners", false))
        .add_attr(opt<bool>("half_pixel_centers", false))
        .add_attr(scale_required ? req<FV>("scale", "{scale_w, scale_h}") : opt<FV>("scale", {}, "{scale_w, scale_h}"))
        .set_shape_infer(R::resize);
    return d;
  }
  void add(const OpDef& d) const { f.register_def(d); }
};

void register_sources(const Builder& b) {
  for (const char* name : {"data", "data-fix"})
    b.add(OpDef(name).add_attr(req<IV>("shape")).add_attr(req<std::string>("data_type")).set_shape_infer(R::from_shape_attr));
  for (const char* name : {"const", "const-fix"})
    b.add(OpDef(name).add_attr(req<IV>("shape")).add_attr(req<std::string>("data_type"))
              .add_attr(req<Bytes>("data", "raw little-endian element bytes")).set_shape_infer(R::from_shape_attr));
}

void register_float_ops(const Builder& b) {
  b.add(b.fix_like("fix", DataType::FLOAT));
  b.add(b.conv("conv2d", false, true, false));
  b.add(b.conv("depthwise-conv2d", false, false, false));
  b.add(b.conv("transposed-conv2d", false, false, true));
  b.add(b.conv("transposed-depthwise-conv2d", false, false, true));
  b.add(b.pool("maxpool2d", false));
  b.add(b.pool("avgpool2d", true));
  for (const char* name : {"relu", "relu6", "identity", "sigmoid", "tanh", "hard-sigmoid", "hard-swish",
                           "hard-tanh", "gelu", "mish", "swish", "exp", "neg", "selu", "placeholder"})
    b.add(b.unary(name));
  // XIR 3.5 declares hard-sigmoid-fix FLOAT too: the quantizer's form, relu6(x + 3) · 2731 / 2^14.
  b.add(b.unary("hard-sigmoid-fix"));
  b.add(b.unary("leaky-relu").add_attr(req<float>("alpha")));
  b.add(b.unary("elu").add_attr(opt<float>("alpha", 1.0f)));
  b.add(b.unary("clamp").add_attr(req<float>("min")).add_attr(req<float>("max")).set_annotation(
      "min(max(x, min), max); ONNX Clip with bounds other than [0, 6]"));
  b.add(b.unary("softmax").add_attr(req<std::int32_t>("axis")));
  b.add(b.unary("prelu").add_input_arg(arg("weight", OpArgDef::REQUIRED, DataType::FLOAT)));
  for (const char* name : {"add", "sub", "mul", "div", "max", "min"}) b.add(b.nary(name).set_shape_infer(R::broadcast));
  b.add(b.unary("reshape").add_input_arg(arg("shape", OpArgDef::OPTIONAL, DataType::INT))
            .add_attr(opt<IV>("shape", {0})).set_shape_infer(R::reshape));
  b.add(b.unary("flatten").add_attr(req<std::int32_t>("start_axis")).add_attr(req<std::int32_t>("end_axis"))
            .set_shape_infer(R::flatten));
  b.add(b.nary("matmul").add_input_arg(arg("bias", OpArgDef::OPTIONAL, DataType::FLOAT))
            .add_attr(req<bool>("transpose_a")).add_attr(req<bool>("transpose_b")).set_shape_infer(R::matmul));
  b.add(OpDef("inner-product").add_input_arg(arg("input", OpArgDef::REQUIRED, DataType::FLOAT))
            .add_input_arg(arg("weights", OpArgDef::REQUIRED, DataType::FLOAT))
            .add_input_arg(arg("bias", OpArgDef::OPTIONAL, DataType::FLOAT))
            .add_attr(req<std::int32_t>("axis")).set_shape_infer(R::inner_product));
  b.add(b.nary("concat").add_attr(req<std::int32_t>("axis")).set_shape_infer(R::concat));
  b.add(b.nary("stack").add_attr(req<std::int32_t>("axis")).set_shape_infer(R::stack));
  b.add(b.unary("pad").add_attr(req<IV>("paddings", "before/after pairs, one per dimension"))
            .add_attr(req<std::string>("mode", "CONSTANT, REFLECT or SYMMETRIC"))
            .add_attr(opt<FV>("constant_values", {})).set_shape_infer(R::pad));
  b.add(b.unary("strided_slice").add_attr(req<IV>("begin")).add_attr(req<IV>("end")).add_attr(req<IV>("strides"))
            .set_shape_infer(R::strided_slice));
  b.add(b.unary("transpose").add_attr(req<IV>("order")).set_shape_infer(R::transpose));
  b.add(b.resize("resize", false));
  b.add(b.unary("squeeze").add_attr(opt<IV>("axis", {})));
  for (const char* name : {"reduction_mean", "reduction_sum", "reduction_max", "reduction_product"})
    b.add(b.unary(name).add_attr(req<IV>("axis")).add_attr(req<bool>("keep_dims")).set_shape_infer(R::reduction));
  b.add(OpDef("batchnorm").add_input_arg(arg("input", OpArgDef::REQUIRED, DataType::FLOAT))
            .add_input_arg(arg("gamma", OpArgDef::REQUIRED, DataType::FLOAT))
            .add_input_arg(arg("beta", OpArgDef::REQUIRED, DataType::FLOAT))
            .add_input_arg(arg("moving_mean", OpArgDef::REQUIRED, DataType::FLOAT))
            .add_input_arg(arg("moving_var", OpArgDef::REQUIRED, DataType::FLOAT))
            .add_attr(req<std::int32_t>("axis")).add_attr(req<float>("epsilon")).set_shape_infer(R::same_as_input));
  b.add(OpDef("scale").add_input_arg(arg("input", OpArgDef::REQUIRED, DataType::FLOAT))
            .add_input_arg(arg("scale", OpArgDef::REQUIRED, DataType::FLOAT))
            .add_input_arg(arg("bias", OpArgDef::OPTIONAL, DataType::FLOAT))
            .add_attr(opt<std::int32_t>("axis", -1)).set_shape_infer(R::same_as_input));
}

void register_fix_ops(const Builder& b) {
  b.add(b.fix_like("fix2float", DataType::XINT));
  b.add(b.fix_like("float2fix", DataType::FLOAT));
  b.add(b.conv("conv2d-fix", true, true, false));
  b.add(b.conv("depthwise-conv2d-fix", true, false, false));
  b.add(b.conv("transposed-conv2d-fix", true, false, true));
  b.add(b.conv("transposed-depthwise-conv2d-fix", true, false, true));
  b.add(b.unary("pool-fix").add_attr(req<IV>("kernel")).add_attr(req<IV>("stride"))
            .add_attr(opt<IV>("pad", {0, 0, 0, 0})).add_attr(req<std::string>("type", "MAX or AVG"))
            .set_shape_infer(R::pool2d));
  b.add(b.nary("eltwise-fix").add_attr(opt<std::string>("nonlinear", "NONE")).add_attr(opt<std::string>("type", "ADD"))
            .set_shape_infer(R::broadcast));
  b.add(b.nary("depthwise-fix").add_attr(opt<std::string>("type", "MUL")).set_shape_infer(R::broadcast));
  b.add(b.nary("concat-fix").add_attr(req<std::int32_t>("axis")).set_shape_infer(R::concat));
  b.add(b.unary("reshape-fix").add_attr(req<IV>("shape")).set_shape_infer(R::reshape));
  b.add(b.unary("pad-fix").add_attr(req<IV>("paddings")).add_attr(req<std::string>("mode"))
            .add_attr(opt<Bytes>("constant_values", {})).set_shape_infer(R::pad));
  b.add(b.unary("strided_slice-fix").add_attr(req<IV>("begin")).add_attr(req<IV>("end")).add_attr(req<IV>("strides"))
            .set_shape_infer(R::strided_slice));
  for (const char* name : {"upload", "download"}) b.add(b.unary(name));
  b.add(b.resize("upsample-fix", true));
  b.add(b.unary("argmax-fix").add_attr(req<std::int32_t>("axis")));
  b.add(b.unary("reduction_max-fix").add_attr(req<IV>("axis")).add_attr(req<bool>("keep_dims"))
            .set_shape_infer(R::reduction));
}

}  // namespace

void register_builtin_ops(OpDefFactory& factory) {
  Builder sources{factory, DataType::FLOAT};
  register_sources(sources);
  register_float_ops(Builder{factory, DataType::FLOAT});
  register_fix_ops(Builder{factory, DataType::XINT});
}

}  // namespace xir
