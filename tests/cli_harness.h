// What the end-to-end tests share: running the irqrig binary (IRQRIG_BIN) with arguments and
// reading back its exit code, its output and the JSON files it wrote.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

namespace irqrig::test {

struct CliResult {
  int code;
  std::string output;  ///< stdout and stderr together
};

/// Runs a shell command line and waits for it; `output` is what it wrote to stdout.
inline CliResult run_command(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// Runs `BINARY ARGS` (by default the irqrig built with the tests) from the source tree, stdout and
/// stderr together.
inline CliResult run_cli(const std::string& args, const std::string& binary = IRQRIG_BIN) {
  return run_command(binary + " " + args + " 2>&1");
}

/// A path in the temporary directory unique to this test process.
inline std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("irqrig_test_" + std::to_string(getpid()) + "_" + name)).string();
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

/// The whole file as bytes; empty when it cannot be read.
inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace irqrig::test
