#include "xir/tensor/tensor.hpp"

#include "xir/graph/graph.hpp"
#include "xir/op/op.hpp"

#include <sstream>

namespace xir {

void Tensor::rename(const std::string& name) {
  if (producer_ && producer_->get_graph()) producer_->get_graph()->rename_tensor(this, name);
  name_ = name;
}

std::unique_ptr<Tensor> Tensor::clone(const Tensor* tensor) { return clone(tensor, tensor->get_name()); }

std::unique_ptr<Tensor> Tensor::clone(const Tensor* tensor, const std::string& name) {
  auto t = create(name, tensor->get_shape(), tensor->get_data_type());
  t->set_attrs(tensor->get_attrs());
  return t;
}

std::int64_t Tensor::get_element_num() const {
  std::int64_t n = 1;
  for (auto d : shape_) n *= d;
  return n;
}

std::string Tensor::to_string(const std::string& delimiter, const std::string& left,
                              const std::string& right) const {
  std::ostringstream os;
  os << "xir::Tensor" << left << "name = " << name_ << delimiter << " type = " << data_type_.to_string()
     << delimiter << " shape = {";
  for (std::size_t i = 0; i < shape_.size(); ++i) os << (i ? ", " : "") << shape_[i];
  os << "}" << right;
  return os.str();
}

}  // namespace xir
