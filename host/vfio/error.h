// Errors of the VFIO layer: what failed, the system's reason, and what the user should do about it.
// A VfioError is a DeviceError, so the CLI maps it to exit code 3 (the target failed).
#pragma once

#include <string>

#include "sim/device/device.h"

namespace irqrig::host::vfio {

/// Thrown by every VFIO class; `what()` is written for the person at the keyboard.
class VfioError : public sim::DeviceError {
 public:
  using sim::DeviceError::DeviceError;
};

/// Throws VfioError "<what>: <strerror(err)>. <hint>" (the hint is left out when empty).
[[noreturn]] void throw_errno(const std::string& what, int err, const std::string& hint = {});

}  // namespace irqrig::host::vfio
