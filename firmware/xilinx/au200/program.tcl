# Loads the bitstream into the U200's FPGA over JTAG (volatile: gone at power-off).
#   vivado -mode batch -source program.tcl -tclargs <fpga.bit> [hw_server_url]
set bit [file normalize [lindex $argv 0]]
set url [expr {[llength $argv] > 1 ? [lindex $argv 1] : "localhost:3121"}]
open_hw_manager
connect_hw_server -url $url
open_hw_target
set dev [lindex [get_hw_devices xcu200_0] 0]
current_hw_device $dev
set_property PROGRAM.FILE $bit $dev
program_hw_devices $dev
refresh_hw_device $dev
puts "irqrig: programmed $dev with $bit; now rescan the PCI bus (docs/firmware.md)"
close_hw_manager
