#include "host/sweep/sweep.h"

#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "host/report/html_report.h"
#include "host/sweep/launcher.h"
#include "host/sweep/progress.h"
#include "host/sweep/results.h"
#include "host/sweep/spec.h"

namespace irqrig::host::sweep {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

enum Exit : int { kOk = 0, kCheckFailed = 1, kBadInput = 2, kCouldNotRun = 3, kInterrupted = 130 };

// The last lines of a child's stderr: enough to say why it failed, small enough for a CSV cell.
std::string tail_of(const fs::path& path) {
  constexpr std::size_t kMaxChars = 2000;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.size() > kMaxChars) s = "..." + s.substr(s.size() - kMaxChars);
  return s;
}

std::string label_of(const ordered_json& values) {
  std::vector<std::string> parts;
  for (auto it = values.begin(); it != values.end(); ++it)
    parts.push_back(fmt::format("{}={}", it.key(), it->is_string() ? it->get<std::string>() : it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  return fmt::format("{}", fmt::join(parts, " "));
}

std::string status_of(const PointRecord& r) {
  if (r.ok()) return "ok";
  if (r.ran()) return fmt::format("FAILED ({})", fmt::join(failed_checks(r.report), ", "));
  const std::size_t nl = r.error.rfind('\n');
  return fmt::format("could not run (exit {}): {}", r.exit, nl == std::string::npos ? r.error : r.error.substr(nl + 1));
}

// Writes to a stream whose reader may have gone away (`irqrig sweep ... | head`): the failure is
// dropped, the sweep's records are what matter.
template <typename... Args>
void say(std::FILE* out, fmt::format_string<Args...> format, Args&&... args) {
  try {
    fmt::print(out, format, std::forward<Args>(args)...);
    std::fflush(out);
  } catch (const std::exception&) {
  }
}

// SIGPIPE ignored for the sweep's lifetime: a closed stdout/stderr pipe must not kill the parent
// and orphan its children; the write fails with EPIPE instead and the sweep stops cleanly.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &old_);
  }
  ~IgnoreSigpipe() { sigaction(SIGPIPE, &old_, nullptr); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  struct sigaction old_ {};
};

// A child's report/stderr temporary is ".PID.<id>.report.json" / ".PID.<id>.stderr": those of a
// sweep process that is gone (killed, crashed) are removed; a live one's (another sweep in the same
// DIR) are left alone.
void remove_stale_temporaries(const fs::path& points_dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(points_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() < 3 || name[0] != '.') continue;
    const std::size_t dot = name.find('.', 1);
    if (dot == std::string::npos) continue;
    long pid = 0;
    const auto [end, err] = std::from_chars(name.data() + 1, name.data() + dot, pid);
    if (err != std::errc() || end != name.data() + dot || pid <= 0) continue;
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    fs::remove(e.path(), ignored);
  }
}

int exit_for(const std::vector<PointRecord>& records) {
  int rc = kOk;
  for (const PointRecord& r : records) {
    if (!r.ran()) return kCouldNotRun;
    if (!r.ok()) rc = kCheckFailed;
  }
  return rc;
}

}  // namespace

unsigned available_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

