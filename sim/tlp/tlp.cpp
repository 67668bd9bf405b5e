#include "sim/tlp/tlp.h"

#include <bit>

#include <fmt/format.h>

namespace irqrig::sim {
namespace {

// Fmt[2:0] and Type[4:0] of PCIe Base Spec table 2-3.
constexpr std::uint32_t kFmt3dwNoData = 0b000, kFmt4dwNoData = 0b001, kFmt3dwData = 0b010,
                        kFmt4dwData = 0b011;
constexpr std::uint32_t kTypeMem = 0b00000, kTypeCfg0 = 0b00100, kTypeCpl = 0b01010;

std::uint32_t fmt_type(const Tlp& t) {
  switch (t.kind) {
    case TlpKind::kMemRd: return (t.addr64 ? kFmt4dwNoData : kFmt3dwNoData) << 5 | kTypeMem;
    case TlpKind::kMemWr: return (t.addr64 ? kFmt4dwData : kFmt3dwData) << 5 | kTypeMem;
    case TlpKind::kCfgRd0: return kFmt3dwNoData << 5 | kTypeCfg0;
    case TlpKind::kCfgWr0: return kFmt3dwData << 5 | kTypeCfg0;
    case TlpKind::kCpl: return kFmt3dwNoData << 5 | kTypeCpl;
    case TlpKind::kCplD: return kFmt3dwData << 5 | kTypeCpl;
  }
  throw TlpError("unknown TLP kind");
}

const char* kind_name(TlpKind k) {
  switch (k) {
    case TlpKind::kMemRd: return "MemRd";
    case TlpKind::kMemWr: return "MemWr";
    case TlpKind::kCfgRd0: return "CfgRd0";
    case TlpKind::kCfgWr0: return "CfgWr0";
    case TlpKind::kCpl: return "Cpl";
    case TlpKind::kCplD: return "CplD";
  }
  return "?";
}

}  // namespace

unsigned header_dws(const Tlp& t) {
  return (t.kind == TlpKind::kMemRd || t.kind == TlpKind::kMemWr) && t.addr64 ? 4 : 3;
}

void encode_into(const Tlp& t, std::vector<std::uint32_t>& out) {
  if (t.has_data() && t.payload.size() != t.length_dw)
    throw TlpError(fmt::format("{}: Length {} but {} payload DWs", kind_name(t.kind), t.length_dw,
                               t.payload.size()));
  // A Cpl carries no data and its Length field is reserved (0).
  const bool no_len = t.kind == TlpKind::kCpl;
  if (!no_len && (t.length_dw == 0 || t.length_dw > 1024))
    throw TlpError(fmt::format("Length {} out of 1..1024", t.length_dw));
  const std::uint32_t len = no_len ? 0 : (t.length_dw & 0x3FF);  // 1024 encodes as 0
  out.push_back(fmt_type(t) << 24 | std::uint32_t{t.tc & 7u} << 20 | std::uint32_t{t.attr & 3u} << 12 | len);
  switch (t.kind) {
    case TlpKind::kMemRd:
    case TlpKind::kMemWr:
      if (t.address & 3) throw TlpError(fmt::format("address {:#x} is not DW-aligned", t.address));
      if (!t.addr64 && t.address > 0xFFFFFFFFu)
        throw TlpError(fmt::format("address {:#x} needs a 4DW header", t.address));
      out.push_back(std::uint32_t{t.requester_id} << 16 | std::uint32_t{t.tag} << 8 |
                    std::uint32_t(t.last_be & 0xF) << 4 | (t.first_be & 0xFu));
      if (t.addr64) out.push_back(static_cast<std::uint32_t>(t.address >> 32));
      out.push_back(static_cast<std::uint32_t>(t.address) & ~3u);
      break;
    case TlpKind::kCfgRd0:
    case TlpKind::kCfgWr0:
      if (t.address > 0xFFF || (t.address & 3))
        throw TlpError(fmt::format("config offset {:#x} out of 0..0xFFC or unaligned", t.address));
      if (t.length_dw != 1) throw TlpError("config requests carry exactly 1 DW");
      out.push_back(std::uint32_t{t.requester_id} << 16 | std::uint32_t{t.tag} << 8 | (t.first_be & 0xFu));
      out.push_back(std::uint32_t{t.target_id} << 16 | static_cast<std::uint32_t>(t.address & 0xFFC));
      break;
    case TlpKind::kCpl:
    case TlpKind::kCplD:
      out.push_back(std::uint32_t{t.completer_id} << 16 | std::uint32_t(static_cast<std::uint8_t>(t.status) & 7u) << 13 |
                    std::uint32_t{t.bcm} << 12 | (t.byte_count & 0xFFFu));
      out.push_back(std::uint32_t{t.requester_id} << 16 | std::uint32_t{t.tag} << 8 | (t.lower_address & 0x7Fu));
      break;
  }
  if (t.has_data()) out.insert(out.end(), t.payload.begin(), t.payload.end());
}

std::vector<std::uint32_t> encode(const Tlp& t) {
  std::vector<std::uint32_t> out;
  out.reserve(4 + t.payload.size());
  encode_into(t, out);
  return out;
}

Tlp decode(std::span<const std::uint32_t> dws) {
  if (dws.size() < 3) throw TlpError(fmt::format("TLP of {} DWs is shorter than a 3DW header", dws.size()));
  Tlp t;
  const std::uint32_t dw0 = dws[0];
  const std::uint32_t fmt = dw0 >> 29, type = (dw0 >> 24) & 0x1F;
  t.tc = (dw0 >> 20) & 7;
  t.attr = (dw0 >> 12) & 3;
  t.length_dw = (dw0 & 0x3FF) ? (dw0 & 0x3FF) : 1024;
  const bool data = fmt & 0b010;
  if (type == kTypeMem && fmt <= kFmt4dwData) {
    t.kind = data ? TlpKind::kMemWr : TlpKind::kMemRd;
    t.addr64 = fmt & 1;
  } else if (type == kTypeCfg0 && (fmt == kFmt3dwNoData || fmt == kFmt3dwData)) {
    t.kind = data ? TlpKind::kCfgWr0 : TlpKind::kCfgRd0;
  } else if (type == kTypeCpl && (fmt == kFmt3dwNoData || fmt == kFmt3dwData)) {
    t.kind = data ? TlpKind::kCplD : TlpKind::kCpl;
  } else {
    throw TlpError(fmt::format("DW0 {:#010x}: Fmt {:#05b} Type {:#07b} is not a TLP the rig speaks", dw0, fmt, type));
  }
  if (t.kind == TlpKind::kCpl) t.length_dw = 0;
  const unsigned hdr = header_dws(t);
  const std::size_t want = hdr + (data ? t.length_dw : 0);
  if (dws.size() != want)
    throw TlpError(fmt::format("{} with Length {} needs {} DWs, got {}", kind_name(t.kind), t.length_dw, want,
                               dws.size()));
  switch (t.kind) {
    case TlpKind::kMemRd:
    case TlpKind::kMemWr:
      t.requester_id = dws[1] >> 16;
      t.tag = (dws[1] >> 8) & 0xFF;
      t.last_be = (dws[1] >> 4) & 0xF;
      t.first_be = dws[1] & 0xF;
      t.address = t.addr64 ? (std::uint64_t{dws[2]} << 32 | (dws[3] & ~3u)) : (dws[2] & ~3u);
      break;
    case TlpKind::kCfgRd0:
    case TlpKind::kCfgWr0:
      t.requester_id = dws[1] >> 16;
      t.tag = (dws[1] >> 8) & 0xFF;
      t.first_be = dws[1] & 0xF;
      t.last_be = (dws[1] >> 4) & 0xF;
      t.target_id = dws[2] >> 16;
      t.address = dws[2] & 0xFFC;
      if (t.length_dw != 1) throw TlpError(fmt::format("{} with Length {}, must be 1", kind_name(t.kind), t.length_dw));
      break;
    case TlpKind::kCpl:
    case TlpKind::kCplD:
      t.completer_id = dws[1] >> 16;
      t.status = static_cast<CplStatus>((dws[1] >> 13) & 7);
      t.bcm = (dws[1] >> 12) & 1;
      t.byte_count = dws[1] & 0xFFF;
      t.requester_id = dws[2] >> 16;
      t.tag = (dws[2] >> 8) & 0xFF;
      t.lower_address = dws[2] & 0x7F;
      break;
  }
  if (data) t.payload.assign(dws.begin() + hdr, dws.end());
  return t;
}

std::vector<std::uint8_t> to_wire(std::span<const std::uint32_t> dws, const Tlp& t) {
  std::vector<std::uint8_t> out;
  out.reserve(dws.size() * 4);
  const unsigned hdr = header_dws(t);
  for (std::size_t i = 0; i < dws.size(); ++i) {
    const std::uint32_t v = dws[i];
    if (i < hdr) {
      for (int b = 3; b >= 0; --b) out.push_back(static_cast<std::uint8_t>(v >> (8 * b)));
    } else {
      for (int b = 0; b < 4; ++b) out.push_back(static_cast<std::uint8_t>(v >> (8 * b)));
    }
  }
  return out;
}

std::vector<std::uint8_t> to_wire(const Tlp& t) {
  const auto dws = encode(t);
  return to_wire(dws, t);
}

std::uint16_t read_byte_count(std::uint16_t length_dw, std::uint8_t first_be, std::uint8_t last_be) {
  // PCIe Base Spec 2.3.1.1: count from the first enabled byte of the first DW to the last enabled
  // byte of the last DW; a 1-DW read with no enables still counts 1.
  if (length_dw == 1) {
    if ((first_be & 0xF) == 0) return 1;
    const int lo = std::countr_zero(static_cast<unsigned>(first_be & 0xF));
    const int hi = 31 - std::countl_zero(static_cast<unsigned>(first_be & 0xF));
    return static_cast<std::uint16_t>(hi - lo + 1);
  }
  const int lead = (first_be & 0xF) ? std::countr_zero(static_cast<unsigned>(first_be & 0xF)) : 4;
  const int trail = (last_be & 0xF) ? 3 - (31 - std::countl_zero(static_cast<unsigned>(last_be & 0xF))) : 4;
  return static_cast<std::uint16_t>(length_dw * 4 - lead - trail);
}

std::uint8_t read_lower_address(std::uint64_t address, std::uint8_t first_be) {
  const unsigned lead = (first_be & 0xF) ? std::countr_zero(static_cast<unsigned>(first_be & 0xF)) : 0;
  return static_cast<std::uint8_t>(((address & 0x7C) | lead) & 0x7F);
}

Tlp make_mem_read(std::uint64_t address, std::uint16_t length_dw, std::uint16_t requester_id, std::uint8_t tag,
                  std::uint8_t first_be, std::uint8_t last_be) {
  Tlp t;
  t.kind = TlpKind::kMemRd;
  t.addr64 = address > 0xFFFFFFFFu;
  t.address = address;
  t.length_dw = length_dw;
  t.requester_id = requester_id;
  t.tag = tag;
  t.first_be = first_be;
  t.last_be = length_dw > 1 ? (last_be ? last_be : 0xF) : 0;
  return t;
}

Tlp make_mem_write(std::uint64_t address, std::vector<std::uint32_t> payload, std::uint16_t requester_id,
                   std::uint8_t first_be, std::uint8_t last_be) {
  Tlp t;
  t.kind = TlpKind::kMemWr;
  t.addr64 = address > 0xFFFFFFFFu;
  t.address = address;
  t.length_dw = static_cast<std::uint16_t>(payload.size());
  t.requester_id = requester_id;
  t.first_be = first_be;
  t.last_be = payload.size() > 1 ? (last_be ? last_be : 0xF) : 0;
  t.payload = std::move(payload);
  return t;
}

Tlp make_cfg_read(std::uint16_t target_id, std::uint16_t offset, std::uint16_t requester_id, std::uint8_t tag,
                  std::uint8_t first_be) {
  Tlp t;
  t.kind = TlpKind::kCfgRd0;
  t.target_id = target_id;
  t.address = offset;
  t.requester_id = requester_id;
  t.tag = tag;
  t.first_be = first_be;
  return t;
}

Tlp make_cfg_write(std::uint16_t target_id, std::uint16_t offset, std::uint32_t value, std::uint16_t requester_id,
                   std::uint8_t tag, std::uint8_t first_be) {
  Tlp t = make_cfg_read(target_id, offset, requester_id, tag, first_be);
  t.kind = TlpKind::kCfgWr0;
  t.payload = {value};
  return t;
}

std::string to_string(const Tlp& t) {
  switch (t.kind) {
    case TlpKind::kMemRd:
    case TlpKind::kMemWr:
      return fmt::format("{} addr={:#x} len={} req={:04x} tag={} be={:x}/{:x}", kind_name(t.kind), t.address,
                         t.length_dw, t.requester_id, t.tag, t.first_be, t.last_be);
    case TlpKind::kCfgRd0:
    case TlpKind::kCfgWr0:
      return fmt::format("{} target={:04x} reg={:#x} req={:04x} tag={} be={:x}", kind_name(t.kind), t.target_id,
                         t.address, t.requester_id, t.tag, t.first_be);
    case TlpKind::kCpl:
    case TlpKind::kCplD:
      return fmt::format("{} cpl={:04x} status={} bc={} req={:04x} tag={} la={:#x} len={}", kind_name(t.kind),
                         t.completer_id, static_cast<int>(t.status), t.byte_count, t.requester_id, t.tag,
                         t.lower_address, t.length_dw);
  }
  return "?";
}

}  // namespace irqrig::sim
