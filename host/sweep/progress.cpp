#include "host/sweep/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>

namespace irqrig::host::sweep {

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string progress_line(std::size_t done, std::size_t total, std::size_t failed, double seconds) {
  constexpr std::size_t kWidth = 24;
  const std::size_t filled = total == 0 ? kWidth : done * kWidth / total;
  std::string line =
      fmt::format("[{}{}] {}/{} points", std::string(filled, '#'), std::string(kWidth - filled, '.'), done, total);
  if (failed > 0) line += fmt::format(", {} failed", failed);
  if (done > 0 && seconds > 0) {
    const double rate = static_cast<double>(done) / seconds;
    line += fmt::format(", {:.1f} points/s, ETA {}", rate, format_duration(static_cast<double>(total - done) / rate));
  }
  return line;
}

void Progress::write(std::string_view text) {
  if (closed_) return;
  // fmt throws when the stream refuses the bytes; with SIGPIPE ignored that is how a closed pipe shows.
  try {
    fmt::print(out_, "{}", text);
    if (std::fflush(out_) != 0) closed_ = true;
  } catch (const std::exception&) {
    closed_ = true;
  }
}

Progress::Progress(ProgressMode mode, std::size_t total, std::FILE* out) : mode_(mode), total_(total), out_(out) {
  if (mode_ == ProgressMode::kBar && total_ > 0) {
    write(fmt::format("\r{}\x1b[K", progress_line(0, total_, 0, 0)));
    drawn_ = true;
  }
}

void Progress::point_done(bool ok, std::string_view id, std::string_view label, std::string_view status) {
  ++done_;
  if (!ok) ++failed_;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  switch (mode_) {
    case ProgressMode::kBar:
      write(fmt::format("\r{}\x1b[K", progress_line(done_, total_, failed_, seconds)));
      drawn_ = true;
      break;
    case ProgressMode::kLines:
      write(fmt::format("sweep: [{}/{}] {} {}: {}\n", done_, total_, id, label, status));
      break;
    case ProgressMode::kQuiet:
      break;
  }
}

void Progress::finish() {
  if (drawn_) {
    write("\n");
    drawn_ = false;
  }
}

}  // namespace irqrig::host::sweep
