# The UltraScale+ Integrated Block for PCI Express as irqrig's board top expects it (PG213):
# Gen3 x4, 128-bit AXI4-Stream at 250 MHz (the core's ClkMhz), PF0 only, IDs and class code from
# rtl/regs/irqrig_regs.json, BAR0 32-bit 64 KiB (the core's register file, MSI-X table at 0x8000
# and PBA at 0x1000 inside it), MSI with 32 vectors and per-vector masking, MSI-X external with
# 2048 entries (the core keeps table and PBA; the IP owns the capability), no INTx.
# Property names are those of the IP's XCI in Vivado 2022.x/2023.x; CHECK them with
# `report_property [get_ips pcie4_uscale_plus_0]` in your Vivado, and the block location and GT
# quad for your board (X1Y2 with lanes 0-3 in quad 227 on the U200's edge connector).
create_ip -name pcie4_uscale_plus -vendor xilinx.com -library ip -module_name pcie4_uscale_plus_0 -dir $ip_dir

set_property -dict [list \
  CONFIG.mode_selection {Advanced} \
  CONFIG.PL_LINK_CAP_MAX_LINK_SPEED {8.0_GT/s} \
  CONFIG.PL_LINK_CAP_MAX_LINK_WIDTH {X4} \
  CONFIG.axisten_if_width {128_bit} \
  CONFIG.axisten_freq {250} \
  CONFIG.pcie_blk_locn {X1Y2} \
  CONFIG.select_quad {GTY_Quad_227} \
  CONFIG.vendor_id {10EE} \
  CONFIG.PF0_DEVICE_ID {1A51} \
  CONFIG.PF0_REVISION_ID {01} \
  CONFIG.PF0_CLASS_CODE {FF0000} \
  CONFIG.PF0_SUBSYSTEM_VENDOR_ID {10EE} \
  CONFIG.PF0_SUBSYSTEM_ID {0007} \
  CONFIG.PF0_INTERRUPT_PIN {NONE} \
  CONFIG.pf0_bar0_enabled {true} \
  CONFIG.pf0_bar0_type {Memory} \
  CONFIG.pf0_bar0_64bit {false} \
  CONFIG.pf0_bar0_prefetchable {false} \
  CONFIG.pf0_bar0_scale {Kilobytes} \
  CONFIG.pf0_bar0_size {64} \
  CONFIG.pf0_bar1_enabled {false} \
  CONFIG.pf0_msi_enabled {true} \
  CONFIG.PF0_MSI_CAP_MULTIMSGCAP {32_vectors} \
  CONFIG.PF0_MSI_CAP_PERVECMASKCAP {true} \
  CONFIG.pf0_msix_enabled {true} \
  CONFIG.MSI_X_OPTIONS {MSI-X_External} \
  CONFIG.PF0_MSIX_CAP_TABLE_SIZE {7FF} \
  CONFIG.PF0_MSIX_CAP_TABLE_BIR {BAR_0} \
  CONFIG.PF0_MSIX_CAP_TABLE_OFFSET {00008000} \
  CONFIG.PF0_MSIX_CAP_PBA_BIR {BAR_0} \
  CONFIG.PF0_MSIX_CAP_PBA_OFFSET {00001000} \
  CONFIG.pf0_dev_cap_max_payload {256_bytes} \
  CONFIG.extended_tag_field {false} \
] [get_ips pcie4_uscale_plus_0]
