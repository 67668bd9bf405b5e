#include "host/sweep/launcher.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

extern char** environ;

namespace irqrig::host::sweep {
namespace {

struct Running {
  pid_t pid;
  std::size_t index;
};

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, s);
  return set;
}

// Blocks the watched signals for the launcher's lifetime and puts back what was there before, with
// any signal still pending consumed (the sweep is already stopping; a late Ctrl-C must not kill
// it before it has said what it kept).
class SignalScope {
 public:
  SignalScope() : watched_(watched_signals()) {
    pthread_sigmask(SIG_BLOCK, &watched_, &old_mask_);
    // An inherited SIG_IGN for SIGCHLD would reap the children behind waitpid's back.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGCHLD, &dfl, &old_chld_);
  }
  ~SignalScope() {
    const timespec zero{0, 0};
    while (sigtimedwait(&watched_, nullptr, &zero) > 0) {
    }
    sigaction(SIGCHLD, &old_chld_, nullptr);
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

  const sigset_t& watched() const { return watched_; }

 private:
  sigset_t watched_;
  sigset_t old_mask_;
  struct sigaction old_chld_ {};
};

// posix_spawn's error, or 0 with `pid` set. The child starts with no signal blocked and the default
// action for the signals this process handles itself.
int spawn(const Job& job, pid_t& pid) {
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, job.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&files, STDERR_FILENO, job.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const std::string& a : job.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int rc = posix_spawn(&pid, argv[0], &files, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&files);
  return rc;
}

std::string fmt_error(const Job& job, int error) {
  return fmt::format("cannot start {}: {}", job.argv.empty() ? "(nothing)" : job.argv[0], std::strerror(error));
}

JobEnd decode(int status) {
  JobEnd end;
  if (WIFEXITED(status)) {
    end.exit = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    end.signal = WTERMSIG(status);
    end.exit = 128 + end.signal;
  }
  return end;
}

}  // namespace

bool run_jobs(std::size_t count, unsigned parallel, const std::function<Job(std::size_t)>& make,
              const std::function<void(std::size_t, const JobEnd&)>& done) {
  if (parallel == 0) parallel = 1;
  SignalScope signals;
  std::vector<Running> running;
  std::size_t next = 0;
  bool interrupted = false;

  // Collects every child that has ended; the others keep running.
  auto reap = [&] {
    for (std::size_t i = 0; i < running.size();) {
      int status = 0;
      const pid_t r = waitpid(running[i].pid, &status, WNOHANG);
      if (r == 0 || (r < 0 && errno == EINTR)) {
        ++i;
        continue;
      }
      JobEnd end = r > 0 ? decode(status) : JobEnd{127, 0, std::strerror(errno), false};
      end.interrupted = interrupted;
      const std::size_t index = running[i].index;
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      done(index, end);
    }
  };

  // A callback that throws (a record that cannot be written) stops the launcher: its children are
  // stopped and reaped first, so none outlives it unwatched.
  try {
    while (true) {
      while (!interrupted && next < count && running.size() < parallel) {
        const Job job = make(next);
        pid_t pid = 0;
        if (const int rc = spawn(job, pid); rc != 0) {
          done(next, JobEnd{127, 0, fmt_error(job, rc), false});
        } else {
          running.push_back({pid, next});
        }
        ++next;
      }
      if (running.empty()) break;
      const int sig = sigwaitinfo(&signals.watched(), nullptr);
      if (sig < 0) {
        if (errno == EINTR) continue;
        throw std::system_error(errno, std::generic_category(), "sigwaitinfo");
      }
      if (sig == SIGCHLD) {
        reap();
        continue;
      }
      // The first stop signal asks the children to stop; another one makes sure they do.
      const int how = interrupted ? SIGKILL : SIGTERM;
      interrupted = true;
      for (const Running& r : running) kill(r.pid, how);
    }
  } catch (...) {
    for (const Running& r : running) kill(r.pid, SIGTERM);
    for (const Running& r : running) waitpid(r.pid, nullptr, 0);
    throw;
  }
  return !interrupted;
}

}  // namespace irqrig::host::sweep
