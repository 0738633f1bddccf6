// Process-wide memory policy for the long-running tools.
#pragma once

namespace dputk {

// Freed memory stays with the process for reuse instead of going back to the kernel (glibc: no
// mmap'ed blocks, no heap trimming). The quantizer allocates and frees tensors of hundreds of MB
// over and over (fast finetune's per-layer values, libtorch's temporaries); returned to the kernel,
// each reuse page-faults anew, which in virtual machines cost up to 15x the computation (MobileNetV2's
// first layer: 66 s against 3.9 s). Peak RSS is unchanged: it counts what was in use at once.
// No effect on other C libraries.
void keep_freed_memory();

}  // namespace dputk
