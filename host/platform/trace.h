// The Chrome trace-event timeline of a run (DESIGN.md "--trace"): one track per CPU with ISR, DPC and IPI
// slices, MSI arrivals as instants. Streamed to a file as it happens, so memory stays flat.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace irqrig::host {

/// The trace file could not be written.
class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TraceWriter {
 public:
  /// Creates (truncates) `path`; throws TraceError when it cannot.
  explicit TraceWriter(const std::string& path);
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  /// Names the track of CPU `cpu` ("CPU 3"), in order.
  void name_track(unsigned cpu, std::string_view name);
  /// A finished slice on `cpu`'s track: `name` from `start_ps` for `duration_ps`. Slices on one
  /// track nest (an ISR inside the DPC it preempted), as Chrome's complete events ("X") allow.
  void slice(unsigned cpu, std::string_view name, std::uint64_t start_ps, std::uint64_t duration_ps,
             nlohmann::ordered_json args);
  /// A moment on `cpu`'s track ("i", thread scope), e.g. an MSI arriving at its local APIC.
  void instant(unsigned cpu, std::string_view name, std::uint64_t at_ps, nlohmann::ordered_json args);
  /// A moment that belongs to no CPU ("i", global scope): a failed check found outside any CPU.
  void global_instant(std::string_view name, std::uint64_t at_ps, nlohmann::ordered_json args);
  /// Closes the JSON document; later events are dropped. Idempotent; the destructor calls it.
  void finish();
  /// From now on a failed write is kept in error() instead of thrown: for the teardown, where
  /// nothing would catch it (and an exception across SystemC's coroutine stacks confuses ASan).
  void keep_errors() { keep_errors_ = true; }
  /// The first write that failed; every later write is dropped.
  const std::optional<std::string>& error() const { return error_; }
  std::uint64_t events() const { return events_; }

 private:
  void write(const nlohmann::ordered_json& event);

  std::ofstream out_;
  std::string path_;
  std::uint64_t events_ = 0;
  bool finished_ = false;
  bool keep_errors_ = false;
  std::optional<std::string> error_;
};

}  // namespace irqrig::host
