#include "dputk/common/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace dputk {

Progress::Progress(std::string label, std::size_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
  if (!finished_) finish();
}

double Progress::items_per_second() const {
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return s > 0 ? static_cast<double>(done_) / s : 0.0;
}

void Progress::advance(std::size_t n) {
  done_ += n;
  draw(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  auto now = std::chrono::steady_clock::now();
  double frac = total_ ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  if (tty_) {
    if (!final && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const int width = 30;
    int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<std::size_t>(filled), '=');
    if (filled < width) bar += '>' + std::string(static_cast<std::size_t>(width - filled - 1), ' ');
    std::fprintf(stderr, "\r%s [%s] %zu/%zu %s  %.1f %s/s%s", label_.c_str(), bar.c_str(), done_, total_,
                 unit_.c_str(), items_per_second(), unit_.c_str(), final ? "\n" : "");
  } else {
    int decile = static_cast<int>(frac * 10);
    if (decile == last_decile_) return;
    last_decile_ = decile;
    std::fprintf(stderr, "%s: %zu/%zu %s (%.0f%%), %.1f %s/s\n", label_.c_str(), done_, total_, unit_.c_str(),
                 100.0 * frac, items_per_second(), unit_.c_str());
  }
  std::fflush(stderr);
}

}  // namespace dputk
