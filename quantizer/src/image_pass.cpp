#include "dputk/quantizer/image_pass.hpp"

#include <optional>

#include "dputk/common/progress.hpp"
#include "dputk/data/batch.hpp"
#include "dputk/dpu/fix_attrs.hpp"

namespace dputk {

engine::FloatExecutorOptions calibrated_network_options() {
  engine::FloatExecutorOptions eo;
  eo.fuse = false;
  eo.fix_point_of = [](const xir::Op* fix) { return dpu::fix_spec_of(*fix).fix_point; };
  return eo;
}

void run_over_images(engine::FloatExecutor& exec, const Dataset& data, const std::vector<std::size_t>& indices,
                     const Preprocess& preprocess, std::size_t batch_size, const std::string& label, const ImageObserver& observe) {
  std::optional<Progress> progress;
  if (!label.empty()) progress.emplace(label, indices.size());
  std::size_t first = 0;
  for (const auto& ids : batches_of(indices, batch_size)) {
    Batch b = make_batch(data, ids, preprocess);
    exec.run({&b.input}, [&](const xir::Op* op, engine::FloatTensor& v) { observe(first, ids.size(), op, v); });
    first += ids.size();
    if (progress) progress->advance(ids.size());
  }
  if (progress) progress->finish();
}

}  // namespace dputk
