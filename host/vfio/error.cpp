#include "host/vfio/error.h"

#include <cstring>

namespace irqrig::host::vfio {

void throw_errno(const std::string& what, int err, const std::string& hint) {
  std::string message = what + ": " + std::strerror(err);
  if (!hint.empty()) message += ". " + hint;
  throw VfioError(message);
}

}  // namespace irqrig::host::vfio
