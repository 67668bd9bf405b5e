#include "host/drivers/loader.h"

#include <dlfcn.h>

#include <filesystem>

#include <fmt/format.h>

#include "host/drivers/mutants/registry.h"
#include "host/drivers/reference/reference_driver.h"
#include "host/platform/platform.h"
#include "host/wdk/kmdf_host.h"
#include "irqrig/plugin.h"

namespace irqrig::host {
namespace {

/// A dlopen handle, closed last: after the driver object that runs its code is gone.
class Library {
 public:
  explicit Library(const std::string& path) {
    // RTLD_NOW: a WDK call the rig does not provide is reported now, naming the symbol, rather
    // than as a crash in the middle of a run.
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw DriverLoadError(fmt::format("--driver {}: cannot load: {}", path, dlerror()));
  }
  ~Library() { dlclose(handle_); }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  void* symbol(const char* name) const {
    dlerror();
    return dlsym(handle_, name);
  }

 private:
  void* handle_ = nullptr;
};

/// A driver on the rig's own start-device contract (<irqrig/rig.h>): the reference driver, and
/// plug-ins that export IrqrigDriverEntry.
class RigDriver : public Driver {
 public:
  RigDriver(std::unique_ptr<Library> library, const IRQRIG_DRIVER& driver, std::string name)
      : library_(std::move(library)), driver_(driver), name_(std::move(name)) {}

  const std::string& name() const override { return name_; }
  NTSTATUS start(const IRQRIG_RESOURCES& resources) override {
    return driver_.StartDevice(&resources, &context_);
  }
  void stop() override {
    if (driver_.StopDevice) driver_.StopDevice(context_);
    context_ = nullptr;
    // The device is gone: what the driver still holds in pool is a leak, as Driver Verifier reports.
    Platform::current().report_pool_leaks(name_);
  }

 private:
  std::unique_ptr<Library> library_;  // first member: destroyed last
  const IRQRIG_DRIVER& driver_;
  std::string name_;
  PVOID context_ = nullptr;
};

/// A KMDF driver: its DriverEntry and the rig's framework around it.
class KmdfDriver : public Driver {
 public:
  KmdfDriver(std::unique_ptr<Library> library, KmdfDriverEntry entry, struct _WDF_DRIVER_GLOBALS** globals,
             std::string name)
      : library_(std::move(library)), name_(std::move(name)), host_(name_, entry, globals) {}

  const std::string& name() const override { return name_; }
  NTSTATUS start(const IRQRIG_RESOURCES& resources) override { return host_.start(resources); }
  void stop() override { host_.stop(); }
  std::string failure() const override { return host_.failure(); }

 private:
  std::unique_ptr<Library> library_;  // first member: destroyed last
  std::string name_;
  KmdfHost host_;
};

std::unique_ptr<Driver> load_plugin(const std::string& spec) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(spec, ec))
    throw DriverLoadError(fmt::format("--driver {}: no such file (give the path of a plug-in .so, or 'reference')", spec));
  // An absolute path: dlopen would search the library path for a bare file name.
  const std::string path = fs::absolute(spec).lexically_normal().string();
  const std::string stem = fs::path(spec).stem().string();
  auto library = std::make_unique<Library>(path);

  if (void* entry = library->symbol(IRQRIG_DRIVER_ENTRY_SYMBOL)) {
    const IRQRIG_DRIVER* driver = reinterpret_cast<IRQRIG_DRIVER_ENTRY*>(entry)();
    if (!driver || !driver->StartDevice)
      throw DriverLoadError(
          fmt::format("--driver {}: IrqrigDriverEntry returned no driver (NULL, or a NULL StartDevice)", spec));
    const std::string name = driver->Name && *driver->Name ? driver->Name : stem;
    return std::make_unique<RigDriver>(std::move(library), *driver, name);
  }
  if (void* entry = library->symbol("DriverEntry")) {
    auto* globals = static_cast<struct _WDF_DRIVER_GLOBALS**>(library->symbol("WdfDriverGlobals"));
    return std::make_unique<KmdfDriver>(std::move(library), reinterpret_cast<KmdfDriverEntry>(entry), globals, stem);
  }
  throw DriverLoadError(fmt::format(
      "--driver {}: exports neither IrqrigDriverEntry (a WDM plug-in) nor DriverEntry (a KMDF driver)", spec));
}

}  // namespace

std::unique_ptr<Driver> load_driver(const std::string& spec) {
  if (spec == "reference")
    return std::make_unique<RigDriver>(nullptr, IrqrigReferenceDriver, IrqrigReferenceDriver.Name);
  if (spec.rfind("mutant:", 0) == 0) {
    const Mutant* mutant = find_mutant(std::string_view(spec).substr(7));
    if (!mutant)
      throw DriverLoadError(fmt::format("--driver {}: no such mutant; the mutants are: {} (irqrig list mutants)", spec,
                                        mutant_names()));
    return std::make_unique<RigDriver>(nullptr, *mutant->driver, std::string(spec));
  }
  return load_plugin(spec);
}

}  // namespace irqrig::host
