/* The C boundary between the runtime and a custom-op plugin (libvart_op_imp_<op type>.so). Plugin
 * authors do not use it directly: vart/op_imp.h's DEF_XIR_OP_IMP(Class) defines the entry point
 * vart_init_op_imp from a class with a constructor (const xir::Op*, xir::Attrs*) and
 * int calculate(vart::simple_tensor_buffer_t<float> output, <inputs>...). */
#pragma once
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DPUTK_OP_IMP_ABI_VERSION 1

typedef void* xir_op_t;     /* a const xir::Op* */
typedef void* xir_attrs_t;  /* an xir::Attrs* (runner attributes; may be null) */

/* One tensor's memory: float32 values, mem_size bytes; tensor is the const xir::Tensor* it holds. */
typedef struct {
  void* data;
  size_t mem_size;
  const void* tensor;
} vart_op_buffer_t;

/* The values of one input argument of the op definition, in definition order (0 or more). */
typedef struct {
  const char* arg_name;
  size_t num_of_args;
  vart_op_buffer_t* args;
} vart_op_imp_input_t;

typedef struct vart_op_imp_t {
  int abi_version; /* DPUTK_OP_IMP_ABI_VERSION */
  void* (*init)(const xir_op_t op, xir_attrs_t attrs);
  void (*cleanup)(void* self);
  /* 0 on success; error_message (may be null) receives a static or thread-local text on failure */
  int (*calculate)(void* self, vart_op_imp_input_t inputs[], size_t num_of_inputs, vart_op_buffer_t output,
                   const char** error_message);
} vart_op_imp_t;

/* What DEF_XIR_OP_IMP defines in the plugin. */
typedef vart_op_imp_t (*vart_init_op_imp_fn)(const xir_op_t op);

#ifdef __cplusplus
}
#endif
