// The process-wide oneDNN CPU engine.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

namespace dputk::engine::fast {
dnnl::engine& cpu_engine();
}  // namespace dputk::engine::fast
