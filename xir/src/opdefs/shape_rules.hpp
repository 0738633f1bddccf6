// Shape inference rules shared by the built-in op definitions (NHWC feature maps, {w,h} kernels).
#pragma once
#include "xir/op/op.hpp"

namespace xir::shape_rules {

void from_shape_attr(Op* op);
void same_as_input(Op* op);
void conv2d(Op* op);        // conv2d, conv2d-fix, depthwise variants
void transposed_conv2d(Op* op);
void pool2d(Op* op);        // maxpool2d, avgpool2d, pool-fix
void broadcast(Op* op);     // add/sub/mul/div/max/min, eltwise-fix
void reshape(Op* op);
void flatten(Op* op);
void matmul(Op* op);
void inner_product(Op* op);
void concat(Op* op);
void stack(Op* op);
void pad(Op* op);
void strided_slice(Op* op);
void transpose(Op* op);
void resize(Op* op);         // resize, upsample-fix: NHWC, H and W times the scale attr
void reduction(Op* op);

}  // namespace xir::shape_rules
