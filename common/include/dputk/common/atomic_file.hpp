// Files that appear whole or not at all: write to a temporary beside the target, then rename.
#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace dputk {

// Writes bytes to path atomically. Throws std::runtime_error naming the file on failure.
void write_file_atomic(const std::string& path, const std::string& bytes);
// Streams into a temporary file through fn, then renames it over path.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& fn);
// Reads a whole file. Throws std::runtime_error naming the file when it is missing or unreadable.
std::string read_file(const std::string& path);

}  // namespace dputk
