// PCIe Transaction Layer Packets as the rig's device boundary carries them.
// Encodes and decodes the TLP kinds the endpoint speaks, to DW beats and to wire bytes.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace irqrig::sim {

enum class TlpKind : std::uint8_t { kMemRd, kMemWr, kCfgRd0, kCfgWr0, kCpl, kCplD };

enum class CplStatus : std::uint8_t { kSuccess = 0, kUnsupported = 1, kConfigRetry = 2, kAbort = 4 };

/// A malformed TLP: the message says which field and why.
class TlpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One TLP, header fields decoded. Payload DWs are little-endian: the byte at the lowest address
/// is bits 7:0, as the endpoint's streams carry them.
struct Tlp {
  TlpKind kind = TlpKind::kMemWr;
  bool addr64 = false;          ///< Mem requests: 4DW header
  std::uint8_t tc = 0;
  std::uint8_t attr = 0;
  std::uint16_t requester_id = 0;
  std::uint8_t tag = 0;
  std::uint8_t first_be = 0xF;
  std::uint8_t last_be = 0;
  std::uint16_t length_dw = 1;  ///< requests: DWs asked for or carried; completions: DWs carried
  std::uint64_t address = 0;    ///< Mem: byte address (DW-aligned); Cfg: register byte offset 0..4095
  std::uint16_t target_id = 0;  ///< Cfg: bus/device/function addressed
  std::uint16_t completer_id = 0;
  CplStatus status = CplStatus::kSuccess;
  bool bcm = false;
  std::uint16_t byte_count = 0;  ///< Cpl/CplD: remaining bytes, 0 encodes 4096
  std::uint8_t lower_address = 0;
  std::vector<std::uint32_t> payload;

  bool has_data() const {
    return kind == TlpKind::kMemWr || kind == TlpKind::kCfgWr0 || kind == TlpKind::kCplD;
  }
  bool operator==(const Tlp&) const = default;
};

/// Header DW count of a TLP (3 or 4).
unsigned header_dws(const Tlp& tlp);

/// The TLP as stream beats: header DWs as numbers, then the payload.
std::vector<std::uint32_t> encode(const Tlp& tlp);
void encode_into(const Tlp& tlp, std::vector<std::uint32_t>& out);

/// Parses stream beats; throws TlpError naming the field on anything the rig does not speak.
Tlp decode(std::span<const std::uint32_t> dws);

/// Wire byte order of the PCIe spec: header DWs big-endian, payload bytes in address order.
std::vector<std::uint8_t> to_wire(std::span<const std::uint32_t> dws, const Tlp& tlp);
std::vector<std::uint8_t> to_wire(const Tlp& tlp);

/// Bytes a MemRd with these enables and length asks for (the Byte Count of its first completion).
std::uint16_t read_byte_count(std::uint16_t length_dw, std::uint8_t first_be, std::uint8_t last_be);
/// Lower Address field of the completion for a read at this address with this first BE.
std::uint8_t read_lower_address(std::uint64_t address, std::uint8_t first_be);

// Convenience constructors for the requests the host side issues.
Tlp make_mem_read(std::uint64_t address, std::uint16_t length_dw, std::uint16_t requester_id,
                  std::uint8_t tag, std::uint8_t first_be = 0xF, std::uint8_t last_be = 0);
Tlp make_mem_write(std::uint64_t address, std::vector<std::uint32_t> payload, std::uint16_t requester_id,
                   std::uint8_t first_be = 0xF, std::uint8_t last_be = 0);
Tlp make_cfg_read(std::uint16_t target_id, std::uint16_t offset, std::uint16_t requester_id, std::uint8_t tag,
                  std::uint8_t first_be = 0xF);
Tlp make_cfg_write(std::uint16_t target_id, std::uint16_t offset, std::uint32_t value,
                   std::uint16_t requester_id, std::uint8_t tag, std::uint8_t first_be = 0xF);

std::string to_string(const Tlp& tlp);

}  // namespace irqrig::sim
