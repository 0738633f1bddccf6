// One oneDNN convolution on NHWC activations with XIR-layout weights, built lazily per batch size
// (weights reordered once per plan) — the common part of the float and the int8 convolutions.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::engine::fast {

class CachedConv {
 public:
  // weights: XIR-layout bytes of type `wei` (shared: convolutions that differ in scale only hold one
  // copy); bias: f32 per output channel or empty.
  CachedConv(const ref::Window2d& g, bool depthwise, dnnl::memory::data_type src, dnnl::memory::data_type wei,
             dnnl::memory::data_type dst, std::shared_ptr<const std::vector<char>> weights, std::vector<float> bias,
             dnnl::primitive_attr attr);
  void run(const void* in, void* out, int batch);

 private:
  struct Plan {
    dnnl::convolution_forward prim;
    dnnl::memory weights, bias;
    dnnl::memory::desc src_md, dst_md;
  };
  Plan& plan(int n);

  ref::Window2d g_;
  bool depthwise_;
  dnnl::memory::data_type src_, wei_, dst_;
  std::shared_ptr<const std::vector<char>> weights_;
  std::vector<float> bias_;
  dnnl::primitive_attr attr_;
  std::map<int, Plan> plans_;
  std::mutex mutex_;
};

}  // namespace dputk::engine::fast
