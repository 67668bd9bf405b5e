// What the VM test's guest programs share: a failed step as an exception carrying its reason, the
// check for a refusal the real kernel must give, and the formatting of the result line.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/vfio/error.h"

namespace irqrig::vm {

/// One step of a guest check did not hold; main() prints it as the FAIL reason.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void require(bool ok, const std::string& what) {
  if (!ok) throw Failure(what);
}

/// True (and counted) when `action` throws a VfioError whose message contains `expected`.
template <typename Action>
bool refused(Action&& action, const std::string& expected, unsigned& count) {
  try {
    action();
  } catch (const host::vfio::VfioError& e) {
    if (std::string(e.what()).find(expected) != std::string::npos) {
      ++count;
      return true;
    }
    std::cout << "irqrig-vm: unexpected message: " << e.what() << std::endl;
  }
  return false;
}

inline std::string hex(std::uint64_t v, int digits = 1) {
  std::ostringstream s;
  s << "0x" << std::hex << std::setfill('0') << std::setw(digits) << v;
  return s.str();
}

/// "p50=… p99=… max=…" of a non-empty sample.
inline std::string spread(std::vector<std::uint64_t> v) {
  std::sort(v.begin(), v.end());
  const auto at = [&](double p) { return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))]; };
  std::ostringstream s;
  s << "p50=" << at(0.5) << " p99=" << at(0.99) << " max=" << v.back();
  return s.str();
}

/// Runs `check` and prints the one result line the script looks for; the process's exit code.
template <typename Check>
int report(const std::string& name, Check&& check) {
  try {
    std::cout << "irqrig-vm-result: " << name << " PASS " << check() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cout << "irqrig-vm-result: " << name << " FAIL " << e.what() << std::endl;
    return 1;
  }
}

}  // namespace irqrig::vm
