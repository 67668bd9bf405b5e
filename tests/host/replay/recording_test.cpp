// The recording format (docs/replay.md): what the writer writes the reader reads back, and the
// reader refuses every bad file with its line and what is wrong.
#include "host/replay/recording.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace irqrig::host::replay {
namespace {

std::string temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("irqrig_recording_test_" + std::to_string(getpid()) + "_" + name))
      .string();
}

RecordingHeader header() {
  RecordingHeader h;
  h.target = "sim";
  h.scenario_name = "tiny";
  h.scenario_file = "tiny.yaml";
  h.scenario_text = "name: tiny\n";
  h.overrides = {"host.cpus=2"};
  h.seed = 7;
  h.driver = "reference";
  h.mode = "msix";
  h.vectors = 4;
  h.ring_entries = 16;
  h.cycle_ps = 4000;
  h.start_ps = 1000;
  return h;
}

RingRecord record(std::uint64_t t, std::uint32_t seq, std::uint32_t vector) {
  return RingRecord{t, t + 8000, {seq, 0x10000u | vector, static_cast<std::uint32_t>(t / 4000), 0}};
}

/// A small valid recording's text, written by the writer.
std::string valid_text() {
  const std::string path = temp("valid.jsonl");
  {
    RecordingWriter w(path, header());
    w.access(2000, Access{Access::Kind::kBarRead, 0, 0x58, 4, 0, 24000});
    w.arrival(40000, 1, {record(20000, 0, 1), record(24000, 1, 1)});
    w.raw(50000, RawWrite{0x1000, {1, 2}, 0xF, 0x3});
    w.arrival(60000, 3, {});
    w.records(90000, {record(80000, 2, 2)});
    w.close(100000);
  }
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  return text;
}

/// The text with line `n` (1-based) replaced.
std::string with_line(const std::string& text, std::size_t n, const std::string& line) {
  std::string out;
  std::size_t start = 0, number = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    ++number;
    out += number == n ? line : text.substr(start, end - start);
    out += '\n';
    start = end + 1;
  }
  return out;
}

std::string error_of(const std::string& text) {
  try {
    parse_recording(text, "rec.jsonl");
  } catch (const RecordingError& e) {
    return e.what();
  }
  return "";
}

TEST(Recording, WhatIsWrittenIsReadBack) {
  const Recording r = parse_recording(valid_text(), "rec.jsonl");
  EXPECT_EQ(r.header.target, "sim");
  EXPECT_EQ(r.header.scenario_name, "tiny");
  EXPECT_EQ(r.header.scenario_text, "name: tiny\n");
  ASSERT_EQ(r.header.overrides.size(), 1u);
  EXPECT_EQ(r.header.seed, 7u);
  EXPECT_EQ(r.header.vectors, 4u);
  EXPECT_EQ(r.header.ring_entries, 16u);
  EXPECT_EQ(r.header.start_ps, 1000u);
  ASSERT_EQ(r.entries.size(), 5u);
  EXPECT_EQ(r.entries[0].kind, Entry::Kind::kAccess);
  EXPECT_EQ(r.entries[0].access.offset, 0x58u);
  EXPECT_EQ(r.entries[0].access.latency_ps, 24000u);
  EXPECT_EQ(r.entries[1].kind, Entry::Kind::kArrival);
  EXPECT_EQ(*r.entries[1].message, 1u);
  ASSERT_EQ(r.entries[1].records.size(), 2u);
  EXPECT_EQ(r.entries[1].records[1].dw[0], 1u);
  EXPECT_EQ(r.entries[1].records[1].producer_time_ps, 32000u);
  EXPECT_EQ(r.entries[2].kind, Entry::Kind::kRaw);
  EXPECT_EQ(r.entries[2].raw.data.size(), 2u);
  EXPECT_EQ(r.entries[2].raw.last_be, 0x3);
  EXPECT_EQ(r.entries[3].records.size(), 0u);
  EXPECT_EQ(r.entries[4].kind, Entry::Kind::kRecords);
  EXPECT_FALSE(r.entries[4].message);
  EXPECT_EQ(r.end_ps, 100000u);
  EXPECT_EQ(r.arrivals(), 2u);
  EXPECT_EQ(r.records(), 3u);
  EXPECT_EQ(*r.highest_message(), 3u);
}

