// What tests/fuzz/scenario_fuzz found, kept as regressions: each input ends as a ScenarioError
// naming the place, never a hang, a crash or a library exception escaping.
#include <chrono>
#include <future>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host/scenario/scenario.h"

namespace irqrig::host {
namespace {

using ::testing::HasSubstr;

std::string parse_error(const std::string& text) {
  // Run on another thread so a regression shows as a failure, not a test that never ends.
  auto result = std::async(std::launch::async, [text]() -> std::string {
    try {
      parse_scenario(text, "fuzz.yaml");
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "parsed";
  });
  if (result.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    ADD_FAILURE() << "the parser did not return";
    std::abort();  // the thread cannot be stopped; end here rather than hang the suite
  }
  return result.get();
}

// yaml-cpp 0.7's LoadAll loops forever on these (jbeder/yaml-cpp#1319, #1040).
TEST(ScenarioFuzzFindings, TagBeforeACommaIsASyntaxErrorNotAHang) {
  EXPECT_THAT(parse_error("!,"), HasSubstr("fuzz.yaml:1:2: YAML syntax error"));
  EXPECT_THAT(parse_error(std::string("!,\0\xff\xff", 5)), HasSubstr("YAML syntax error"));
}

TEST(ScenarioFuzzFindings, ALoneCommaIsASyntaxErrorNotAHang) {
  EXPECT_THAT(parse_error(","), HasSubstr("fuzz.yaml:1:"));
  EXPECT_THAT(parse_error("\n,\n"), HasSubstr("fuzz.yaml:"));
}

TEST(ScenarioFuzzFindings, DocumentsAreStillCountedAfterTheWorkaround) {
  EXPECT_THAT(parse_error("name: a\n---\nname: b\n"), HasSubstr("fuzz.yaml:3: a scenario is one YAML document"));
  EXPECT_THAT(parse_error("---\n---\n"), HasSubstr("the file is empty"));
  EXPECT_THAT(parse_error("- 1\n"), HasSubstr("expected the scenario to be a map"));
}

}  // namespace
}  // namespace irqrig::host