int run_sweep(const SweepOptions& options) {
  const SweepSpec spec = load_sweep(options.file);
  const std::vector<Point> points = expand(spec);
  validate(spec, points);

  const fs::path dir = options.out.empty() ? fs::path(options.file).parent_path() / fs::path(options.file).stem()
                                           : fs::path(options.out);
  const fs::path points_dir = dir / "points";
  std::error_code ec;
  fs::create_directories(points_dir, ec);
  if (ec || !fs::is_directory(points_dir))
    throw std::invalid_argument(fmt::format("--out {}: cannot create {}: {}", dir.string(), points_dir.string(),
                                            ec ? ec.message() : "not a directory"));
  auto record_path = [&](const Point& p) { return points_dir / (p.id + ".json"); };
  remove_stale_temporaries(points_dir);
  const IgnoreSigpipe ignore_sigpipe;

  // This process's points, and of those the ones a record already covers.
  std::vector<std::size_t> mine, pending;
  std::size_t already = 0;
  for (const Point& p : points) {
    if (options.shard && !in_shard(p.index, options.shard->first, options.shard->second)) continue;
    mine.push_back(p.index);
    const std::optional<PointRecord> r = read_record(record_path(p));
    const bool usable = r && r->id == p.id && r->overrides == p.overrides;
    if (usable && (r->ran() || options.merge_only)) {
      ++already;
    } else if (!options.merge_only) {
      pending.push_back(p.index);
    }
  }

  const unsigned jobs = options.jobs > 0 ? options.jobs : available_cpus();
  const ProgressMode mode = options.quiet           ? ProgressMode::kQuiet
                            : isatty(STDERR_FILENO) ? ProgressMode::kBar
                                                    : ProgressMode::kLines;
  if (!options.quiet) {
    say(stderr, "sweep {}: {} points{}; {} already done, {} to run, {} at a time\n", spec.name, points.size(),
               options.shard
                   ? fmt::format(" (shard {}/{}: {})", options.shard->first, options.shard->second, mine.size())
                   : "",
               already, pending.size(), jobs);
  }

  // The child's report and stderr live beside the records under names of this process's own, so
  // two sweeps over one DIR never share one.
  const std::string temp_prefix = fmt::format(".{}.", static_cast<long>(getpid()));
  Progress progress(mode, pending.size(), stderr);
  std::size_t ran_now = 0;
  bool stopping = false;
  const bool finished = run_jobs(
      pending.size(), std::min<std::size_t>(jobs, std::max<std::size_t>(pending.size(), 1)),
      [&](std::size_t k) {
        const Point& p = points[pending[k]];
        Job job;
        job.argv = {options.irqrig, "run",      spec.scenario_path,
                    "--quiet",      "--report", (points_dir / (temp_prefix + p.id + ".report.json")).string()};
        for (const std::string& o : p.overrides) {
          job.argv.push_back("--set");
          job.argv.push_back(o);
        }
        job.stderr_path = (points_dir / (temp_prefix + p.id + ".stderr")).string();
        return job;
      },
      [&](std::size_t k, const JobEnd& end) {
        const Point& p = points[pending[k]];
        const fs::path report_path = points_dir / (temp_prefix + p.id + ".report.json");
        const fs::path stderr_path = points_dir / (temp_prefix + p.id + ".stderr");
        if (!end.interrupted) {
          PointRecord r;
          r.id = p.id;
          r.index = p.index;
          r.values = point_values(spec, p);
          r.overrides = p.overrides;
          r.exit = end.exit;
          if (end.exit == 0 || end.exit == 1) {
            std::ifstream in(report_path);
            ordered_json report = ordered_json::parse(in, nullptr, /*allow_exceptions=*/false);
            if (!report.is_discarded() && report.is_object()) r.report = std::move(report);
          }
          if (!r.ran()) {
            r.error = !end.spawn_error.empty() ? end.spawn_error : tail_of(stderr_path);
            if (end.signal != 0)
              r.error += fmt::format("{}killed by signal {} ({})", r.error.empty() ? "" : "\n", end.signal,
                                     strsignal(end.signal));
            if ((end.exit == 0 || end.exit == 1) && r.error.empty()) r.error = "the run wrote no readable report";
          }
          write_atomically(record_path(p), to_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
          ++ran_now;
          progress.point_done(r.ok(), p.id, label_of(r.values), status_of(r));
          // Nobody reads the progress any more (a closed pipe): stop as Ctrl-C would, so the
          // running children are stopped and reaped and their temporaries removed.
          if (progress.closed() && !stopping) {
            stopping = true;
            raise(SIGTERM);
          }
        }
        std::error_code ignored;
        fs::remove(report_path, ignored);
        fs::remove(stderr_path, ignored);
      });
  progress.finish();

  if (!finished) {
    if (!options.quiet)
      say(stderr,
                 "sweep {}: interrupted after {} point(s); the finished ones are kept in {}, run it again to go on\n",
                 spec.name, ran_now, points_dir.string());
    return kInterrupted;
  }

  // Every record this process is responsible for, in point order.
  auto collect = [&](const std::vector<std::size_t>& which, std::vector<PointRecord>& records,
                     std::vector<std::string>& missing) {
    for (std::size_t i : which) {
      const Point& p = points[i];
      std::optional<PointRecord> r = read_record(record_path(p));
      if (r && r->id == p.id && r->overrides == p.overrides) {
        records.push_back(std::move(*r));
      } else {
        missing.push_back(p.id);
      }
    }
  };
  std::vector<PointRecord> records;
  std::vector<std::string> missing;
  if (options.shard) {
    collect(mine, records, missing);
  } else {
    std::vector<std::size_t> all(points.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    collect(all, records, missing);
  }

  auto count = [&](auto pred) { return std::count_if(records.begin(), records.end(), pred); };
  const auto ok = count([](const PointRecord& r) { return r.ok(); });
  const auto failed = count([](const PointRecord& r) { return r.ran() && !r.ok(); });
  const auto broken = count([](const PointRecord& r) { return !r.ran(); });

  if (!missing.empty()) {
    say(stderr,
               "sweep {}: {} of {} points have no record in {} (first: {}); run the shards that are missing, "
               "or the sweep without --merge\n",
               spec.name, missing.size(), points.size(), points_dir.string(), missing.front());
    return kCouldNotRun;
  }

  std::string where;
  if (!options.shard) {
    const ordered_json merged = merge(spec, records);
    write_atomically(dir / "results.json", merged.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    write_atomically(dir / "results.csv", to_csv(merged));
    // The page an engineer opens first: p99 and events per ISR/DPC against each axis.
    report::write_sweep_html(nlohmann::json::parse(merged.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)), dir / "report.html");
    where = fmt::format("; results in {}, plots in {}", (dir / "results.csv").string(), (dir / "report.html").string());
  } else {
    where = fmt::format("; merge the shards with `irqrig sweep {} --out {} --merge`", options.file, dir.string());
  }
  if (!options.quiet)
    say(stdout, "sweep {}: {} points{}: {} ran now, {} already done; {} ok, {} failed checks, {} could not run{}\n",
               spec.name, records.size(),
               options.shard ? fmt::format(" in shard {}/{}", options.shard->first, options.shard->second) : "",
               ran_now, records.size() - ran_now, ok, failed, broken, where);
  return exit_for(records);
}

}  // namespace irqrig::host::sweep
