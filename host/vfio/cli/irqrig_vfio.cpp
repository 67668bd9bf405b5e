// irqrig-vfio: the board-side helper. 'bind' hands a card to vfio-pci after checking the IOMMU
// and the card's group; 'info' opens it through VFIO and lists its regions and interrupts.
#include <linux/vfio.h>

#include <CLI/CLI.hpp>
#include <iomanip>
#include <iostream>

#include "host/vfio/binder.h"
#include "host/vfio/config_space.h"
#include "host/vfio/error.h"
#include "host/vfio/session.h"
#include "host/vfio/sysfs.h"

namespace {

using namespace irqrig::host::vfio;

int run_bind(const std::string& bdf, const HostPaths& paths) {
  const BindOutcome out = Binder(paths).bind(bdf);
  if (out.already_bound)
    std::cout << out.bdf << ": already on vfio-pci";
  else
    std::cout << out.bdf << ": bound to vfio-pci (was " << out.previous_driver.value_or("unbound") << ")";
  std::cout << ", IOMMU group " << out.group << ", " << out.group_node << " ready\n";
  return 0;
}

int run_info(const std::string& bdf, const HostPaths& paths) {
  Session session(bdf, paths);
  PciDevice& device = session.device();
  const ConfigSpace config(device);
  std::cout << std::hex << std::setfill('0') << device.bdf() << ": vendor 0x" << std::setw(4) << config.vendor_id()
            << " device 0x" << std::setw(4) << config.device_id() << std::setfill(' ') << std::dec << ", "
            << device.num_regions() << " regions, " << device.num_irqs() << " interrupt indexes, reset "
            << (device.can_reset() ? "yes" : "no") << "\n";
  for (unsigned i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; ++i) {
    const RegionInfo r = device.region_info(i);
    if (r.size == 0) continue;
    std::cout << "  BAR" << i << ": " << r.size << " bytes" << (r.mmappable() ? ", mmap" : ", pread/pwrite only")
              << "\n";
  }
  const char* names[] = {"INTx", "MSI", "MSI-X"};
  for (unsigned i = VFIO_PCI_INTX_IRQ_INDEX; i <= VFIO_PCI_MSIX_IRQ_INDEX && i < device.num_irqs(); ++i)
    std::cout << "  " << names[i] << ": " << device.irq_info(i).count << " vectors\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"irqrig-vfio: hand a PCIe card to vfio-pci for irqrig, and inspect it"};
  app.require_subcommand(1);
  HostPaths paths;
  std::string bdf;
  auto* bind =
      app.add_subcommand("bind", "bind a card to vfio-pci after checking the IOMMU and its group (needs root)");
  bind->add_option("BDF", bdf, "PCI address, e.g. 0000:01:00.0")->required();
  auto* info = app.add_subcommand("info", "open a card bound to vfio-pci and list its BARs and interrupts");
  info->add_option("BDF", bdf, "PCI address, e.g. 0000:01:00.0")->required();
  for (auto* sub : {bind, info}) {
    sub->add_option("--sysfs", paths.sysfs, "sysfs root (default /sys)");
    sub->add_option("--dev", paths.dev, "device root (default /dev)");
  }
  CLI11_PARSE(app, argc, argv);
  // Exit codes as irqrig's: 2 bad input, 3 the target (the machine, the card) failed.
  try {
    bdf = canonical_bdf(bdf);
  } catch (const VfioError& e) {
    std::cerr << "irqrig-vfio: " << e.what() << "\n";
    return 2;
  }
  try {
    return bind->parsed() ? run_bind(bdf, paths) : run_info(bdf, paths);
  } catch (const VfioError& e) {
    std::cerr << "irqrig-vfio: " << e.what() << "\n";
    return 3;
  }
}
