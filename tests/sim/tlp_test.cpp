// Codec checks against byte patterns worked out by hand from the PCIe Base Spec header layouts.
#include "sim/tlp/tlp.h"

#include <gtest/gtest.h>

namespace irqrig::sim {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(Tlp, MemWr3dwIsAnMsiToTheApicWindow) {
  // Fmt 010 Type 00000 Length 1 -> 40 00 00 01; req 01:00.0, tag 0, BE 0/F -> 01 00 00 0F;
  // address FEE00000; payload 0x4925 in address order -> 25 49 00 00.
  const Tlp t = make_mem_write(0xFEE00000, {0x00004925}, 0x0100);
  EXPECT_EQ(to_wire(t), (Bytes{0x40, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x0F, 0xFE, 0xE0, 0x00, 0x00, 0x25, 0x49,
                               0x00, 0x00}));
  EXPECT_EQ(encode(t), (std::vector<std::uint32_t>{0x40000001, 0x0100000F, 0xFEE00000, 0x00004925}));
}

TEST(Tlp, MemWr4dwCarriesTheHighAddressFirst) {
  // Fmt 011 -> 0x60; Length 4; req 02:03.1 = 0x0219; last BE F, first BE F -> FF.
  const Tlp t = make_mem_write(0x0000000123456780ull, {0x11111111, 0x22222222, 0x33333333, 0x44444444}, 0x0219);
  EXPECT_TRUE(t.addr64);
  EXPECT_EQ(to_wire(t), (Bytes{0x60, 0x00, 0x00, 0x04, 0x02, 0x19, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x23, 0x45,
                               0x67, 0x80, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x33, 0x33, 0x33, 0x33,
                               0x44, 0x44, 0x44, 0x44}));
}

TEST(Tlp, MemRd3dwWithTagAndEnables) {
  // Fmt 000 Type 0 Length 2 -> 00 00 00 02; req 0000, tag 0x2A, last BE 3, first BE C -> 00 00 2A 3C.
  const Tlp t = make_mem_read(0xF0000058, 2, 0x0000, 0x2A, 0xC, 0x3);
  EXPECT_EQ(to_wire(t), (Bytes{0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x2A, 0x3C, 0xF0, 0x00, 0x00, 0x58}));
}

TEST(Tlp, MemRd4dw) {
  const Tlp t = make_mem_read(0x100000000ull, 1, 0x0008, 7);
  EXPECT_EQ(to_wire(t), (Bytes{0x20, 0x00, 0x00, 0x01, 0x00, 0x08, 0x07, 0x0F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                               0x00, 0x00}));
}

TEST(Tlp, CplDWithByteCountAndLowerAddress) {
  // Fmt 010 Type 01010 -> 0x4A; completer 01:00.0, status SC, byte count 4 -> 01 00 00 04;
  // requester 0000, tag 5, lower address 0x58 -> 00 00 05 58.
  Tlp t;
  t.kind = TlpKind::kCplD;
  t.completer_id = 0x0100;
  t.byte_count = 4;
  t.tag = 5;
  t.lower_address = 0x58;
  t.payload = {0xDEADBEEF};
  EXPECT_EQ(to_wire(t), (Bytes{0x4A, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x04, 0x00, 0x00, 0x05, 0x58, 0xEF, 0xBE,
                               0xAD, 0xDE}));
}

TEST(Tlp, CplWithUnsupportedRequestStatus) {
  // Fmt 000 Type 01010 -> 0x0A, Length reserved 0; status UR (001) -> bits 15:13 = 0x2000.
  Tlp t;
  t.kind = TlpKind::kCpl;
  t.length_dw = 0;
  t.completer_id = 0x0100;
  t.status = CplStatus::kUnsupported;
  t.byte_count = 4;
  t.tag = 9;
  EXPECT_EQ(to_wire(t), (Bytes{0x0A, 0x00, 0x00, 0x00, 0x01, 0x00, 0x20, 0x04, 0x00, 0x00, 0x09, 0x00}));
  EXPECT_EQ(decode(encode(t)), t);
}

TEST(Tlp, CfgRd0AndCfgWr0) {
  // CfgRd0: Fmt 000 Type 00100 -> 0x04; target bus 1 dev 0 fn 0, register 0x40 -> 01 00 00 40.
  EXPECT_EQ(to_wire(make_cfg_read(0x0100, 0x40, 0x0000, 1)),
            (Bytes{0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x0F, 0x01, 0x00, 0x00, 0x40}));
  // CfgWr0 of Message Control's upper half: first BE C; Fmt 010 -> 0x44.
  EXPECT_EQ(to_wire(make_cfg_write(0x0100, 0x40, 0x80000000, 0x0000, 2, 0xC)),
            (Bytes{0x44, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x0C, 0x01, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,
                   0x80}));
}

TEST(Tlp, RoundTripsEveryKind) {
  for (const Tlp& t : {make_mem_write(0xFEE01000, {1}, 0x100), make_mem_write(0x1'0000'0040, {1, 2, 3, 4}, 0x100),
                       make_mem_read(0x40, 3, 0x100, 200, 0xE, 0x1), make_cfg_read(0x0208, 0xFFC, 0, 3),
                       make_cfg_write(0x0208, 0x10, 0xFFFFFFFF, 0, 4)}) {
    EXPECT_EQ(decode(encode(t)), t) << to_string(t);
  }
}

TEST(Tlp, ByteCountAndLowerAddressFollowTheEnables) {
  EXPECT_EQ(read_byte_count(1, 0xF, 0), 4);
  EXPECT_EQ(read_byte_count(1, 0x6, 0), 2);
  EXPECT_EQ(read_byte_count(1, 0x0, 0), 1);
  EXPECT_EQ(read_byte_count(2, 0xC, 0x3), 4);
  EXPECT_EQ(read_byte_count(4, 0xF, 0x1), 13);
  EXPECT_EQ(read_lower_address(0xF0000058, 0xF), 0x58);
  EXPECT_EQ(read_lower_address(0xF0000058, 0xC), 0x5A);
}

TEST(Tlp, RejectsWhatItDoesNotSpeak) {
  EXPECT_THROW(decode(std::vector<std::uint32_t>{0x40000001, 0}), TlpError);                    // short
  EXPECT_THROW(decode(std::vector<std::uint32_t>{0x40000002, 0, 0, 1}), TlpError);              // payload short
  EXPECT_THROW(decode(std::vector<std::uint32_t>{0x30000001, 0, 0}), TlpError);                 // Msg type
  EXPECT_THROW(decode(std::vector<std::uint32_t>{0x04000002, 0, 0}), TlpError);                 // cfg length 2
  EXPECT_THROW(encode(make_mem_write(0x1002, {1}, 0)), TlpError);                               // unaligned
  Tlp bad = make_mem_write(0x1000, {1, 2}, 0);
  bad.length_dw = 3;
  EXPECT_THROW(encode(bad), TlpError);
}

}  // namespace
}  // namespace irqrig::sim
