// Custom CPU ops, the Vitis AI way. Write a class
//
//   class MyOp {
//    public:
//     MyOp(const xir::Op* op, xir::Attrs* attrs) : op{op} {}
//     int calculate(vart::simple_tensor_buffer_t<float> output,
//                   std::vector<vart::simple_tensor_buffer_t<float>> inputs);   // 0 = success
//     const xir::Op* const op;
//   };
//   DEF_XIR_OP_IMP(MyOp)
//
// build it into libvart_op_imp_<op type>.so, e.g.
//   g++ -std=c++17 -fPIC -shared my_op.cpp $(pkg-config --cflags --libs dputk-vart) -o libvart_op_imp_MyOp.so
// and the runtime (dpu-run, the graph runner, the applications, the quantizer's float evaluation) loads
// it for ops of that type: from --op-plugin-dir DIR, $DPUTK_OP_PLUGIN_PATH, or the library path.
//
// calculate's parameters after `output` follow the op definition's input arguments, in order; each is
//   vart::simple_tensor_buffer_t<float>                              one required value
//   std::unique_ptr<vart::simple_tensor_buffer_t<float>>             an optional value (nullptr: absent)
//   std::vector<vart::simple_tensor_buffer_t<float>>                 every value of a repeated argument
//   std::unique_ptr<std::vector<vart::simple_tensor_buffer_t<float>>> the same, nullptr when there is none
// Values are float32 (CPU ops run in float, between fix2float and float2fix). An op type no XIR
// definition describes has one repeated argument "input" holding all its inputs.
#pragma once
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dputk/engine/op_imp_abi.h"
#include "vart/simple_tensor_buffer.hpp"
#include "xir/attrs/attrs.hpp"
#include "xir/op/op.hpp"

namespace vart::op_imp_detail {

template <typename P>
struct Arg;  // converts one argument group to a calculate() parameter of type P

template <typename T>
simple_tensor_buffer_t<T> buffer(const vart_op_buffer_t& b) {
  return simple_tensor_buffer_t<T>(static_cast<T*>(b.data), b.mem_size, static_cast<const xir::Tensor*>(b.tensor));
}

template <typename T>
struct Arg<simple_tensor_buffer_t<T>> {
  static simple_tensor_buffer_t<T> get(const vart_op_imp_input_t* in) {
    if (!in || in->num_of_args != 1)
      throw std::runtime_error(std::string("argument '") + (in ? in->arg_name : "?") + "' must have exactly one value, it has " +
                               std::to_string(in ? in->num_of_args : 0));
    return buffer<T>(in->args[0]);
  }
};
template <typename T>
struct Arg<std::unique_ptr<simple_tensor_buffer_t<T>>> {
  static std::unique_ptr<simple_tensor_buffer_t<T>> get(const vart_op_imp_input_t* in) {
    if (!in || in->num_of_args == 0) return nullptr;
    return std::make_unique<simple_tensor_buffer_t<T>>(buffer<T>(in->args[0]));
  }
};
template <typename T>
struct Arg<std::vector<simple_tensor_buffer_t<T>>> {
  static std::vector<simple_tensor_buffer_t<T>> get(const vart_op_imp_input_t* in) {
    std::vector<simple_tensor_buffer_t<T>> out;
    for (std::size_t i = 0; in && i < in->num_of_args; ++i) out.push_back(buffer<T>(in->args[i]));
    return out;
  }
};
template <typename T>
struct Arg<std::unique_ptr<std::vector<simple_tensor_buffer_t<T>>>> {
  static std::unique_ptr<std::vector<simple_tensor_buffer_t<T>>> get(const vart_op_imp_input_t* in) {
    if (!in || in->num_of_args == 0) return nullptr;
    return std::make_unique<std::vector<simple_tensor_buffer_t<T>>>(Arg<std::vector<simple_tensor_buffer_t<T>>>::get(in));
  }
};

inline thread_local std::string last_error;

template <typename F>
struct ParamCount;  // calculate()'s parameters after `output`
template <typename K, typename R, typename... P>
struct ParamCount<int (K::*)(simple_tensor_buffer_t<R>, P...)> {
  static constexpr std::size_t value = sizeof...(P);
};

template <typename K, typename R, typename... P, std::size_t... I>
int call(K* self, int (K::*f)(simple_tensor_buffer_t<R>, P...), vart_op_imp_input_t* in, std::size_t n, vart_op_buffer_t out,
         std::index_sequence<I...>) {
  return (self->*f)(buffer<R>(out), Arg<std::decay_t<P>>::get(I < n ? &in[I] : nullptr)...);
}

template <typename K>
vart_op_imp_t make() {
  vart_op_imp_t imp;
  imp.abi_version = DPUTK_OP_IMP_ABI_VERSION;
  imp.init = [](const xir_op_t op, xir_attrs_t attrs) -> void* {
    try {
      return new K(static_cast<const xir::Op*>(op), static_cast<xir::Attrs*>(attrs));
    } catch (...) {
      return nullptr;
    }
  };
  imp.cleanup = [](void* self) { delete static_cast<K*>(self); };
  imp.calculate = [](void* self, vart_op_imp_input_t* in, std::size_t n, vart_op_buffer_t out, const char** msg) -> int {
    try {
      return [&](auto f) {
        return call(static_cast<K*>(self), f, in, n, out, std::make_index_sequence<ParamCount<decltype(f)>::value>());
      }(&K::calculate);
    } catch (const std::exception& e) {
      last_error = e.what();
      if (msg) *msg = last_error.c_str();
      return -1;
    }
  };
  return imp;
}

}  // namespace vart::op_imp_detail

// The plugin's entry point for class KLASS (see the top of this file).
#define DEF_XIR_OP_IMP(KLASS) \
  extern "C" vart_op_imp_t vart_init_op_imp(const xir_op_t) { return vart::op_imp_detail::make<KLASS>(); }
