#include "host/core/irql.h"

#include <fmt/format.h>

namespace irqrig::host {

std::string irql_name(Irql irql) {
  switch (irql) {
    case kPassiveLevel: return "PASSIVE_LEVEL";
    case kApcLevel: return "APC_LEVEL";
    case kDispatchLevel: return "DISPATCH_LEVEL";
    case kClockLevel: return "CLOCK_LEVEL";
    case kIpiLevel: return "IPI_LEVEL";
    case kHighLevel: return "HIGH_LEVEL";
    default: break;
  }
  if (irql < kClockLevel) return fmt::format("DIRQL {}", irql);
  return fmt::format("IRQL {} (invalid)", irql);
}

}  // namespace irqrig::host
