#include "host/replay/recording.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

namespace irqrig::host::replay {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Messages are put together with streams, not {fmt}: the statically linked guest program of the
// VM test links this library, and Debian ships {fmt} as a shared library only.
/// "{}" in `pattern` replaced by the arguments in order, "{{" and "}}" by braces.
template <typename... Args>
std::string say(std::string_view pattern, const Args&... args) {
  std::ostringstream out;
  std::size_t i = 0;
  auto copy_to_hole = [&]() -> bool {
    while (i < pattern.size()) {
      if (pattern.compare(i, 2, "{}") == 0) {
        i += 2;
        return true;
      }
      if (pattern.compare(i, 2, "{{") == 0 || pattern.compare(i, 2, "}}") == 0) ++i;
      out << pattern[i++];
    }
    return false;
  };
  ((copy_to_hole() ? static_cast<void>(out << args) : static_cast<void>(0)), ...);
  copy_to_hole();
  return out.str();
}

std::string hex8(std::uint32_t v) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setw(8) << std::setfill('0') << v;
  return out.str();
}

constexpr const char* kKinds[] = {"config_read", "config_write", "bar_read", "bar_write"};

/// Reads one line's fields with the line's number in every complaint.
class LineReader {
 public:
  LineReader(const std::string& file, std::size_t line) : file_(file), line_(line) {}

  [[noreturn]] void fail(const std::string& what) const { throw RecordingError(file_, line_, what); }

  const json& field(const json& j, const char* key) const {
    const auto it = j.find(key);
    if (it == j.end()) fail(say("'{}' is missing", key));
    return *it;
  }
  std::uint64_t u64(const json& j, const char* key) const {
    const json& v = field(j, key);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
      fail(say("'{}' is {}, not a non-negative integer", key, v.dump()));
    return v.get<std::uint64_t>();
  }
  /// A device time in picoseconds, within what the host model can simulate.
  std::uint64_t time(const json& j, const char* key) const { return bounded(u64(j, key), key); }
  std::uint64_t bounded(std::uint64_t ps, const char* what) const {
    if (ps > kMaxRecordingPs)
      fail(say("'{}' is {} ps, beyond the {} ps (about 53 days) the host model can simulate", what, ps,
               kMaxRecordingPs));
    return ps;
  }
  std::uint32_t u32(const json& j, const char* key) const {
    const std::uint64_t v = u64(j, key);
    if (v > 0xFFFFFFFFu) fail(say("'{}' is {}, more than 32 bits", key, v));
    return static_cast<std::uint32_t>(v);
  }
  std::string str(const json& j, const char* key) const {
    const json& v = field(j, key);
    if (!v.is_string()) fail(say("'{}' is {}, not a string", key, v.dump()));
    return v.get<std::string>();
  }
  std::uint32_t element(const json& v, const char* what) const {
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 0xFFFFFFFFu)
      fail(say("{} {} is not a 32-bit unsigned integer", what, v.dump()));
    return v.get<std::uint32_t>();
  }
  std::uint64_t element64(const json& v, const char* what) const {
    if (!v.is_number_unsigned()) fail(say("{} {} is not a non-negative integer", what, v.dump()));
    return v.get<std::uint64_t>();
  }

 private:
  const std::string& file_;
  std::size_t line_;
};

ordered_json record_json(const RingRecord& r) {
  return ordered_json::array({r.time_ps, r.producer_time_ps, r.dw[0], r.dw[1], r.dw[2], r.dw[3]});
}

}  // namespace

RecordingError::RecordingError(std::string file, std::size_t line, const std::string& problem)
    : std::invalid_argument(line ? say("{}:{}: {}", file, line, problem) : say("{}: {}", file, problem)),
      file_(std::move(file)),
      line_(line) {}

const char* access_kind_name(Access::Kind kind) { return kKinds[static_cast<int>(kind)]; }

std::uint64_t Recording::arrivals() const {
  return static_cast<std::uint64_t>(
      std::count_if(entries.begin(), entries.end(), [](const Entry& e) { return e.kind == Entry::Kind::kArrival; }));
}

std::uint64_t Recording::records() const {
  std::uint64_t n = 0;
  for (const Entry& e : entries) n += e.records.size();
  return n;
}

std::optional<unsigned> Recording::highest_message() const {
  std::optional<unsigned> high;
  for (const Entry& e : entries)
    if (e.message && (!high || *e.message > *high)) high = e.message;
  return high;
}

// ---------------------------------------------------------------------------------------------
// Writer

