// libtorch's thread count, for the code that computes with it (fast finetune, the TorchScript export).
#pragma once

namespace dputk {

// libtorch, on its first parallel op, sets its own and OpenMP's thread count to the physical cores it
// detects — for the whole process, the engine's and fix_math's OpenMP loops included. On this kind of
// machine (2 vCPUs) it detects 1: omp_get_max_threads() 2 before the first tensor, 1 after, and fast
// finetune ran on one core. Call before torch computes: it gets (and gives OpenMP back) the thread count
// OpenMP had when the program started.
void start_torch_threads();

}  // namespace dputk
