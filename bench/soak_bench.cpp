// The soak: `irqrig run bench/soak.yaml` at growing burst lengths, each in its own process, with
// events/s and the process's peak resident memory side by side. A co-simulation's memory must not
// grow with the run's length (fixed-size histograms, a sliding ledger): --max-growth makes that a
// check (exit 1), which the `soak` CTest label runs briefly and a user runs long.
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>

extern char** environ;

namespace {

struct Sample {
  std::uint64_t events = 0;
  double wall_s = 0;
  long peak_kib = 0;
  bool ok = false;
};

// One run in a child process: wait4() hands back that child's own peak RSS.
Sample run_once(const std::string& irqrig, const std::string& scenario, std::uint64_t events, const std::string& report) {
  std::vector<std::string> args{irqrig, "run", scenario, "--quiet", "--set",
                                fmt::format("device.bursts.0.events={}", events), "--report", report};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, irqrig.c_str(), nullptr, nullptr, argv.data(), environ) != 0)
    throw std::runtime_error(fmt::format("cannot start {}", irqrig));
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) throw std::runtime_error("wait4 failed");
  Sample s;
  s.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.peak_kib = usage.ru_maxrss;
  s.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::ifstream in(report);
  const nlohmann::json r = nlohmann::json::parse(in, nullptr, false);
  if (!r.is_discarded()) s.events = r["events"]["processed"].get<std::uint64_t>();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"irqrig soak: events/s and peak memory against the run's length"};
  std::string irqrig = IRQRIG_BIN, scenario = "bench/soak.yaml", report = "/tmp/irqrig_soak_report.json";
  std::vector<std::uint64_t> lengths{1'000'000, 10'000'000};
  double max_growth = 0;
  app.add_option("--irqrig", irqrig, "the irqrig binary");
  app.add_option("--scenario", scenario, "the soak scenario");
  app.add_option("--events", lengths, "burst lengths to run, shortest first")->expected(1, 16);
  app.add_option("--max-growth", max_growth,
                 "fail (exit 1) when the longest run's peak memory exceeds the shortest's by more than this "
                 "fraction (0: report only)");
  app.add_option("--report", report, "where each run's report goes");
  CLI11_PARSE(app, argc, argv);

  fmt::print("{:>12} {:>10} {:>12} {:>12}  {}\n", "events", "wall s", "events/s", "peak MiB", "run");
  std::vector<Sample> samples;
  for (const std::uint64_t n : lengths) {
    const Sample s = run_once(irqrig, scenario, n, report);
    samples.push_back(s);
    fmt::print("{:>12} {:>10.2f} {:>12.0f} {:>12.1f}  {}\n", s.events, s.wall_s, static_cast<double>(s.events) / s.wall_s,
               static_cast<double>(s.peak_kib) / 1024.0, s.ok && s.events == n ? "ok" : "FAILED");
    if (!s.ok || s.events != n) return 1;
  }
  const double growth = static_cast<double>(samples.back().peak_kib) / static_cast<double>(samples.front().peak_kib) - 1.0;
  fmt::print("peak memory {} events -> {} events: {:+.1f} %\n", samples.front().events, samples.back().events,
             growth * 100.0);
  if (max_growth > 0 && growth > max_growth) {
    fmt::print("memory grew by more than {:.1f} %\n", max_growth * 100.0);
    return 1;
  }
  return 0;
}