TEST(Recording, AnotherVersionIsRefusedNamingBoth) {
  const std::string text = valid_text();
  std::string first = text.substr(0, text.find('\n'));
  first.replace(first.find("\"irqrig_recording\":1"), 20, "\"irqrig_recording\":2");
  EXPECT_EQ(error_of(with_line(text, 1, first)), "rec.jsonl:1: recording version 2; this irqrig reads version 1");
}

TEST(Recording, ATruncatedFileIsRefused) {
  const std::string text = valid_text();
  // Cut inside the last line: no newline at its end.
  EXPECT_EQ(error_of(text.substr(0, text.size() - 5)),
            "rec.jsonl:7: truncated: the last line has no end (the recording was cut off)");
  // Cut at a line boundary: the end line is missing.
  const std::string without_end = text.substr(0, text.rfind('\n', text.size() - 2) + 1);
  EXPECT_EQ(error_of(without_end), "rec.jsonl:6: truncated: no end line (the recording was cut off)");
  EXPECT_EQ(error_of(""), "rec.jsonl: empty: no header line");
}

TEST(Recording, TimeGoingBackIsRefused) {
  const std::string e = error_of(with_line(valid_text(), 5, R"({"t":45000,"message":3})"));
  EXPECT_EQ(e, "rec.jsonl:5: time goes back: 45000 ps after 50000 ps (times never decrease)");
  // Records keep their order too.
  const std::string r = error_of(with_line(valid_text(), 6, R"({"t":90000,"records":[[10000,10000,2,65538,2,0]]})"));
  EXPECT_NE(r.find("rec.jsonl:6: record 0: time goes back"), std::string::npos) << r;
}

TEST(Recording, AVectorOutOfRangeIsRefused) {
  EXPECT_EQ(error_of(with_line(valid_text(), 5, R"({"t":60000,"message":4})")),
            "rec.jsonl:5: message 4 is out of range: the recording has 4 vectors");
  EXPECT_EQ(error_of(with_line(valid_text(), 6, R"({"t":90000,"records":[[80000,88000,2,65545,20,0]]})")),
            "rec.jsonl:6: record 0: vector 9 is out of range: the recording has 4 vectors");
}

TEST(Recording, ABadRecordIsRefused) {
  // DW1's upper half is the record's type, 16'h0001.
  EXPECT_EQ(error_of(with_line(valid_text(), 6, R"({"t":90000,"records":[[80000,88000,2,2,20,0]]})")),
            "rec.jsonl:6: record 0: DW1 0x00000002 is not {16'h0001, vector}: a bad record");
  EXPECT_EQ(error_of(with_line(valid_text(), 6, R"({"t":90000,"records":[[80000,88000,2,65538]]})")),
            "rec.jsonl:6: record 0 is [80000,88000,2,65538], not [t, producer_t, dw0, dw1, dw2, dw3]");
  EXPECT_EQ(error_of(with_line(valid_text(), 6, R"({"t":90000,"records":[[80000,88000,4294967296,65538,0,0]]})")),
            "rec.jsonl:6: a record DW 4294967296 is not a 32-bit unsigned integer");
  // A record after its message's time, or its producer write before it.
  const std::string late = error_of(with_line(valid_text(), 6, R"({"t":90000,"records":[[95000,95000,2,65538,0,0]]})"));
  EXPECT_NE(late.find("a record comes before its producer write and its message"), std::string::npos) << late;
}

