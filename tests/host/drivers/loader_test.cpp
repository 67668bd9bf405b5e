// The plug-in loader: which entry it takes from a library, and what it says about libraries it
// cannot use. This program exports the WDK surface, as the irqrig executable does.
#include "host/drivers/loader.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "host/drivers/mutants/registry.h"

namespace irqrig::host {
namespace {

std::string load_error(const std::string& spec) {
  try {
    load_driver(spec);
  } catch (const DriverLoadError& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(Loader, ReferenceIsBuiltIn) { EXPECT_EQ(load_driver("reference")->name(), "reference"); }

TEST(Loader, WdmPluginIsTakenThroughIrqrigDriverEntry) {
  EXPECT_EQ(load_driver(WDM_PLUGIN)->name(), "wdm_plugin");  // IRQRIG_DRIVER.Name
}

TEST(Loader, KmdfDriverIsTakenThroughDriverEntry) {
  EXPECT_EQ(load_driver(KMDF_SAMPLE)->name(), "kmdf_sample");  // the file's name
}

TEST(Loader, IrqrigDriverEntryWinsOverDriverEntry) {
  EXPECT_EQ(load_driver(BOTH_ENTRIES)->name(), "both_entries");
  // And it is the rig-contract driver that runs: its StartDevice says "not supported".
  EXPECT_EQ(load_driver(BOTH_ENTRIES)->start(IRQRIG_RESOURCES{}), STATUS_NOT_SUPPORTED);
}

TEST(Loader, MissingFileIsNamed) {
  const std::string e = load_error("/nonexistent/driver.so");
  EXPECT_NE(e.find("/nonexistent/driver.so"), std::string::npos) << e;
  EXPECT_NE(e.find("no such file"), std::string::npos) << e;
  EXPECT_NE(e.find("--driver"), std::string::npos) << e;
}

TEST(Loader, AFileThatIsNoLibraryCannotBeLoaded) {
  const std::string e = load_error(NOT_A_LIBRARY);
  EXPECT_NE(e.find("cannot load"), std::string::npos) << e;
}

TEST(Loader, ALibraryWithoutEntryIsRefused) {
  const std::string e = load_error(NO_ENTRY);
  EXPECT_NE(e.find("neither IrqrigDriverEntry"), std::string::npos) << e;
  EXPECT_NE(e.find("DriverEntry"), std::string::npos) << e;
}

TEST(Loader, AnEntryReturningNoDriverIsRefused) {
  const std::string e = load_error(NULL_ENTRY);
  EXPECT_NE(e.find("returned no driver"), std::string::npos) << e;
}

TEST(Loader, AWdkRoutineTheRigLacksIsNamedAtLoad) {
  const std::string e = load_error(MISSING_SYMBOL);
  EXPECT_NE(e.find("KeBugCheckEx"), std::string::npos) << e;
}

TEST(Loader, MutantsAreBuiltInAndNamedAsSpecified) {
  for (const Mutant& m : mutants()) {
    const std::string spec = "mutant:" + std::string(m.name);
    const std::unique_ptr<Driver> driver = load_driver(spec);
    EXPECT_EQ(driver->name(), spec);
  }
}

TEST(Loader, AnUnknownMutantIsRefusedNamingTheKnownOnes) {
  const std::string e = load_error("mutant:late_ack");
  EXPECT_NE(e.find("no such mutant"), std::string::npos) << e;
  for (const Mutant& m : mutants()) EXPECT_NE(e.find(m.name), std::string::npos) << e;
  // Not taken for a plug-in path: a file called so is not looked for.
  EXPECT_EQ(e.find("no such file"), std::string::npos) << e;
}

}  // namespace
}  // namespace irqrig::host
