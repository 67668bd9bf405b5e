# Constraints for irqrig on the AMD/Xilinx Alveo U200 (xcu200-fsgd2104-2-e), board top fpga.sv.
# Locations from the Alveo U200/U250 user guide (UG1289) pin tables as far as they were available;
# everything marked CHECK must be compared with UG1289 / the board's XDC for your board revision
# before you trust a bitstream (a wrong GT location still builds, and then never trains a link).

# Configuration (the U200's SPI x4 flash at 1.8 V)
set_property CFGBVS GND                                [current_design]
set_property CONFIG_VOLTAGE 1.8                        [current_design]
set_property BITSTREAM.GENERAL.COMPRESS true           [current_design]
set_property BITSTREAM.CONFIG.CONFIGFALLBACK ENABLE    [current_design]
set_property BITSTREAM.CONFIG.EXTMASTERCCLK_EN DISABLE [current_design]
set_property BITSTREAM.CONFIG.CONFIGRATE 63.8          [current_design]
set_property BITSTREAM.CONFIG.SPI_32BIT_ADDR YES       [current_design]
set_property BITSTREAM.CONFIG.SPI_BUSWIDTH 4           [current_design]
set_property BITSTREAM.CONFIG.SPI_FALL_EDGE YES        [current_design]
set_property BITSTREAM.CONFIG.UNUSEDPIN PULLUP         [current_design]

# User LEDs (CHECK: UG1289 "User LEDs"; active high)
set_property -dict {LOC BC21 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[0]}]
set_property -dict {LOC BB21 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[1]}]
set_property -dict {LOC BA20 IOSTANDARD LVCMOS12 SLEW SLOW DRIVE 8} [get_ports {led[2]}]
set_false_path -to [get_ports {led[*]}]
set_output_delay 0 [get_ports {led[*]}]

# PCIe: lanes 0-3 of the edge connector are GTY quad 227 (channels X1Y35..X1Y32, lane 0 on the
# highest channel), the 100 MHz reference clock is MGTREFCLK0 of quad 226. The IP's GT locations
# follow from its "PCIe block location" (ip/pcie4_uscale_plus_0.tcl: X1Y2); these LOCs must agree
# with it. CHECK both against UG1289 "PCI Express" and the IP's own generated XDC.
set_property -dict {LOC AF2} [get_ports {pcie_rx_p[0]}] ;# MGTYRXP3_227
set_property -dict {LOC AF7} [get_ports {pcie_tx_p[0]}] ;# MGTYTXP3_227
set_property -dict {LOC AG4} [get_ports {pcie_rx_p[1]}] ;# MGTYRXP2_227
set_property -dict {LOC AG9} [get_ports {pcie_tx_p[1]}] ;# MGTYTXP2_227
set_property -dict {LOC AH2} [get_ports {pcie_rx_p[2]}] ;# MGTYRXP1_227
set_property -dict {LOC AH7} [get_ports {pcie_tx_p[2]}] ;# MGTYTXP1_227
set_property -dict {LOC AJ4} [get_ports {pcie_rx_p[3]}] ;# MGTYRXP0_227
set_property -dict {LOC AJ9} [get_ports {pcie_tx_p[3]}] ;# MGTYTXP0_227
set_property -dict {LOC AM11} [get_ports pcie_refclk_p] ;# MGTREFCLK0P_226
create_clock -period 10.000 -name pcie_refclk [get_ports pcie_refclk_p]

# PERST# from the edge connector (CHECK: UG1289, bank 65 at 1.2 V)
set_property -dict {LOC BD21 IOSTANDARD LVCMOS12 PULLUP true} [get_ports pcie_reset_n]
set_false_path -from [get_ports pcie_reset_n]
set_input_delay 0 [get_ports pcie_reset_n]
