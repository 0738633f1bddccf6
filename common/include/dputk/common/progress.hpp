// A progress line for long work (calibration, evaluation): a redrawn bar on a terminal, a line every
// 10% otherwise (logs, CI).
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace dputk {

class Progress {
 public:
  Progress(std::string label, std::size_t total, std::string unit = "images");
  ~Progress();
  void advance(std::size_t n = 1);
  void finish();
  double items_per_second() const;

 private:
  void draw(bool final);
  std::string label_, unit_;
  std::size_t total_, done_ = 0;
  int last_decile_ = -1;
  bool tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace dputk
