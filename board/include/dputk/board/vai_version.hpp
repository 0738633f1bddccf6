// Vitis AI version facts preflight needs: which DPUCZDX8G IP version goes with which Vitis AI release
// (Xilinx's version_compatibility table), and versions read off library file names.
#pragma once
#include <string>

namespace dputk::board {

// "3.0" for IP "v4.1.0", "2.5" for "v4.0.0", "2.0" for "v3.4.0"; "" when unknown.
std::string vai_release_of_ip(const std::string& ip_version);
// "3.0.0" from "libvart-runner.so.3.0.0"; "" when the name carries no version.
std::string version_from_soname(const std::string& file_name);
// "3.0" from "3.0.0".
std::string major_minor(const std::string& version);

}  // namespace dputk::board