RecordingWriter::RecordingWriter(const std::string& path, const RecordingHeader& h)
    : path_(path), out_(path, std::ios::trunc | std::ios::binary), last_ps_(h.start_ps) {
  if (!out_) throw std::invalid_argument(say("--record {}: cannot open for writing", path));
  ordered_json j;
  j["irqrig_recording"] = kRecordingVersion;
  j["target"] = h.target;
  j["scenario"] = {{"name", h.scenario_name}, {"file", h.scenario_file}, {"text", h.scenario_text},
                   {"overrides", h.overrides}};
  j["seed"] = h.seed;
  j["driver"] = h.driver;
  j["mode"] = h.mode;
  j["vectors"] = h.vectors;
  j["ring_entries"] = h.ring_entries;
  j["cycle_ps"] = h.cycle_ps;
  j["start_ps"] = h.start_ps;
  j["posted_write_ps"] = h.posted_write_ps;
  line(j.dump());
}

RecordingWriter::~RecordingWriter() {
  try {
    // Never closed: the program stopped (an exception, most likely) before the recording's end.
    abort(last_ps_, "the recording was never closed: the recording program stopped before its end");
  } catch (const std::exception& e) {
    // A destructor must not throw; the reader will call the file truncated.
    std::fprintf(stderr, "irqrig: %s\n", e.what());
  }
}

void RecordingWriter::line(const std::string& text) {
  if (closed_) throw std::logic_error(say("recording {} written after its end", path_));
  out_ << text << '\n';
  if (!out_) throw std::runtime_error(say("recording {}: write failed", path_));
}

void RecordingWriter::arrival(std::uint64_t time_ps, unsigned message, const std::vector<RingRecord>& records) {
  ordered_json j{{"t", time_ps}, {"message", message}};
  if (!records.empty()) {
    ordered_json rs = ordered_json::array();
    for (const RingRecord& r : records) rs.push_back(record_json(r));
    j["records"] = std::move(rs);
  }
  line(j.dump());
  last_ps_ = std::max(last_ps_, time_ps);
  ++arrivals_;
  records_ += records.size();
}

void RecordingWriter::records(std::uint64_t time_ps, const std::vector<RingRecord>& records) {
  if (records.empty()) return;
  ordered_json rs = ordered_json::array();
  for (const RingRecord& r : records) rs.push_back(record_json(r));
  line(ordered_json{{"t", time_ps}, {"records", std::move(rs)}}.dump());
  last_ps_ = std::max(last_ps_, time_ps);
  records_ += records.size();
}

void RecordingWriter::raw(std::uint64_t time_ps, const RawWrite& w) {
  line(ordered_json{{"t", time_ps},
                    {"raw", {{"address", w.address}, {"data", w.data}, {"first_be", w.first_be}, {"last_be", w.last_be}}}}
           .dump());
  last_ps_ = std::max(last_ps_, time_ps);
}

void RecordingWriter::access(std::uint64_t time_ps, const Access& a) {
  ordered_json j{{"t", time_ps}, {"access", access_kind_name(a.kind)}};
  if (a.kind == Access::Kind::kBarRead || a.kind == Access::Kind::kBarWrite) j["bar"] = a.bar;
  j["offset"] = a.offset;
  j["size"] = a.size;
  if (a.kind == Access::Kind::kBarRead || a.kind == Access::Kind::kConfigRead) j["value"] = a.value;
  j["latency_ps"] = a.latency_ps;
  line(j.dump());
  last_ps_ = std::max(last_ps_, time_ps);
}

void RecordingWriter::close(std::uint64_t end_ps) { end(end_ps, nullptr); }

void RecordingWriter::abort(std::uint64_t end_ps, const std::string& reason) { end(end_ps, &reason); }

void RecordingWriter::end(std::uint64_t end_ps, const std::string* aborted) {
  if (closed_) return;
  ordered_json e{{"t", std::max(end_ps, last_ps_)}, {"arrivals", arrivals_}, {"records", records_}};
  if (aborted) e["aborted"] = aborted->empty() ? std::string("the run failed") : *aborted;
  line(ordered_json{{"end", std::move(e)}}.dump());
  closed_ = true;
  out_.flush();
  if (!out_) throw std::runtime_error(say("recording {}: write failed", path_));
  out_.close();
}

// ---------------------------------------------------------------------------------------------
// Reader

