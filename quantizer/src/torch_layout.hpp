// XIR constants ↔ torch tensors, and XIR parameter layouts → PyTorch's, for the libtorch parts (TorchScript export;
// fast finetune reads and writes constants). XIR: conv weights [O, KH, KW, I], depthwise [multiplier, KH, KW, C], matmul W as
// stored (transpose_b: [out, in]). PyTorch: conv [O, I, KH, KW], depthwise [C·m, 1, KH, KW] (output
// channel c·m + j), linear [out, in].
#pragma once
#include <torch/torch.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "xir/op/op.hpp"

namespace dputk::torch_layout {

// A float32 const op's data as a tensor of its XIR shape.
inline at::Tensor const_tensor(const xir::Op& c) {
  const auto& bytes = c.get_attr<std::vector<char>>("data");
  std::vector<std::int64_t> shape;
  for (auto d : c.get_output_tensor()->get_shape()) shape.push_back(d);
  at::Tensor t = torch::empty(shape, torch::kFloat32);
  if (bytes.size() != static_cast<std::size_t>(t.numel()) * 4)
    throw std::runtime_error("const '" + c.get_name() + "' holds " + std::to_string(bytes.size()) + " bytes for " +
                             std::to_string(t.numel()) + " float32 values");
  std::memcpy(t.data_ptr<float>(), bytes.data(), bytes.size());
  return t;
}

inline void set_const(xir::Op& c, const at::Tensor& t) {
  const at::Tensor x = t.contiguous().to(torch::kFloat32);
  std::vector<char> bytes(static_cast<std::size_t>(x.numel()) * 4);
  std::memcpy(bytes.data(), x.data_ptr<float>(), bytes.size());
  c.set_attr<std::vector<char>>("data", bytes);
}

// `layer`: the conv2d / depthwise-conv2d / matmul op the weights belong to.
inline at::Tensor weights_to_torch(const at::Tensor& w, const xir::Op& layer) {
  const std::string& t = layer.get_type();
  if (t == "conv2d") return w.permute({0, 3, 1, 2}).contiguous();
  if (t == "depthwise-conv2d") return w.permute({3, 0, 1, 2}).reshape({-1, 1, w.size(1), w.size(2)}).contiguous();
  return layer.get_attr_or<bool>("transpose_b", false) ? w : w.t().contiguous();
}

}  // namespace dputk::torch_layout
