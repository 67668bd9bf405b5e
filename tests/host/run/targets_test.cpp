// The --target grammar: each backend's form, and a clear refusal of everything else.
#include "host/run/targets.h"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace irqrig::host {
namespace {

std::string refusal(const std::string& text) {
  try {
    parse_target(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

TEST(TargetsTest, ParsesEveryBackend) {
  EXPECT_EQ(parse_target("sim").kind, TargetSpec::Kind::kSim);

  const TargetSpec unix_spec = parse_target("remote:unix:/tmp/rig.sock");
  EXPECT_EQ(unix_spec.kind, TargetSpec::Kind::kRemoteUnix);
  EXPECT_EQ(unix_spec.remote.kind, sim::remote::SocketAddress::Kind::kUnix);
  EXPECT_EQ(unix_spec.remote.path, "/tmp/rig.sock");
  EXPECT_EQ(unix_spec.text, "remote:unix:/tmp/rig.sock");

  const TargetSpec tcp = parse_target("remote:tcp:127.0.0.1:7000");
  EXPECT_EQ(tcp.kind, TargetSpec::Kind::kRemoteTcp);
  EXPECT_EQ(tcp.remote.kind, sim::remote::SocketAddress::Kind::kTcp);
  EXPECT_EQ(tcp.remote.host, "127.0.0.1");
  EXPECT_EQ(tcp.remote.port, 7000);

  const TargetSpec v6 = parse_target("remote:tcp:[::1]:65535");
  EXPECT_EQ(v6.remote.host, "::1");
  EXPECT_EQ(v6.remote.port, 65535);

  const TargetSpec vfio = parse_target("vfio:0000:01:00.0");
  EXPECT_EQ(vfio.kind, TargetSpec::Kind::kVfio);
  EXPECT_EQ(vfio.bdf, "0000:01:00.0");
}

TEST(TargetsTest, RefusesMalformedTargetsNamingThem) {
  EXPECT_NE(refusal("fpga").find("--target fpga: expected sim, remote:unix:PATH"), std::string::npos);
  EXPECT_NE(refusal("remote:unix:").find("--target remote:unix:: the socket path is missing"), std::string::npos);
  EXPECT_NE(refusal("remote:tcp:localhost").find("--target remote:tcp:localhost: expected tcp:HOST:PORT"),
            std::string::npos);
  EXPECT_NE(refusal("remote:tcp::80").find("expected tcp:HOST:PORT"), std::string::npos);
  EXPECT_NE(refusal("remote:udp:x:1").find("--target remote:udp:x:1: expected unix:PATH or tcp:HOST:PORT"),
            std::string::npos);
  EXPECT_NE(refusal("remote:tcp:localhost:0").find("port '0'"), std::string::npos);
  EXPECT_NE(refusal("remote:tcp:localhost:70000").find("port '70000'"), std::string::npos);
  EXPECT_NE(refusal("remote:tcp:localhost:80x").find("port '80x'"), std::string::npos);
  EXPECT_NE(refusal("vfio:").find("PCI address is missing"), std::string::npos);
  EXPECT_NE(refusal("Sim").find("--target Sim"), std::string::npos);
}

TEST(TargetsTest, ASocketPathTooLongForAUnixAddressIsBadInput) {
  // sun_path holds 108 bytes with the NUL: a longer path is the user's mistake (exit 2), not an
  // ENAMETOOLONG from connect() reported as an internal error.
  const std::string longest = "/tmp/" + std::string(102, 'x');  // 107 bytes
  EXPECT_EQ(parse_target("remote:unix:" + longest).remote.path, longest);
  const std::string too_long = longest + "y";
  const std::string why = refusal("remote:unix:" + too_long);
  EXPECT_EQ(why.rfind("--target remote:unix:" + too_long + ": the socket path is 108 bytes; at most 107", 0), 0u)
      << why;
}

TEST(TargetsTest, WavesOnlyForTheInProcessTarget) {
  try {
    open_target(parse_target("remote:unix:/nonexistent/rig.sock"), TargetOptions{"out.fst"});
    FAIL() << "waves accepted for a remote target";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--waves"), std::string::npos);
  }
}

}  // namespace
}  // namespace irqrig::host
