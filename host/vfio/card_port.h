// The transport between the VFIO backend (VfioDevice) and an irqrig card: config and BAR0 access,
// the DMA buffer the card writes into, the kernel's side of MSI/MSI-X, and timed interrupt arrivals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace irqrig::host::vfio {

/// Which capability the kernel (the owner of the real MSI/MSI-X programming) has enabled.
enum class CardIrqMode { kNone, kMsi, kMsix };

/// One interrupt that reached the rig. `count` > 1: the kernel signalled the vector's eventfd that
/// often before the rig read it.
struct CardArrival {
  unsigned vector = 0;        ///< MSI message number, or MSI-X table entry
  std::uint64_t count = 1;
  std::uint64_t time_ps = 0;  ///< the card's clock (the port's now_ps) when it was seen
  CardIrqMode mode = CardIrqMode::kMsix;  ///< the setting it arrived under
};

/// A card as the host sees it through VFIO. Time is the port's own clock in picoseconds since it
/// opened: CLOCK_MONOTONIC for a real card, the RTL's clock for the loopback.
class CardPort {
 public:
  virtual ~CardPort() = default;

  /// Names the card in messages: its PCI address, or "loopback".
  virtual const std::string& name() const = 0;
  /// The Requester ID the card's writes carry (bus << 8 | device << 3 | function).
  virtual std::uint16_t requester_id() const = 0;

  /// Configuration space: accesses of 1, 2 or 4 bytes, naturally aligned.
  virtual std::uint32_t config_read(std::uint16_t offset, unsigned size) = 0;
  virtual void config_write(std::uint16_t offset, std::uint32_t value, unsigned size) = 0;
  /// BAR0: accesses of 1, 2, 4 or 8 bytes.
  virtual std::uint64_t bar_read(std::uint64_t offset, unsigned size) = 0;
  virtual void bar_write(std::uint64_t offset, std::uint64_t value, unsigned size) = 0;

  /// Host memory the card may write, at I/O virtual address dma_iova(); the card writes it
  /// behind the rig's back, so readers load from it with acquire ordering.
  virtual std::span<std::byte> dma() = 0;
  virtual std::uint64_t dma_iova() const = 0;

  /// What the kernel does for VFIO_DEVICE_SET_IRQS: programs the card's real MSI-X table or MSI
  /// capability with its own addresses for `count` vectors, one eventfd each, and enables the
  /// capability; kNone disables both. Arrivals of the previous setting are kept.
  virtual void set_irqs(CardIrqMode mode, unsigned count) = 0;
  virtual CardIrqMode irq_mode() const = 0;

  /// The card's clock now.
  virtual std::uint64_t now_ps() = 0;
  /// Lets the card run until its clock reaches `time_ps` (a real card: waits for the wall clock)
  /// and appends every arrival seen up to then, in time order; each has time_ps <= now_ps().
  virtual void run_until(std::uint64_t time_ps, std::vector<CardArrival>& arrivals) = 0;
};

}  // namespace irqrig::host::vfio
