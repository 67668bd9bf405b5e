// The wire protocol between a testbench and `irqrig serve`: one header of packed, fixed-size
// messages (SimBricks style), each with a type and a timestamp; interrupts are messages of their own.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace irqrig::sim::proto {

static_assert(std::endian::native == std::endian::little, "the wire is little-endian and so must the host be");

/// Bumped on any change to a message's layout or meaning; the handshake refuses a mismatch.
inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::uint32_t kMagic = 0x52515249;  // "IRQR" in little-endian bytes
/// Every message on the wire is exactly this long: a reader never parses a length.
inline constexpr std::size_t kMessageSize = 128;
/// DWs one DmaWrite carries; a longer device write continues in the next (Header::kContinued).
inline constexpr std::size_t kMaxDmaDws = 16;
/// The longest device write a peer may send (continued DmaWrites): PCIe's largest payload, 4 KiB.
inline constexpr std::size_t kMaxWriteDws = 1024;
inline constexpr std::size_t kTokenSize = 64;
inline constexpr std::size_t kTextSize = 104;

enum class Type : std::uint8_t {
  kHello = 1,           ///< client -> server: the first message of a connection
  kHelloAck = 2,        ///< server -> client: accepted, and what the device is
  kConfigRead = 3,      ///< client -> server; answered by kConfigReadDone
  kConfigReadDone = 4,
  kConfigWrite = 5,     ///< client -> server, posted
  kBarRead = 6,         ///< client -> server; answered by kBarReadDone
  kBarReadDone = 7,
  kBarWrite = 8,        ///< client -> server, posted
  kAdvance = 9,         ///< client -> server: run the device to Header::time_ps; kAdvanced ends the answer
  kAdvanced = 10,       ///< server -> client, after every kDmaWrite/kInterrupt up to that time
  kDmaWrite = 11,       ///< server -> client: a device write into host memory
  kInterrupt = 12,      ///< server -> client: an MSI/MSI-X write, or a real card's message
  kError = 13,          ///< either way: the sender gives up on this connection, saying why
  kGoodbye = 14,        ///< client -> server: done; the device is freed for the next client
};

/// A valid type byte, for the decoder.
constexpr bool known_type(std::uint8_t t) { return t >= 1 && t <= 14; }

#pragma pack(push, 1)

struct Header {
  static constexpr std::uint8_t kContinued = 0x01;  ///< kDmaWrite: the same write goes on in the next message
  Type type;
  std::uint8_t flags;
  std::uint16_t reserved;  ///< 0
  std::uint32_t sequence;  ///< per direction, from 0: a gap or repeat is a framing error
  std::uint64_t time_ps;   ///< device time the message refers to (kAdvance: the time asked for)
};
static_assert(sizeof(Header) == 16);

inline constexpr std::size_t kBodySize = kMessageSize - sizeof(Header);

struct Hello {
  std::uint32_t magic;
  std::uint16_t version;
  std::uint16_t reserved;
  char token[kTokenSize];  ///< the server's access token (NUL-padded); empty when it needs none
  std::uint8_t pad[kBodySize - 8 - kTokenSize];
};
static_assert(sizeof(Hello) == kBodySize);

enum class Backend : std::uint8_t { kSim = 1, kVfio = 2 };

struct HelloAck {
  std::uint32_t magic;
  std::uint16_t version;
  Backend backend;
  std::uint8_t reserved;
  std::uint64_t cycle_ps;      ///< the device clock (sim: its cycle; vfio: 1, time in ps)
  std::uint64_t now_ps;        ///< the device's time when the client takes over
  std::uint32_t num_vectors;   ///< CAPS.NUM_VECTORS of the endpoint behind the server
  std::uint32_t regmap_hash;   ///< REGMAP_HASH: client and device agree on the registers
  std::uint8_t pad[kBodySize - 32];
};
static_assert(sizeof(HelloAck) == kBodySize);

struct ConfigRead {
  std::uint16_t offset;  ///< 0..4095, DW-aligned
  std::uint8_t pad[kBodySize - 2];
};
static_assert(sizeof(ConfigRead) == kBodySize);

