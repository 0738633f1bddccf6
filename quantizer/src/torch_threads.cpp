#include "torch_threads.hpp"

#include <ATen/Parallel.h>
#include <omp.h>

namespace dputk {

namespace {
const int threads_at_start = omp_get_max_threads();  // static initialization: before torch's first op
}

void start_torch_threads() {
  if (at::get_num_threads() != threads_at_start) at::set_num_threads(threads_at_start);
}

}  // namespace dputk
