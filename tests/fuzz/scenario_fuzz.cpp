// libFuzzer target: the scenario parser, fed arbitrary text as a scenario file and, split at the
// first NUL, as `--set` overrides. Bad input must end as a ScenarioError naming where; any other
// exception escaping (yaml-cpp's own, std::out_of_range...) or a crash is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "host/scenario/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string text = input.substr(0, nul);
  std::vector<std::string> overrides;
  if (nul != std::string::npos) overrides.push_back(input.substr(nul + 1));
  try {
    const irqrig::host::Scenario s = irqrig::host::parse_scenario(text, "fuzz.yaml", overrides);
    if (s.cpus == 0 || s.vectors == 0) __builtin_trap();  // validation let an impossible scenario through
  } catch (const irqrig::host::ScenarioError&) {
  }
  return 0;
}
