// End-to-end: `irqrig serve` as a child process on a Unix socket and on TCP loopback, and
// `irqrig run --target remote:...` against it. Every report equals the in-process one except for
// `wall_s` and `target`, for stock scenarios, a fault-injection run, and clients one after another.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/cli_harness.h"

extern char** environ;

namespace irqrig::test {
namespace {

/// `irqrig serve ARGS` in a child process; its first stdout line gives the address it listens on.
class ServeProcess {
 public:
  explicit ServeProcess(std::vector<std::string> args, const std::string& name) : log_path_(temp_path(name + "_serve.log")) {
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addclose(&actions, out[1]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    args.insert(args.begin(), {IRQRIG_BIN, "serve"});
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, IRQRIG_BIN, &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    out_ = fdopen(out[0], "r");
    char line[512] = {};
    if (std::fgets(line, sizeof line, out_)) {
      const std::string text(line);
      const std::string prefix = "listening on ";
      if (text.rfind(prefix, 0) == 0) address_ = text.substr(prefix.size(), text.size() - prefix.size() - 1);
    }
  }
  ~ServeProcess() {
    if (pid_ > 0) stop();
    std::fclose(out_);
    std::filesystem::remove(log_path_);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  /// `unix:PATH` or `tcp:HOST:PORT`, as `--target remote:` takes it; empty if serve did not start.
  const std::string& address() const { return address_; }
  std::string log() const { return slurp(log_path_); }

  /// SIGTERM, then the exit code (-1 when it did not exit normally).
  int stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  /// Waits for the server to exit by itself (--once).
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string address_;
};

nlohmann::json run_report(const std::string& args, const std::string& target, const std::string& tag, int expect_code = 0) {
  const std::string report = temp_path(tag + ".json");
  const CliResult r = run_cli(args + " --quiet --target " + target + " --report " + report);
  EXPECT_EQ(r.code, expect_code) << target << ": " << r.output;
  nlohmann::json j = std::filesystem::exists(report) ? read_json(report) : nlohmann::json();
  std::filesystem::remove(report);
  return j;
}

/// The in-process report of `args`, and that of the same run through `address`, are equal but for
/// `wall_s` and `target`.
void expect_same_report(const std::string& args, const std::string& address, const std::string& tag, int expect_code = 0,
                        const std::string& local_target = "sim") {
  nlohmann::json local = run_report(args, local_target, tag + "_local", expect_code);
  nlohmann::json remote = run_report(args, "remote:" + address, tag + "_remote", expect_code);
  ASSERT_TRUE(local.is_object());
  ASSERT_TRUE(remote.is_object());
  EXPECT_EQ(local["target"], local_target);
  EXPECT_EQ(remote["target"], "remote:" + address);
  for (auto* j : {&local, &remote}) {
    j->erase("wall_s");
    j->erase("target");
  }
  EXPECT_EQ(local, remote) << args << " differs: " << nlohmann::json::diff(local, remote).dump(2);
}

const std::string kDropNth = "tests/host/cli/data/faults_base.yaml --set 'faults.drop_msi={nth: [3, 10, 500]}'";
const std::string kHold = "tests/host/cli/data/faults_base.yaml --set 'faults.hold_cpus=[{cpu: 1, irql: 15, from_us: 100, for_us: 50}]'";

TEST(RemoteE2e, StockScenariosGiveTheSameReportOverAUnixSocket) {
  const std::string path = temp_path("e2e.sock");
  ServeProcess serve({"--listen", "unix:" + path}, "unix");
  ASSERT_EQ(serve.address(), "unix:" + path) << serve.log();
  for (const char* name : {"default", "msi_32", "mask_storm", "threaded_dpcs"})
    expect_same_report(std::string("run scenarios/") + name + ".yaml", serve.address(), name);
  expect_same_report("run " + kDropNth, serve.address(), "drop_nth");
  EXPECT_EQ(serve.stop(), 0) << serve.log();
  EXPECT_FALSE(std::filesystem::exists(path)) << "the socket file outlived the server";
  const std::string log = serve.log();
  EXPECT_NE(log.find("signal 15: stopping"), std::string::npos) << log;
  EXPECT_NE(log.find("Goodbye at device time"), std::string::npos) << log;
}

TEST(RemoteE2e, TheSameOverTcpLoopbackOnAPortTheServerPicked) {
  ServeProcess serve({"--listen", "tcp:127.0.0.1:0"}, "tcp");
  ASSERT_EQ(serve.address().rfind("tcp:127.0.0.1:", 0), 0u) << serve.address() << serve.log();
  EXPECT_NE(serve.address(), "tcp:127.0.0.1:0");
  expect_same_report("run scenarios/default.yaml", serve.address(), "tcp_default");
  expect_same_report("run " + kHold, serve.address(), "tcp_hold");
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

TEST(RemoteE2e, ClientsOneAfterAnotherEachGetAFreshDeviceAndTheSameReport) {
  const std::string path = temp_path("e2e_many.sock");
  ServeProcess serve({"--listen", "unix:" + path}, "many");
  ASSERT_FALSE(serve.address().empty()) << serve.log();
  const std::string args = "run scenarios/mask_storm.yaml";
  nlohmann::json local = run_report(args, "sim", "many_local");
  local.erase("wall_s");
  local.erase("target");
  for (int i = 0; i < 3; ++i) {
    nlohmann::json remote = run_report(args, "remote:" + serve.address(), "many_" + std::to_string(i));
    remote.erase("wall_s");
    remote.erase("target");
    EXPECT_EQ(local, remote) << "client " << i;
  }
  // Two at once: the second waits for the first to finish, then gets its own fresh device.
  const std::string a = temp_path("many_a.json"), b = temp_path("many_b.json");
  const std::string one = std::string(IRQRIG_BIN) + " " + args + " --quiet --target remote:" + serve.address() + " --report ";
  const CliResult both = run_command("(" + one + a + " & " + one + b + " & wait) 2>&1");
  EXPECT_EQ(both.code, 0) << both.output;
  for (const std::string& f : {a, b}) {
    nlohmann::json remote = read_json(f);
    remote.erase("wall_s");
    remote.erase("target");
    EXPECT_EQ(local, remote) << f;
    std::filesystem::remove(f);
  }
  EXPECT_EQ(serve.stop(), 0);
}

TEST(RemoteE2e, OnceServesOneClientThenExits) {
  const std::string path = temp_path("e2e_once.sock");
  ServeProcess serve({"--listen", "unix:" + path, "--once"}, "once");
  ASSERT_FALSE(serve.address().empty()) << serve.log();
  run_report("run scenarios/default.yaml", "remote:" + serve.address(), "once");
  EXPECT_EQ(serve.wait(), 0) << serve.log();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RemoteE2e, ATokenIsNeededWhenTheServerHasOne) {
  const std::string token_file = temp_path("token.txt");
  std::ofstream(token_file) << "let-me-in\n";
  const std::string path = temp_path("e2e_token.sock");
  ServeProcess serve({"--listen", "unix:" + path, "--token-file", token_file}, "token");
  ASSERT_FALSE(serve.address().empty()) << serve.log();
  const std::string run = "run scenarios/default.yaml --quiet --target remote:" + serve.address();
  const CliResult none = run_cli(run);
  EXPECT_EQ(none.code, 3) << none.output;
  EXPECT_NE(none.output.find("Error 3 (token refused (set IRQRIG_TOKEN"), std::string::npos) << none.output;
  const CliResult good = run_command("IRQRIG_TOKEN=let-me-in " + std::string(IRQRIG_BIN) + " " + run + " 2>&1");
  EXPECT_EQ(good.code, 0) << good.output;
  EXPECT_EQ(serve.stop(), 0);
  EXPECT_EQ(serve.log().find("let-me-in"), std::string::npos) << "the token is never logged";
  std::filesystem::remove(token_file);
}

TEST(RemoteE2e, TheServersTokenMayComeFromItsEnvironment) {
  const std::string path = temp_path("e2e_envtoken.sock");
  setenv("IRQRIG_TOKEN", "from-env", 1);
  ServeProcess serve({"--listen", "unix:" + path}, "envtoken");
  unsetenv("IRQRIG_TOKEN");
  ASSERT_FALSE(serve.address().empty()) << serve.log();
  const std::string run = "run scenarios/default.yaml --quiet --target remote:" + serve.address();
  EXPECT_EQ(run_cli(run).code, 3);
  const CliResult good = run_command("IRQRIG_TOKEN=from-env " + std::string(IRQRIG_BIN) + " " + run + " 2>&1");
  EXPECT_EQ(good.code, 0) << good.output;
  EXPECT_EQ(serve.stop(), 0);
}

TEST(RemoteE2e, ServeWithItsStderrClosedServesAndExitsCleanly) {
  // `2>&-`: every log line fails to be written; the server drops them and goes on.
  const std::string path = temp_path("e2e_nostderr.sock");
  const std::string bin = IRQRIG_BIN;
  const CliResult r = run_command(
      "(" + bin + " serve --once --listen unix:" + path + " >/dev/null 2>&- & pid=$!; "
      "for i in $(seq 100); do [ -S " + path + " ] && break; sleep 0.05; done; " +
      bin + " run scenarios/default.yaml --quiet --target remote:unix:" + path + " >/dev/null 2>&1; echo client=$?; "
      "wait $pid; echo serve=$?) 2>&1");
  EXPECT_NE(r.output.find("client=0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("serve=0"), std::string::npos) << r.output;
}

TEST(RemoteE2e, ServeOffersTheVfioLoopbackBackendWithTheSameReport) {
  const std::string path = temp_path("e2e_vfio.sock");
  ServeProcess serve({"--listen", "unix:" + path, "--target", "vfio:loopback"}, "vfio");
  ASSERT_EQ(serve.address(), "unix:" + path) << serve.log();
  expect_same_report("run scenarios/default.yaml", serve.address(), "vfio_default", 0, "vfio:loopback");
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

TEST(RemoteE2e, ASocketPathTooLongIsBadInput) {
  const std::string target = "remote:unix:/tmp/" + std::string(200, 'x');
  const CliResult r = run_cli("run scenarios/default.yaml --target " + target);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--target " + target + ": the socket path is"), std::string::npos) << r.output;
  const CliResult s = run_cli("serve --listen unix:/tmp/" + std::string(200, 'x'));
  EXPECT_EQ(s.code, 2) << s.output;
}

TEST(RemoteE2e, NoServerIsExit3) {
  const CliResult r = run_cli("run scenarios/default.yaml --target remote:unix:" + temp_path("nobody.sock"));
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("irqrig: target failed: cannot connect to unix:"), std::string::npos) << r.output;
}

TEST(RemoteE2e, ServeRefusesWhatItCannotDoSafely) {
  const CliResult open = run_cli("serve --listen tcp:0.0.0.0:0");
  EXPECT_EQ(open.code, 2) << open.output;
  EXPECT_NE(open.output.find("reachable from other machines"), std::string::npos) << open.output;
  const CliResult chained = run_cli("serve --listen unix:" + temp_path("x.sock") + " --target remote:unix:/tmp/y");
  EXPECT_EQ(chained.code, 2) << chained.output;
  EXPECT_NE(chained.output.find("serve offers sim or vfio:BDF"), std::string::npos) << chained.output;
  const CliResult bad = run_cli("serve --listen udp:1");
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--listen udp:1: expected unix:PATH or tcp:HOST:PORT"), std::string::npos) << bad.output;
  // The token never goes on the command line, where `ps` shows it to every user.
  const CliResult on_command_line = run_cli("serve --token a");
  EXPECT_EQ(on_command_line.code, 2) << on_command_line.output;
  const CliResult card_over_tcp = run_cli("serve --listen tcp:127.0.0.1:0 --target vfio:loopback");
  EXPECT_EQ(card_over_tcp.code, 2) << card_over_tcp.output;
  EXPECT_NE(card_over_tcp.output.find("a token is required"), std::string::npos) << card_over_tcp.output;
  const std::string not_socket = temp_path("plain_file");
  std::ofstream(not_socket) << "x";
  const CliResult busy = run_cli("serve --listen unix:" + not_socket);
  EXPECT_EQ(busy.code, 2) << busy.output;
  EXPECT_NE(busy.output.find("exists and is not a socket"), std::string::npos) << busy.output;
  EXPECT_TRUE(std::filesystem::exists(not_socket));
  std::filesystem::remove(not_socket);
}

}  // namespace
}  // namespace irqrig::test
