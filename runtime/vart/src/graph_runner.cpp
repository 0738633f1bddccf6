// vitis::ai::GraphRunner for the emulation backend: the subgraph runners of a compiled xmodel in
// topological order, values passed between them by tensor name.
#include "vitis/ai/graph_runner.hpp"

#include <map>
#include <stdexcept>

#include "cpu_flat_tensor_buffer.hpp"
#include "dputk/vart/vart_emu.hpp"
#include "emu_runner.hpp"

namespace dputk::vart_emu {

namespace {

class EmuGraphRunner : public vart::RunnerExt {
 public:
  EmuGraphRunner(const xir::Graph* graph, xir::Attrs* attrs) : graph_(graph) {
    if (!graph) throw std::invalid_argument("create_graph_runner: null graph");
    const xir::Subgraph* root = graph->get_root_subgraph();
    if (root->is_leaf())
      throw std::runtime_error("graph '" + graph->get_name() + "' is not partitioned into subgraphs: compile it first (dpu-compile)");
    const int threads = attrs && attrs->has_attr("num_threads") ? attrs->get_attr<std::int32_t>("num_threads") : 0;
    for (const xir::Subgraph* sg : root->children_topological_sort()) {
      const std::string device = sg->has_attr("device") ? sg->get_attr<std::string>("device") : "";
      if (device == "USER") {
        for (const xir::Op* op : sg->topological_sort()) inputs_.push_back(op->get_output_tensor());
        continue;
      }
      runners_.push_back(std::make_unique<EmuSubgraphRunner>(sg, "run", threads));
    }
    for (const xir::Op* op : graph->topological_sort())
      if (op->get_fanout_num() == 0 && !inputs_set().count(op->get_output_tensor())) outputs_.push_back(op->get_output_tensor());
    if (inputs_.empty()) throw std::runtime_error("graph '" + graph->get_name() + "' has no USER (input) subgraph");
  }

  std::pair<std::uint32_t, int> execute_async(const std::vector<vart::TensorBuffer*>& input,
                                              const std::vector<vart::TensorBuffer*>& output) override {
    const std::string who = "graph runner of '" + graph_->get_name() + "'";
    std::map<std::string, vart::TensorBuffer*> value;
    std::int32_t batch = 1;
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      vart::TensorBuffer* b = buffer_for(inputs_[i], i, input, inputs_.size(), who);
      value[inputs_[i]->get_name()] = b;
      batch = b->get_tensor()->get_shape().empty() ? 1 : b->get_tensor()->get_shape()[0];
    }
    for (std::size_t i = 0; i < outputs_.size(); ++i) value[outputs_[i]->get_name()] = buffer_for(outputs_[i], i, output, outputs_.size(), who);
    for (auto& r : runners_) {
      std::vector<vart::TensorBuffer*> ins, outs;
      for (const xir::Tensor* t : r->get_input_tensors()) {
        auto it = value.find(t->get_name());
        if (it == value.end()) throw std::logic_error(who + ": '" + t->get_name() + "' is used before it is computed");
        ins.push_back(it->second);
      }
      for (const xir::Tensor* t : r->get_output_tensors()) {
        auto it = value.find(t->get_name());
        outs.push_back(it != value.end() ? it->second : (value[t->get_name()] = intermediate(t, batch)));
      }
      r->set_observer(observer_);
      r->execute_async(ins, outs);
    }
    return {jobs_++, 0};
  }

  int wait(int jobid, int timeout = -1) override { return 0; }
  std::vector<const xir::Tensor*> get_input_tensors() override { return inputs_; }
  std::vector<const xir::Tensor*> get_output_tensors() override { return outputs_; }
  std::vector<vart::TensorBuffer*> get_inputs() override { return own(inputs_, own_inputs_); }
  std::vector<vart::TensorBuffer*> get_outputs() override { return own(outputs_, own_outputs_); }

  void set_observer(TensorObserver observer) { observer_ = std::move(observer); }

 private:
  std::set<const xir::Tensor*> inputs_set() const { return {inputs_.begin(), inputs_.end()}; }

  // A buffer between two subgraphs, kept across jobs (re-made when the batch size changes).
  vart::TensorBuffer* intermediate(const xir::Tensor* t, std::int32_t batch) {
    auto& slot = between_[t->get_name()];
    if (!slot || slot->get_tensor()->get_shape()[0] != batch) slot = alloc_batch_buffer(t, batch);
    return slot.get();
  }

  static std::vector<vart::TensorBuffer*> own(const std::vector<const xir::Tensor*>& tensors, std::vector<std::unique_ptr<vart::TensorBuffer>>& store) {
    if (store.empty())
      for (const xir::Tensor* t : tensors) store.push_back(std::make_unique<CpuFlatTensorBuffer>(t));
    std::vector<vart::TensorBuffer*> out;
    for (auto& b : store) out.push_back(b.get());
    return out;
  }

  const xir::Graph* graph_;
  std::vector<std::unique_ptr<EmuSubgraphRunner>> runners_;
  std::vector<const xir::Tensor*> inputs_, outputs_;
  std::map<std::string, std::unique_ptr<vart::TensorBuffer>> between_;
  std::vector<std::unique_ptr<vart::TensorBuffer>> own_inputs_, own_outputs_;
  TensorObserver observer_;
  std::uint32_t jobs_ = 0;
};

}  // namespace

void set_tensor_observer(vart::Runner* graph_runner, TensorObserver observer) {
  auto* r = dynamic_cast<EmuGraphRunner*>(graph_runner);
  if (!r) throw std::invalid_argument("set_tensor_observer: not a graph runner of the emulation backend");
  r->set_observer(std::move(observer));
}

}  // namespace dputk::vart_emu

namespace vitis::ai {

std::unique_ptr<vart::RunnerExt> GraphRunner::create_graph_runner(const xir::Graph* graph, xir::Attrs* attrs) {
  return std::make_unique<dputk::vart_emu::EmuGraphRunner>(graph, attrs);
}

}  // namespace vitis::ai
