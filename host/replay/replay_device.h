// The replay backend (`irqrig run --replay FILE`): a sim::Device that plays a recording's records,
// interrupts and read answers into the host model at their recorded times, deterministically.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <tuple>

#include "host/platform/synthetic_device.h"
#include "host/replay/recording.h"
#include "sim/device/device.h"

namespace irqrig::host::replay {

class ReplayDevice final : public sim::Device {
 public:
  /// Schedules the whole recording. `table_size`: MSI-X table entries the host may program (at
  /// least every recorded message's number; the scenario's vectors).
  ReplayDevice(const Recording& recording, unsigned table_size);
  ~ReplayDevice() override;

  /// Reads answer with the recorded value and take the recorded time when the same access was
  /// recorded at this device time (an identical host); otherwise the model answers (the records
  /// replayed so far, the table as programmed) after the access's usual recorded time.
  std::uint32_t config_read(std::uint16_t offset) override;
  void config_write(std::uint16_t offset, std::uint32_t value, std::uint8_t byte_enable = 0xF) override;
  std::uint64_t bar_read(unsigned bar, std::uint64_t offset, unsigned size) override;
  void bar_write(unsigned bar, std::uint64_t offset, std::uint64_t value, unsigned size) override;
  void advance_to(std::uint64_t time_ps) override;
  std::uint64_t now_ps() const override { return model_.now_ps(); }
  std::uint64_t cycle_ps() const override { return model_.cycle_ps(); }
  std::uint64_t cycles() const override { return model_.cycles(); }

  /// Reads answered from the recording, and by the model.
  std::uint64_t recorded_answers() const { return recorded_answers_; }
  std::uint64_t model_answers() const { return model_answers_; }

 private:
  using Key = std::tuple<std::uint64_t, Access::Kind, unsigned, std::uint64_t, unsigned>;  // time, kind, bar, offset, size
  /// The recorded access matching this one at the current device time, consumed.
  std::optional<Access> take(Access::Kind kind, unsigned bar, std::uint64_t offset, unsigned size);
  /// Runs the device for as long as the access took.
  void pass(const std::optional<Access>& recorded, Access::Kind kind);

  /// Runs the model to `time_ps`, posted writes taking effect at their times on the way.
  void advance(std::uint64_t time_ps);
  /// Posted writes still in flight take effect now (a read's completion never passes them).
  void apply_posted();

  struct PostedWrite {
    std::uint64_t at_ps;
    unsigned bar;
    std::uint64_t offset, value;
    unsigned size;
  };
  host::SyntheticDevice model_;
  std::uint64_t posted_write_ps_;
  std::deque<PostedWrite> posted_;
  std::multimap<Key, Access> accesses_;
  std::uint64_t usual_latency_ps_[4] = {};  // per Access::Kind: the most frequent recorded latency
  std::uint64_t recorded_answers_ = 0, model_answers_ = 0;
};

}  // namespace irqrig::host::replay
