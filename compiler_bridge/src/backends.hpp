// The two compile backends behind compile_model (compile.hpp).
#pragma once
#include "dputk/compiler/compile.hpp"

namespace dputk::compiler {

CompileResult compile_builtin(const CompileOptions& options);
CompileResult compile_with_vai_c_xir(const std::string& exe, const CompileOptions& options);

}  // namespace dputk::compiler