Recording read_recording(const std::string& path) {
  // Only a regular file of bounded size: a device (/dev/zero) or a pipe would be read forever.
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) throw RecordingError(path, 0, "cannot open for reading");
  if (std::filesystem::is_directory(st)) throw RecordingError(path, 0, "is a directory, not a recording");
  if (!std::filesystem::is_regular_file(st))
    throw RecordingError(path, 0, "not a regular file (a recording is a file, not a device or a pipe)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RecordingError(path, 0, "cannot open for reading");
  const auto too_large = [&] {
    return RecordingError(path, 0, say("larger than the {} bytes (1 GiB) a recording may be", kMaxRecordingBytes));
  };
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxRecordingBytes) throw too_large();
  std::string text;
  if (!ec) text.reserve(static_cast<std::size_t>(size));
  // Read in chunks up to the limit: the file may grow while it is read.
  std::array<char, 1 << 16> chunk;
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxRecordingBytes) throw too_large();
  }
  if (in.bad()) throw RecordingError(path, 0, "read failed");
  return parse_recording(text, path);
}

Recording parse_recording(const std::string& text, const std::string& name) {
  Recording rec;
  RecordingHeader& h = rec.header;
  std::size_t number = 0, start = 0;
  bool have_header = false, ended = false;
  std::uint64_t last_ps = 0, last_record_ps = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    const bool complete = end != std::string::npos;
    if (!complete) end = text.size();
    const std::string_view view(text.data() + start, end - start);
    start = end + 1;
    ++number;
    const LineReader r(name, number);
    if (view.size() > kMaxLineBytes)
      r.fail(say("a line of {} bytes: longer than the {} (16 MiB) a line may be", view.size(), kMaxLineBytes));
    if (!complete) r.fail("truncated: the last line has no end (the recording was cut off)");
    if (ended) r.fail("a line after the end line");
    json j;
    try {
      j = json::parse(view);
    } catch (const json::parse_error& e) {
      r.fail(say("not JSON: {}", e.what()));
    }
    if (!j.is_object()) r.fail("a line is one JSON object");

    if (!have_header) {
      if (!j.contains("irqrig_recording")) r.fail("not an irqrig recording (the first line has no 'irqrig_recording')");
      const std::uint64_t version = r.u64(j, "irqrig_recording");
      if (version != kRecordingVersion)
        r.fail(say("recording version {}; this irqrig reads version {}", version, kRecordingVersion));
      h.target = r.str(j, "target");
      const json& s = r.field(j, "scenario");
      if (!s.is_object()) r.fail("'scenario' is not an object");
      h.scenario_name = r.str(s, "name");
      h.scenario_file = r.str(s, "file");
      h.scenario_text = r.str(s, "text");
      const json& o = r.field(s, "overrides");
      if (!o.is_array()) r.fail("'overrides' is not an array");
      for (const json& x : o) {
        if (!x.is_string()) r.fail(say("override {} is not a string", x.dump()));
        h.overrides.push_back(x.get<std::string>());
      }
      h.seed = r.u64(j, "seed");
      h.driver = r.str(j, "driver");
      h.mode = r.str(j, "mode");
      if (h.mode != "msix" && h.mode != "msi") r.fail(say("mode '{}': msix or msi", h.mode));
      const std::uint64_t vectors = r.u64(j, "vectors");
      if (vectors < 1 || vectors > 2048) r.fail(say("vectors {}: 1 to 2048", vectors));
      h.vectors = static_cast<unsigned>(vectors);
      h.ring_entries = r.u32(j, "ring_entries");
      h.cycle_ps = r.u64(j, "cycle_ps");
      if (h.cycle_ps == 0) r.fail("cycle_ps 0: the device clock has a length");
      h.start_ps = r.time(j, "start_ps");
      h.posted_write_ps = r.time(j, "posted_write_ps");
      last_ps = last_record_ps = h.start_ps;
      have_header = true;
      continue;
    }

    if (j.contains("end")) {
      const json& e = j["end"];
      if (!e.is_object()) r.fail("'end' is not an object");
      rec.end_ps = r.time(e, "t");
      if (rec.end_ps < last_ps) r.fail(say("the end at {} ps is before the last line's {} ps", rec.end_ps, last_ps));
      const std::uint64_t arrivals = r.u64(e, "arrivals"), records = r.u64(e, "records");
      if (arrivals != rec.arrivals() || records != rec.records())
        r.fail(say("the end line counts {} arrivals and {} records, the file holds {} and {}", arrivals,
                           records, rec.arrivals(), rec.records()));
      if (e.contains("aborted")) {
        const std::string why = r.str(e, "aborted");
        r.fail(say("the recorded run failed ({}): the recording stops where the run did, and a replay would "
                   "take what the device never got to send for the driver's loss",
                   why));
      }
      ended = true;
      continue;
    }

    Entry entry;
    entry.time_ps = r.time(j, "t");
    if (entry.time_ps < last_ps)
      r.fail(say("time goes back: {} ps after {} ps (times never decrease)", entry.time_ps, last_ps));
    last_ps = entry.time_ps;
    if (j.contains("message") || j.contains("records")) {
      entry.kind = j.contains("message") ? Entry::Kind::kArrival : Entry::Kind::kRecords;
      if (entry.kind == Entry::Kind::kArrival) {
        const std::uint64_t m = r.u64(j, "message");
        if (m >= h.vectors) r.fail(say("message {} is out of range: the recording has {} vectors", m, h.vectors));
        entry.message = static_cast<unsigned>(m);
      }
      if (j.contains("records")) {
        const json& rs = j["records"];
        if (!rs.is_array()) r.fail("'records' is not an array");
        for (std::size_t i = 0; i < rs.size(); ++i) {
          const json& x = rs[i];
          if (!x.is_array() || x.size() != 6)
            r.fail(say("record {} is {}, not [t, producer_t, dw0, dw1, dw2, dw3]", i, x.dump()));
          RingRecord rr;
          rr.time_ps = r.bounded(r.element64(x[0], "a record's time"), "a record's time");
          rr.producer_time_ps = r.bounded(r.element64(x[1], "a record's producer time"), "a record's producer time");
          for (unsigned d = 0; d < 4; ++d) rr.dw[d] = r.element(x[2 + d], "a record DW");
          if (rr.time_ps < last_record_ps)
            r.fail(say("record {}: time goes back: {} ps after the previous record's {} ps", i, rr.time_ps,
                               last_record_ps));
          if (rr.time_ps > entry.time_ps || rr.producer_time_ps < rr.time_ps)
            r.fail(say("record {}: written at {} ps, its producer index at {} ps, its line at {} ps: a record "
                               "comes before its producer write and its message",
                               i, rr.time_ps, rr.producer_time_ps, entry.time_ps));
          if (rr.dw[1] >> 16 != 1)
            r.fail(say("record {}: DW1 {} is not {{16'h0001, vector}}: a bad record", i, hex8(rr.dw[1])));
          if ((rr.dw[1] & 0xFFFFu) >= h.vectors)
            r.fail(say("record {}: vector {} is out of range: the recording has {} vectors", i,
                               rr.dw[1] & 0xFFFFu, h.vectors));
          last_record_ps = rr.time_ps;
          entry.records.push_back(rr);
        }
      }
      if (entry.kind == Entry::Kind::kRecords && entry.records.empty()) r.fail("a records line without records");
    } else if (j.contains("raw")) {
      entry.kind = Entry::Kind::kRaw;
      const json& w = j["raw"];
      if (!w.is_object()) r.fail("'raw' is not an object");
      entry.raw.address = r.u64(w, "address");
      const json& d = r.field(w, "data");
      if (!d.is_array() || d.empty()) r.fail("a raw write's 'data' is a non-empty array of DWs");
      for (const json& x : d) entry.raw.data.push_back(r.element(x, "a raw write's DW"));
      const std::uint32_t fbe = r.u32(w, "first_be"), lbe = r.u32(w, "last_be");
      if (fbe > 0xF || lbe > 0xF) r.fail("byte enables are 4 bits");
      entry.raw.first_be = static_cast<std::uint8_t>(fbe);
      entry.raw.last_be = static_cast<std::uint8_t>(lbe);
    } else if (j.contains("access")) {
      entry.kind = Entry::Kind::kAccess;
      const std::string kind = r.str(j, "access");
      const auto it = std::find(std::begin(kKinds), std::end(kKinds), kind);
      if (it == std::end(kKinds)) r.fail(say("access '{}': config_read, config_write, bar_read or bar_write", kind));
      Access& a = entry.access;
      a.kind = static_cast<Access::Kind>(it - std::begin(kKinds));
      const bool bar = a.kind == Access::Kind::kBarRead || a.kind == Access::Kind::kBarWrite;
      if (bar) a.bar = r.u32(j, "bar");
      a.offset = r.u64(j, "offset");
      a.size = r.u32(j, "size");
      if (a.size != 1 && a.size != 2 && a.size != 4 && a.size != 8) r.fail(say("access size {}: 1, 2, 4 or 8", a.size));
      if (a.kind == Access::Kind::kBarRead || a.kind == Access::Kind::kConfigRead) a.value = r.u64(j, "value");
      a.latency_ps = r.time(j, "latency_ps");
    } else {
      r.fail("a line that is none of: arrival (message), records, raw, access, end");
    }
    rec.entries.push_back(std::move(entry));
  }
  if (!have_header) throw RecordingError(name, 0, "empty: no header line");
  if (!ended) throw RecordingError(name, number, "truncated: no end line (the recording was cut off)");
  return rec;
}

}  // namespace irqrig::host::replay
