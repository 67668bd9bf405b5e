// What a running sweep shows: on a terminal one progress line redrawn in place (done/total, failed,
// points/s, ETA); elsewhere (a log, CI) one plain line per finished point; or nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace irqrig::host::sweep {

enum class ProgressMode { kBar, kLines, kQuiet };

/// The bar's text: "[#####.....] 12/40 points, 1 failed, 3.2 points/s, ETA 0:09" (no ETA before the
/// first point, so no rate, is known).
std::string progress_line(std::size_t done, std::size_t total, std::size_t failed, double seconds);

/// "1:05", "1:02:03".
std::string format_duration(double seconds);

class Progress {
 public:
  /// `total` points are to run now (those already done are not counted).
  Progress(ProgressMode mode, std::size_t total, std::FILE* out);

  /// A point ended: `ok` passed; `status` says how it ended ("ok", "FAILED: exactly_once", ...).
  void point_done(bool ok, std::string_view id, std::string_view label, std::string_view status);

  /// Ends the bar's line so what follows starts on its own.
  void finish();
  /// Whether a write failed (the reader of a pipe went away, EPIPE): nothing more is written.
  bool closed() const { return closed_; }

 private:
  ProgressMode mode_;
  std::size_t total_;
  std::FILE* out_;
  std::size_t done_ = 0, failed_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool drawn_ = false;
  bool closed_ = false;

  void write(std::string_view text);
};

}  // namespace irqrig::host::sweep
