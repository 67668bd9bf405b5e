# Writes the bitstream's .mcs into the U200's configuration flash (survives power-off).
#   vivado -mode batch -source flash.tcl -tclargs <fpga.mcs> [hw_server_url]
# CHECK the flash part for your board revision (UG1289); mt25qu01g-spi-x1_x2_x4 on the U200.
set mcs [file normalize [lindex $argv 0]]
set url [expr {[llength $argv] > 1 ? [lindex $argv 1] : "localhost:3121"}]
open_hw_manager
connect_hw_server -url $url
open_hw_target
set dev [lindex [get_hw_devices xcu200_0] 0]
current_hw_device $dev
create_hw_cfgmem -hw_device $dev [lindex [get_cfgmem_parts {mt25qu01g-spi-x1_x2_x4}] 0]
set mem [get_property PROGRAM.HW_CFGMEM $dev]
set_property PROGRAM.FILES [list $mcs] $mem
set_property PROGRAM.ADDRESS_RANGE {use_file} $mem
set_property PROGRAM.BLANK_CHECK 0 $mem
set_property PROGRAM.ERASE 1 $mem
set_property PROGRAM.CFG_PROGRAM 1 $mem
set_property PROGRAM.VERIFY 1 $mem
create_hw_bitstream -hw_device $dev [get_property PROGRAM.HW_CFGMEM_BITFILE $dev]
program_hw_devices $dev
program_hw_cfgmem -hw_cfgmem $mem
puts "irqrig: flash written; power-cycle the host (a warm reboot may not reload the FPGA)"
close_hw_manager
