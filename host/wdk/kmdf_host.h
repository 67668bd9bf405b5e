// The rig's KMDF: loads a KMDF driver through its DriverEntry and plays the framework's side of
// the PnP start and remove sequences around it, owning every framework object the driver creates.
#pragma once

#include <memory>
#include <string>

#include "irqrig/rig.h"

struct _DRIVER_OBJECT;
struct _UNICODE_STRING;
struct _WDF_DRIVER_GLOBALS;

namespace irqrig::host {

using KmdfDriverEntry = NTSTATUS (*)(struct _DRIVER_OBJECT* DriverObject, struct _UNICODE_STRING* RegistryPath);

class KmdfFramework;

/// One KMDF driver under test. `start` runs at PASSIVE_LEVEL on a CPU of the running platform:
/// DriverEntry, EvtDriverDeviceAdd, EvtDevicePrepareHardware, EvtDeviceD0Entry, the interrupts'
/// EvtInterruptEnable...; `stop` runs the remove sequence and frees every framework object. The
/// destructor frees what is left (a run a driver fault stopped) without calling the driver.
class KmdfHost {
 public:
  /// `globals` is the driver image's WdfDriverGlobals variable (may be null for an image that
  /// does not use it); the host points it at its own globals while the driver is loaded.
  KmdfHost(std::string name, KmdfDriverEntry entry, struct _WDF_DRIVER_GLOBALS** globals);
  ~KmdfHost();
  KmdfHost(const KmdfHost&) = delete;
  KmdfHost& operator=(const KmdfHost&) = delete;

  NTSTATUS start(const IRQRIG_RESOURCES& resources);
  void stop();
  /// Why the last `start` failed, in words; empty after a success.
  const std::string& failure() const;

 private:
  std::unique_ptr<KmdfFramework> fx_;
};

}  // namespace irqrig::host