TEST(Recording, MalformedLinesAreRefusedWithTheirLine) {
  const std::string text = valid_text();
  EXPECT_NE(error_of(with_line(text, 3, "{not json")).find("rec.jsonl:3: not JSON"), std::string::npos);
  EXPECT_EQ(error_of(with_line(text, 3, "[1,2]")), "rec.jsonl:3: a line is one JSON object");
  EXPECT_EQ(error_of(with_line(text, 3, R"({"t":40000})")),
            "rec.jsonl:3: a line that is none of: arrival (message), records, raw, access, end");
  EXPECT_EQ(error_of(with_line(text, 3, R"({"message":1})")), "rec.jsonl:3: 't' is missing");
  EXPECT_EQ(error_of(with_line(text, 3, R"({"t":-5,"message":1})")),
            "rec.jsonl:3: 't' is -5, not a non-negative integer");
  EXPECT_EQ(error_of(with_line(text, 1, R"({"hello":1})")),
            "rec.jsonl:1: not an irqrig recording (the first line has no 'irqrig_recording')");
  EXPECT_EQ(error_of(text + "{\"t\":1}\n"), "rec.jsonl:8: a line after the end line");
  EXPECT_EQ(error_of(with_line(text, 7, R"({"end":{"t":100000,"arrivals":3,"records":3}})")),
            "rec.jsonl:7: the end line counts 3 arrivals and 3 records, the file holds 2 and 3");
}

// A recording of a run that failed on its target is not the device's whole story: a writer
// destroyed unclosed (an exception unwinding) or aborted marks its end line, and the reader refuses it.
TEST(Recording, ARecordingOfAFailedRunIsRefused) {
  const std::string path = temp("aborted.jsonl");
  try {
    RecordingWriter w(path, header());
    w.arrival(40000, 1, {record(20000, 0, 1)});
    throw std::runtime_error("the target died");
  } catch (const std::runtime_error&) {
  }
  std::ifstream in(path);
  const std::string unwound((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(unwound.find(R"("aborted":"the recording was never closed)"), std::string::npos) << unwound;
  EXPECT_NE(error_of(unwound).find("rec.jsonl:3: the recorded run failed (the recording was never closed"),
            std::string::npos)
      << error_of(unwound);
  {
    RecordingWriter w(path, header());
    w.abort(50000, "target failed: connection reset");
    w.close(60000);  // does nothing: the recording is already ended
  }
  std::ifstream again(path);
  const std::string aborted((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  EXPECT_EQ(error_of(aborted).rfind("rec.jsonl:2: the recorded run failed (target failed: connection reset): ", 0), 0u)
      << error_of(aborted);
  std::filesystem::remove(path);
}

TEST(Recording, TimesBeyondWhatTheHostModelSimulatesAreRefused) {
  const std::string text = valid_text();
  EXPECT_EQ(error_of(with_line(text, 7, R"({"end":{"t":18446744073709551615,"arrivals":2,"records":3}})")),
            "rec.jsonl:7: 't' is 18446744073709551615 ps, beyond the 4611686018427387904 ps (about 53 days) the "
            "host model can simulate");
  const std::string record =
      error_of(with_line(text, 6, R"({"t":90000,"records":[[80000,4611686018427387905,2,65538,0,0]]})"));
  EXPECT_NE(record.find("rec.jsonl:6: 'a record's producer time' is 4611686018427387905 ps, beyond"), std::string::npos)
      << record;
}

TEST(Recording, ALineLongerThanTheBoundIsRefused) {
  const std::string text = valid_text();
  const std::string e = error_of(with_line(text, 3, std::string(kMaxLineBytes + 1, ' ')));
  EXPECT_EQ(e.rfind("rec.jsonl:3: a line of 16777217 bytes: longer than", 0), 0u) << e;
}

TEST(Recording, OnlyARegularFileIsRead) {
  auto error_reading = [](const std::string& path) -> std::string {
    try {
      read_recording(path);
    } catch (const RecordingError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error_reading("/dev/zero"), "/dev/zero: not a regular file (a recording is a file, not a device or a pipe)");
  const std::string dir = temp("dir");
  std::filesystem::create_directory(dir);
  EXPECT_EQ(error_reading(dir), dir + ": is a directory, not a recording");
  std::filesystem::remove(dir);
}

TEST(Recording, AFileThatCannotBeReadOrWrittenIsNamed) {
  try {
    read_recording("/nonexistent/rec.jsonl");
    FAIL() << "read a file that is not there";
  } catch (const RecordingError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/rec.jsonl: cannot open for reading");
  }
  EXPECT_THROW(RecordingWriter("/nonexistent/dir/rec.jsonl", header()), std::invalid_argument);
}

}  // namespace
}  // namespace irqrig::host::replay
