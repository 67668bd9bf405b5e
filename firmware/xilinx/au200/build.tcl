# Vivado non-project build of the irqrig bitstream for the Alveo U200.
#   vivado -mode batch -source build.tcl -tclargs <out_dir> <reg_pkg.sv> [NumVectors]
# The Makefile beside this script runs it (and generates the register package first). Nothing
# here has been run in the irqrig CI, which has no Vivado; docs/firmware.md says what to check.
set script_dir [file normalize [file dirname [info script]]]
set root       [file normalize $script_dir/../../..]
set out_dir    [file normalize [lindex $argv 0]]
set reg_pkg    [file normalize [lindex $argv 1]]
set num_vec    [expr {[llength $argv] > 2 ? [lindex $argv 2] : 2048}]
set part       xcu200-fsgd2104-2-e
set top        fpga

file mkdir $out_dir
set ip_dir $out_dir/ip
file mkdir $ip_dir
create_project -in_memory -part $part
set_property target_language Verilog [current_project]
set_property default_lib work [current_project]

# ---- the hard IP: created, generated and synthesized out of context ---------------------------
source $script_dir/ip/pcie4_uscale_plus_0.tcl
generate_target all [get_ips pcie4_uscale_plus_0]
synth_ip [get_ips pcie4_uscale_plus_0]

# ---- sources: the core in compile order, the firmware's vendor-free RTL, the board top ---------
set rtl_sources [list \
  $reg_pkg \
  $root/rtl/irqrig_pkg.sv \
  $root/rtl/tlp_pkg.sv \
  $root/rtl/tlp_rx.sv \
  $root/rtl/req_ctrl.sv \
  $root/rtl/cfg_space.sv \
  $root/rtl/msix_table.sv \
  $root/rtl/bar0_regs.sv \
  $root/rtl/burst_engine.sv \
  $root/rtl/ring_writer.sv \
  $root/rtl/irq_moderation.sv \
  $root/rtl/irq_sender.sv \
  $root/rtl/tlp_tx.sv \
  $root/rtl/irqrig_core.sv \
  $root/firmware/rtl/usp_axis_bridge.sv \
  $root/firmware/rtl/usp_irq_adapter.sv \
  $root/firmware/rtl/irqrig_usp_core.sv \
  $script_dir/fpga.sv]
read_verilog -sv $rtl_sources
read_xdc $script_dir/fpga.xdc

# ---- implementation ---------------------------------------------------------------------------
synth_design -top $top -part $part -verilog_define SYNTHESIS -generic NumVectors=$num_vec \
  -flatten_hierarchy rebuilt
write_checkpoint -force $out_dir/post_synth.dcp
report_utilization -file $out_dir/post_synth_util.rpt

opt_design
place_design
phys_opt_design
route_design
write_checkpoint -force $out_dir/post_route.dcp
report_timing_summary -max_paths 20 -file $out_dir/timing_summary.rpt
report_utilization -file $out_dir/post_route_util.rpt
report_route_status -file $out_dir/route_status.rpt

# A design that misses timing builds, and then misbehaves on the board: refuse to write it.
set wns [get_property SLACK [get_timing_paths -max_paths 1 -nworst 1 -setup]]
if {$wns < 0} {
  puts "ERROR: timing not met (WNS $wns ns); see $out_dir/timing_summary.rpt"
  exit 1
}

write_bitstream -force $out_dir/$top.bit
# The U200's configuration flash (MT25QU01G, SPI x4): the user image at 0x01002000 keeps the
# factory golden image below it. CHECK the offset for your board (UG1289 "Flash programming").
write_cfgmem -force -format mcs -size 128 -interface SPIx4 \
  -loadbit "up 0x01002000 $out_dir/$top.bit" -file $out_dir/$top.mcs
puts "irqrig: wrote $out_dir/$top.bit and $out_dir/$top.mcs"
