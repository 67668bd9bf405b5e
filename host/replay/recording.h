// A recording of what a device sent a host during one run (docs/replay.md): a versioned JSON Lines
// file with a header, the interrupt arrivals with the ring records before each, and read answers.
#pragma once

#include <array>
#include <cstdint>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace irqrig::host::replay {

/// The format version this library writes and the only one it reads.
inline constexpr int kRecordingVersion = 1;

/// The reader's bounds (docs/replay.md): a file at most this large (a recording of the stock default
/// scenario, 10 000 events, is 1.7 MB) ...
inline constexpr std::uint64_t kMaxRecordingBytes = std::uint64_t{1} << 30;
/// ... a line at most this long (an arrival after a drained ring of 65 536 records is about 5 MB) ...
inline constexpr std::size_t kMaxLineBytes = std::size_t{16} << 20;
/// ... and times at most this far (about 53 days): the host model counts picoseconds in 64 bits and
/// adds a run's margins to a recording's times, so a time near 2^64 would wrap.
inline constexpr std::uint64_t kMaxRecordingPs = std::uint64_t{1} << 62;

/// A bad recording: bad input, as a bad scenario is (the CLI's exit 2). what() is one line:
/// "FILE:LINE: problem" (no line when the file itself is the problem, e.g. it cannot be opened).
/// A writer's failures are not bad recordings: a write that fails is std::runtime_error, a write
/// after the end (a bug) std::logic_error.
class RecordingError : public std::invalid_argument {
 public:
  RecordingError(std::string file, std::size_t line, const std::string& problem);
  const std::string& file() const { return file_; }
  std::size_t line() const { return line_; }

 private:
  std::string file_;
  std::size_t line_;
};

/// What was recorded: enough to run the same scenario again (its text and overrides) and to check
/// the arrivals against it.
struct RecordingHeader {
  std::string target;         ///< the recorded run's --target (sim, vfio:BDF, ...) or the guest's name
  std::string scenario_name;  ///< the report's `scenario`
  std::string scenario_file;  ///< the path it was loaded from (names messages, gives the default name)
  std::string scenario_text;  ///< the YAML as read; empty when the recorder had none (a guest program)
  std::vector<std::string> overrides;  ///< --set KEY=VALUE, in order
  std::uint64_t seed = 1;              ///< after --seed
  std::string driver;                  ///< reference, mutant:NAME or a plug-in path
  std::string mode = "msix";           ///< msix | msi
  unsigned vectors = 1;                ///< messages granted: every recorded message is below it
  std::uint32_t ring_entries = 0;      ///< the ring the driver programmed, 0 when unknown
  std::uint64_t cycle_ps = 4000;       ///< the device clock (record timestamps count its cycles)
  std::uint64_t start_ps = 0;          ///< device time when recording began
  /// How long after the host posts a write the device acts on it (a mask that comes too late for
  /// a message already on its way); 0 when unknown.
  std::uint64_t posted_write_ps = 0;
};

/// One ring record as the card DMA'd it: DW0 seq, DW1 {16'h0001, vector}, DW2/DW3 timestamp.
struct RingRecord {
  std::uint64_t time_ps = 0;           ///< when the record write left the device
  std::uint64_t producer_time_ps = 0;  ///< when the producer index write behind it left (>= time_ps)
  std::array<std::uint32_t, 4> dw{};
};

/// A device-to-host write the recorder could not name (not a ring record, not a producer index
/// write, not a message of a programmed vector): replayed byte for byte.
struct RawWrite {
  std::uint64_t address = 0;
  std::vector<std::uint32_t> data;
  std::uint8_t first_be = 0xF, last_be = 0;
};

/// One host access the device answered, with how long the answer took in device time.
struct Access {
  enum class Kind : std::uint8_t { kConfigRead, kConfigWrite, kBarRead, kBarWrite };
  Kind kind = Kind::kBarRead;
  unsigned bar = 0;
  std::uint64_t offset = 0;
  unsigned size = 4;
  std::uint64_t value = 0;      ///< reads: what the device answered
  std::uint64_t latency_ps = 0; ///< device time the access took
};

/// One line of the body, in the order the device sent things (times never go back).
struct Entry {
  enum class Kind : std::uint8_t { kArrival, kRecords, kRaw, kAccess };
  Kind kind = Kind::kArrival;
  std::uint64_t time_ps = 0;            ///< the message's (kArrival), the access's start, ...
  std::optional<unsigned> message;      ///< kArrival: the device's message number
  std::vector<RingRecord> records;      ///< kArrival: records written since the previous arrival; kRecords: records no message followed
  RawWrite raw;                         ///< kRaw
  Access access;                        ///< kAccess
};

/// A whole recording read into memory.
struct Recording {
  RecordingHeader header;
  std::vector<Entry> entries;
  std::uint64_t end_ps = 0;  ///< device time when recording ended
  std::uint64_t arrivals() const;
  std::uint64_t records() const;
  /// The highest message number an arrival names, or none without arrivals.
  std::optional<unsigned> highest_message() const;
};

/// Writes a recording line by line as the run goes; close() writes the end line of a complete run,
/// abort() (or the destructor of a writer never closed) one marked "aborted": a recording of a run
/// that failed on its target is refused by the reader rather than replayed as if the device had
/// sent nothing more. A write that fails throws std::runtime_error naming the file.
class RecordingWriter {
 public:
  /// Opens (truncates) `path` and writes the header. Throws std::invalid_argument when it cannot
  /// be opened: a bad --record path is refused before the run.
  RecordingWriter(const std::string& path, const RecordingHeader& header);
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  /// The ring records written since the last arrival, then the message at `time_ps`.
  void arrival(std::uint64_t time_ps, unsigned message, const std::vector<RingRecord>& records);
  /// Records no message followed (written before a raw write, or at the end).
  void records(std::uint64_t time_ps, const std::vector<RingRecord>& records);
  void raw(std::uint64_t time_ps, const RawWrite& write);
  void access(std::uint64_t time_ps, const Access& access);
  /// Writes the end line and closes; later calls (and abort()) do nothing.
  void close(std::uint64_t end_ps);
  /// Writes an end line marking the recording aborted for `reason` (the run failed) and closes;
  /// later calls (and close()) do nothing.
  void abort(std::uint64_t end_ps, const std::string& reason);
  const std::string& path() const { return path_; }

 private:
  void line(const std::string& text);
  void end(std::uint64_t end_ps, const std::string* aborted);

  std::string path_;
  std::ofstream out_;
  bool closed_ = false;
  std::uint64_t last_ps_ = 0, arrivals_ = 0, records_ = 0;
};

/// Reads and checks a whole recording. Throws RecordingError (file:line and what is wrong) for a
/// file that cannot be read, another version, a truncated file, times that go back, a message or
/// record vector at or above the header's `vectors`, or a malformed line.
Recording read_recording(const std::string& path);

/// The same from text in memory; `name` stands for the file in messages.
Recording parse_recording(const std::string& text, const std::string& name);

const char* access_kind_name(Access::Kind kind);

}  // namespace irqrig::host::replay
