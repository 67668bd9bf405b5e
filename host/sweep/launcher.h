// Runs child processes N at a time (posix_spawn + waitpid) and stops them all on SIGINT, SIGTERM or
// SIGHUP: one point per process, since SystemC elaborates once per process.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace irqrig::host::sweep {

/// One child: its program and arguments, and the files its stdout and stderr go to.
struct Job {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::string stdout_path = "/dev/null";
  std::string stderr_path = "/dev/null";
};

/// How a child ended.
struct JobEnd {
  int exit = 0;              // exit status; 128 + N when signal N ended it
  int signal = 0;            // the signal, else 0
  std::string spawn_error;   // set when the child could not be started (exit is then 127)
  bool interrupted = false;  // ended because the launcher was interrupted: not a result
};

/// Starts jobs 0..count-1 in order, at most `parallel` at once; `make(i)` builds job i just before
/// it starts and `done(i, end)` runs in this thread as each ends. On SIGINT, SIGTERM or SIGHUP it
/// starts nothing more, sends SIGTERM to the running children, waits for them, reports them with
/// `interrupted` set, and returns false; otherwise returns true once every job has ended.
/// The signals are blocked in the calling thread while it runs (and restored after).
bool run_jobs(std::size_t count, unsigned parallel, const std::function<Job(std::size_t)>& make,
              const std::function<void(std::size_t, const JobEnd&)>& done);

}  // namespace irqrig::host::sweep