struct ConfigReadDone {
  std::uint32_t value;
  std::uint8_t pad[kBodySize - 4];
};
static_assert(sizeof(ConfigReadDone) == kBodySize);

struct ConfigWrite {
  std::uint16_t offset;
  std::uint8_t byte_enable;  ///< 1..0xF
  std::uint8_t reserved;
  std::uint32_t value;
  std::uint8_t pad[kBodySize - 8];
};
static_assert(sizeof(ConfigWrite) == kBodySize);

struct BarRead {
  std::uint8_t bar;   ///< 0..5
  std::uint8_t size;  ///< 1, 2, 4 or 8 bytes
  std::uint16_t reserved;
  std::uint32_t reserved2;
  std::uint64_t offset;
  std::uint8_t pad[kBodySize - 16];
};
static_assert(sizeof(BarRead) == kBodySize);

struct BarReadDone {
  std::uint64_t value;
  std::uint8_t pad[kBodySize - 8];
};
static_assert(sizeof(BarReadDone) == kBodySize);

struct BarWrite {
  std::uint8_t bar;
  std::uint8_t size;
  std::uint16_t reserved;
  std::uint32_t reserved2;
  std::uint64_t offset;
  std::uint64_t value;
  std::uint8_t pad[kBodySize - 24];
};
static_assert(sizeof(BarWrite) == kBodySize);

struct Advance {
  std::uint8_t pad[kBodySize];
};
static_assert(sizeof(Advance) == kBodySize);

struct Advanced {
  std::uint64_t cycles;  ///< device clock cycles run so far
  std::uint8_t pad[kBodySize - 8];
};
static_assert(sizeof(Advanced) == kBodySize);

struct DmaWrite {
  std::uint64_t address;
  std::uint16_t requester_id;
  std::uint8_t first_be;
  std::uint8_t last_be;
  std::uint8_t dw_count;  ///< 1..kMaxDmaDws DWs in `data`
  std::uint8_t reserved[3];
  std::uint32_t data[kMaxDmaDws];
  std::uint8_t pad[kBodySize - 16 - 4 * kMaxDmaDws];
};
static_assert(sizeof(DmaWrite) == kBodySize);

struct Interrupt {
  static constexpr std::uint16_t kNoVector = 0xFFFF;
  std::uint64_t address;       ///< the MSI address (0xFEEx_xxxx)
  std::uint32_t data;          ///< the MSI data DW
  std::uint16_t requester_id;
  std::uint16_t vector;        ///< a real card: the eventfd's vector; a simulation: kNoVector
  std::uint8_t pad[kBodySize - 16];
};
static_assert(sizeof(Interrupt) == kBodySize);

struct Error {
  std::uint32_t code;          ///< 1 bad message, 2 version, 3 token, 4 device failed, 5 busy
  char text[kTextSize];        ///< why, NUL-terminated
  std::uint8_t pad[kBodySize - 4 - kTextSize];
};
static_assert(sizeof(Error) == kBodySize);

struct Goodbye {
  std::uint8_t pad[kBodySize];
};
static_assert(sizeof(Goodbye) == kBodySize);

/// 8-aligned although packed: every field then sits at its natural alignment in any Message
/// object (the layout was chosen so), and reading one through a reference is defined behaviour.
struct alignas(8) Message {
  Header header;
  union {
    Hello hello;
    HelloAck hello_ack;
    ConfigRead config_read;
    ConfigReadDone config_read_done;
    ConfigWrite config_write;
    BarRead bar_read;
    BarReadDone bar_read_done;
    BarWrite bar_write;
    Advance advance;
    Advanced advanced;
    DmaWrite dma_write;
    Interrupt interrupt;
    Error error;
    Goodbye goodbye;
    std::uint8_t raw[kBodySize];
  };
};
static_assert(sizeof(Message) == kMessageSize);
static_assert(alignof(Message) == 8);
static_assert(offsetof(Message, header) + offsetof(Header, time_ps) == 8 && offsetof(DmaWrite, data) == 16 &&
              offsetof(HelloAck, cycle_ps) == 8 && offsetof(BarWrite, value) == 16,
              "64-bit fields sit at multiples of 8 from the message's start");

#pragma pack(pop)

}  // namespace irqrig::sim::proto
