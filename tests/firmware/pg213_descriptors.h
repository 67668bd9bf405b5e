// Descriptors of the UltraScale+ PCIe hard IP's 128-bit AXI4-Stream interfaces (PG213, DWORD-
// aligned, no straddling), built and read from the guide's field tables for the firmware tests.
#pragma once

#include <cstdint>
#include <vector>

namespace irqrig::firmware_test {

using Dws = std::vector<std::uint32_t>;

/// One 128-bit beat of an IP stream: 4 DWs, keep per DW, last, user bits.
struct Beat {
  std::uint32_t dw[4] = {0, 0, 0, 0};
  unsigned keep = 0xF;
  bool last = false;
  std::uint64_t user = 0;  // CQ: first BE 3:0, last BE 7:4; RQ: the same; CC: 0
};

// ---- PG213 descriptors ----------------------------------------------------------------------

struct CqReq {
  std::uint64_t addr = 0;
  unsigned count = 1;  // DWs
  unsigned rtype = 0;  // 0 MemRd, 1 MemWr, 2 IORd, 3 IOWr, 4 FetchAdd, 7 MemRdLk, 12 Msg
  std::uint16_t rid = 0x0100;
  std::uint8_t tag = 0;
  unsigned bar_aperture = 16;
  unsigned tc = 0, attr = 0;
  unsigned first_be = 0xF, last_be = 0;
  Dws payload;
};

inline std::vector<Beat> CqBeats(const CqReq& r) {
  Beat d;
  d.dw[0] = static_cast<std::uint32_t>(r.addr) & ~3u;
  d.dw[1] = static_cast<std::uint32_t>(r.addr >> 32);
  d.dw[2] = (r.count & 0x7FF) | (r.rtype & 0xF) << 11 | std::uint32_t{r.rid} << 16;
  d.dw[3] = r.tag | 0u << 8 | 0u << 16 | (r.bar_aperture & 0x3F) << 19 | (r.tc & 7) << 25 | (r.attr & 7) << 28;
  d.user = (r.first_be & 0xF) | (r.last_be & 0xF) << 4 | std::uint64_t{1} << 40;  // sop
  std::vector<Beat> beats{d};
  for (std::size_t i = 0; i < r.payload.size(); i += 4) {
    Beat b;
    b.keep = 0;
    for (std::size_t j = 0; j < 4 && i + j < r.payload.size(); ++j) {
      b.dw[j] = r.payload[i + j];
      b.keep |= 1u << j;
    }
    beats.push_back(b);
  }
  beats.back().last = true;
  return beats;
}

/// A CC descriptor's fields.
struct CcDesc {
  unsigned lower, byte_count, count, status, tag, tc, attr;
  std::uint16_t rid;
  bool id_enable;
};
inline CcDesc DecodeCc(const Beat& b) {
  return {b.dw[0] & 0x7F,         (b.dw[0] >> 16) & 0x1FFF, b.dw[1] & 0x7FF,        (b.dw[1] >> 11) & 7,
          b.dw[2] & 0xFF,         (b.dw[2] >> 25) & 7,      (b.dw[2] >> 28) & 7,    static_cast<std::uint16_t>(b.dw[1] >> 16),
          ((b.dw[2] >> 24) & 1) != 0};
}
/// An RQ descriptor's fields.
struct RqDesc {
  std::uint64_t addr;
  unsigned count, rtype, tag, tc, attr;
  bool rid_enable;
};
inline RqDesc DecodeRq(const Beat& b) {
  return {(std::uint64_t{b.dw[1]} << 32) | (b.dw[0] & ~3u), b.dw[2] & 0x7FF, (b.dw[2] >> 11) & 0xF, b.dw[3] & 0xFF,
          (b.dw[3] >> 25) & 7, (b.dw[3] >> 28) & 7, ((b.dw[3] >> 24) & 1) != 0};
}
/// The DWs a packet carries after its descriptor (n descriptor DWs in the first beat).
inline Dws PayloadAfter(const std::vector<Beat>& pkt, unsigned n) {
  Dws out;
  for (std::size_t i = 0; i < pkt.size(); ++i) {
    for (unsigned j = i == 0 ? n : 0; j < 4; ++j) {
      if (pkt[i].keep >> j & 1) out.push_back(pkt[i].dw[j]);
    }
  }
  return out;
}

}  // namespace irqrig::firmware_test
