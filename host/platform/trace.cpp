#include "host/platform/trace.h"

#include <fmt/format.h>

namespace irqrig::host {
namespace {

// Trace-event timestamps are microseconds; picoseconds keep their full precision as a fraction.
double micros(std::uint64_t ps) { return static_cast<double>(ps) / 1e6; }

}  // namespace

TraceWriter::TraceWriter(const std::string& path) : out_(path, std::ios::out | std::ios::trunc), path_(path) {
  if (!out_) throw TraceError(fmt::format("--trace {}: cannot create the file", path));
  out_ << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  write(nlohmann::ordered_json{{"name", "process_name"}, {"ph", "M"}, {"pid", 0}, {"tid", 0},
                               {"args", {{"name", "irqrig host"}}}});
}

TraceWriter::~TraceWriter() { finish(); }

void TraceWriter::write(const nlohmann::ordered_json& event) {
  if (finished_ || error_) return;  // after a failure every later write fails the same way
  if (events_) out_ << ",\n";
  out_ << event.dump();
  ++events_;
  if (!out_) {
    error_ = fmt::format("--trace {}: write failed", path_);
    if (!keep_errors_) throw TraceError(*error_);
  }
}

void TraceWriter::name_track(unsigned cpu, std::string_view name) {
  write(nlohmann::ordered_json{{"name", "thread_name"}, {"ph", "M"}, {"pid", 0}, {"tid", cpu},
                               {"args", {{"name", name}}}});
  write(nlohmann::ordered_json{{"name", "thread_sort_index"}, {"ph", "M"}, {"pid", 0}, {"tid", cpu},
                               {"args", {{"sort_index", cpu}}}});
}

void TraceWriter::slice(unsigned cpu, std::string_view name, std::uint64_t start_ps, std::uint64_t duration_ps,
                        nlohmann::ordered_json args) {
  write(nlohmann::ordered_json{{"name", name},     {"cat", "host"}, {"ph", "X"},
                               {"ts", micros(start_ps)}, {"dur", micros(duration_ps)},
                               {"pid", 0},         {"tid", cpu},    {"args", std::move(args)}});
}

void TraceWriter::instant(unsigned cpu, std::string_view name, std::uint64_t at_ps, nlohmann::ordered_json args) {
  write(nlohmann::ordered_json{{"name", name}, {"cat", "host"}, {"ph", "i"}, {"s", "t"}, {"ts", micros(at_ps)},
                               {"pid", 0},     {"tid", cpu},    {"args", std::move(args)}});
}

void TraceWriter::global_instant(std::string_view name, std::uint64_t at_ps, nlohmann::ordered_json args) {
  write(nlohmann::ordered_json{{"name", name}, {"cat", "check"}, {"ph", "i"}, {"s", "g"}, {"ts", micros(at_ps)},
                               {"pid", 0},     {"tid", 0},        {"args", std::move(args)}});
}

void TraceWriter::finish() {
  if (finished_) return;
  finished_ = true;
  out_ << "\n]}\n";
  out_.flush();
}

}  // namespace irqrig::host
