// Type-0 configuration header of the endpoint with its two interrupt capabilities in one list:
// Capabilities Pointer -> MSI-X (Message Control, Table, PBA) -> MSI (64-bit, per-vector masking:
// Message Control, Address, Upper Address, Data, Mask Bits, Pending Bits) -> end. IDs, Command,
// Status and BAR0 (32-bit, non-prefetchable) complete the header. Unimplemented registers read 0;
// byte enables are honoured on writes. The MSI Pending Bits live here; the message sender sets and
// clears them through a one-bit port.
module cfg_space #(
  parameter int unsigned NumVectors = 2048,  // MSI-X Table Size
  parameter int unsigned MsiVectors = 32     // MSI Multiple Message Capable, a power of two <= 32
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  // access by DW number (ExtReg, Reg); read data follows one cycle after the request
  input  logic        req_i,
  input  logic        we_i,
  input  logic [9:0]  addr_i,
  input  logic [3:0]  be_i,
  input  logic [31:0] wdata_i,
  input  logic [12:0] id_i,          // {bus, device} from the CfgWr0, captured on every write
  output logic [31:0] rdata_o,
  // state the rest of the endpoint acts on
  output logic        mem_en_o,
  output logic        bus_master_en_o,
  output logic [31:0] bar0_o,
  output logic        msix_en_o,
  output logic        msix_fmask_o,
  output logic        msi_en_o,
  output logic [2:0]  msi_log2n_o,   // Multiple Message Enable: 1 << msi_log2n_o vectors
  output logic [63:0] msi_addr_o,
  output logic [15:0] msi_data_o,
  output logic [31:0] msi_mask_o,
  output logic [31:0] msi_pend_o,
  // the sender's pending-bit port (set wins over clear of the same bit)
  input  logic        msi_pend_set_i,
  input  logic        msi_pend_clr_i,
  input  logic [4:0]  msi_pend_idx_i,
  output logic [7:0]  bus_o,
  output logic [4:0]  dev_o
);

  localparam int unsigned Bar0SizeLog2 = irqrig_reg_pkg::Bar0SizeLog2;
  localparam int unsigned CmdMem       = tlp_pkg::PciCommandMemory;
  localparam int unsigned CmdMaster    = tlp_pkg::PciCommandMaster;
  localparam int unsigned CmdIntxDis   = tlp_pkg::PciCommandIntxDis;
  localparam int unsigned MsixEnable   = 16 + tlp_pkg::PciMsixFlagsEnable;  // bit in the DW
  localparam int unsigned MsixFmask    = 16 + tlp_pkg::PciMsixFlagsMask;
  localparam int unsigned MsiEnable    = 16 + tlp_pkg::PciMsiFlagsEnable;
  localparam int unsigned MsiQsize     = 16 + tlp_pkg::PciMsiFlagsQsize;

  localparam logic [11:0] MsixCap    = irqrig_reg_pkg::CfgMsixCap;
  localparam logic [11:0] MsiCap     = irqrig_reg_pkg::CfgMsiCap;
  localparam logic [9:0] IdDw        = tlp_pkg::PciVendorId[11:2];
  localparam logic [9:0] CommandDw   = irqrig_reg_pkg::CfgCommand[11:2];
  localparam logic [9:0] ClassDw     = tlp_pkg::PciClassRevision[11:2];
  localparam logic [9:0] HeaderDw    = tlp_pkg::PciCacheLineSize[11:2];
  localparam logic [9:0] Bar0Dw      = irqrig_reg_pkg::CfgBar0[11:2];
  localparam logic [9:0] CapPtrDw    = irqrig_reg_pkg::CfgCapPtr[11:2];
  localparam logic [11:0] MsixCtrlB  = MsixCap + tlp_pkg::PciMsixFlags;
  localparam logic [11:0] MsixTableB = MsixCap + tlp_pkg::PciMsixTable;
  localparam logic [11:0] MsixPbaB   = MsixCap + tlp_pkg::PciMsixPba;
  localparam logic [11:0] MsiCtrlB   = MsiCap + tlp_pkg::PciMsiFlags;
  localparam logic [11:0] MsiAddrLoB = MsiCap + tlp_pkg::PciMsiAddrLo;
  localparam logic [11:0] MsiAddrHiB = MsiCap + tlp_pkg::PciMsiAddrHi;
  localparam logic [11:0] MsiDataB   = MsiCap + tlp_pkg::PciMsiData64;
  localparam logic [11:0] MsiMaskB   = MsiCap + tlp_pkg::PciMsiMask64;
  localparam logic [11:0] MsiPendB   = MsiCap + tlp_pkg::PciMsiPending64;
  localparam logic [9:0] MsixCtrlDw  = MsixCtrlB[11:2];
  localparam logic [9:0] MsixTableDw = MsixTableB[11:2];
  localparam logic [9:0] MsixPbaDw   = MsixPbaB[11:2];
  localparam logic [9:0] MsiCtrlDw   = MsiCtrlB[11:2];
  localparam logic [9:0] MsiAddrLoDw = MsiAddrLoB[11:2];
  localparam logic [9:0] MsiAddrHiDw = MsiAddrHiB[11:2];
  localparam logic [9:0] MsiDataDw   = MsiDataB[11:2];
  localparam logic [9:0] MsiMaskDw   = MsiMaskB[11:2];
  localparam logic [9:0] MsiPendDw   = MsiPendB[11:2];
  localparam logic [10:0] TableSize  = 11'(NumVectors - 1);
  localparam int unsigned BarW       = 32 - Bar0SizeLog2;
  // Multiple Message Capable = log2(MsiVectors); mask and pending bits exist for those vectors.
  localparam logic [2:0]  MsiMmc     = 3'($clog2(MsiVectors));
  localparam logic [31:0] MsiBits    = (MsiVectors >= 32) ? 32'hFFFF_FFFF :
                                       ((32'h1 << MsiVectors) - 32'h1);

  logic            mem_en_q, bme_q, intx_dis_q, msix_en_q, msix_fmask_q;
  logic            msi_en_q;
  logic [2:0]      msi_mme_q;
  logic [31:0]     msi_addr_lo_q, msi_addr_hi_q, msi_mask_q, msi_pend_q;
  logic [15:0]     msi_data_q;
  logic [BarW-1:0] bar_q;
  logic [7:0]      bus_q;
  logic [4:0]      dev_q;
  logic [31:0]     rdata_q;

  logic [15:0] command, status, msi_ctrl;
  logic [31:0] bar_full;

  always_comb begin
    command             = 16'h0;
    command[CmdIntxDis] = intx_dis_q;
    command[CmdMaster]  = bme_q;
    command[CmdMem]     = mem_en_q;
  end
  assign status   = tlp_pkg::PciStatusCapList;
  // Memory space, 32-bit, not prefetchable: bits 3:0 read 0.
  assign bar_full = {bar_q, {Bar0SizeLog2{1'b0}}};

  // A continuous assignment: Icarus 11 loops on an always_comb writing part-selects of it.
  assign msi_ctrl = (16'(msi_en_q) << tlp_pkg::PciMsiFlagsEnable) |
                    (16'(MsiMmc) << tlp_pkg::PciMsiFlagsQmask) |
                    (16'(msi_mme_q) << tlp_pkg::PciMsiFlagsQsize) |
                    (16'h1 << tlp_pkg::PciMsiFlags64bit) |
                    (16'h1 << tlp_pkg::PciMsiFlagsMaskbit);

  // Byte-merged write data of the registers wider than a field; computed only in the write
  // branch that needs it, so simulation does not redo it every cycle.
  function automatic logic [31:0] merge(input logic [31:0] old, input logic [31:0] wdata,
                                        input logic [3:0] be);
    logic [31:0] bytes;
    bytes = {{8{be[3]}}, {8{be[2]}}, {8{be[1]}}, {8{be[0]}}};
    merge = (old & ~bytes) | (wdata & bytes);
  endfunction

  // The register at DW `a`, as a function called only for a read (simulation skips the
  // multiplexer on other cycles; an always_comb gated by the request loops in Icarus 11).
  function automatic logic [31:0] read_dw(input logic [9:0] a);
    case (a)
      IdDw:        read_dw = {irqrig_reg_pkg::DeviceId, irqrig_reg_pkg::VendorId};
      CommandDw:   read_dw = {status, command};
      ClassDw:     read_dw = {irqrig_reg_pkg::ClassCode, irqrig_reg_pkg::RevisionId};
      HeaderDw:    read_dw = {8'h00, tlp_pkg::PciHeaderType0, 16'h0000};
      Bar0Dw:      read_dw = bar_full;
      CapPtrDw:    read_dw = {24'h0, MsixCap[7:0]};
      MsixCtrlDw:  read_dw = {msix_en_q, msix_fmask_q, 3'b000, TableSize, MsiCap[7:0],
                              tlp_pkg::PciCapIdMsix};
      MsixTableDw: read_dw = {irqrig_reg_pkg::MsixTableOffset[31:3], 3'b000};  // BIR 0
      MsixPbaDw:   read_dw = {irqrig_reg_pkg::MsixPbaOffset[31:3], 3'b000};    // BIR 0
      MsiCtrlDw:   read_dw = {msi_ctrl, 8'h00, tlp_pkg::PciCapIdMsi};           // last in the list
      MsiAddrLoDw: read_dw = {msi_addr_lo_q[31:2], 2'b00};
      MsiAddrHiDw: read_dw = msi_addr_hi_q;
      MsiDataDw:   read_dw = {16'h0, msi_data_q};  // no Extended Message Data
      MsiMaskDw:   read_dw = msi_mask_q;
      MsiPendDw:   read_dw = msi_pend_q;
      default:     read_dw = 32'h0;
    endcase
  endfunction

  // Multiple Message Enable above Multiple Message Capable is clamped on write (as QEMU's msi.c
  // does), so software reads back the number of vectors it really got.
  logic [2:0] mme_wr;
  assign mme_wr = (wdata_i[MsiQsize +: 3] > MsiMmc) ? MsiMmc : wdata_i[MsiQsize +: 3];

  logic wr;
  assign wr = req_i && we_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mem_en_q      <= 1'b0;
      bme_q         <= 1'b0;
      intx_dis_q    <= 1'b0;
      msix_en_q     <= 1'b0;
      msix_fmask_q  <= 1'b0;
      msi_en_q      <= 1'b0;
      msi_mme_q     <= 3'd0;
      msi_addr_lo_q <= 32'h0;
      msi_addr_hi_q <= 32'h0;
      msi_data_q    <= 16'h0;
      msi_mask_q    <= 32'h0;
      msi_pend_q    <= 32'h0;
      bar_q         <= '0;
      bus_q         <= 8'h0;
      dev_q         <= 5'h0;
      rdata_q       <= 32'h0;
    end else begin
      rdata_q <= (req_i && !we_i) ? read_dw(addr_i) : 32'h0;
      if (wr) begin
        // A function captures its Bus and Device Number from every Type 0 CfgWr (PCIe 2.2.6.2).
        bus_q <= id_i[12:5];
        dev_q <= id_i[4:0];
        case (addr_i)
          CommandDw: begin
            if (be_i[CmdMem / 8])     mem_en_q   <= wdata_i[CmdMem];
            if (be_i[CmdMaster / 8])  bme_q      <= wdata_i[CmdMaster];
            if (be_i[CmdIntxDis / 8]) intx_dis_q <= wdata_i[CmdIntxDis];
          end
          // Bits below the BAR size are hard-wired zero.
          Bar0Dw: bar_q <= BarW'(merge(bar_full, wdata_i, be_i) >> Bar0SizeLog2);
          MsixCtrlDw: begin
            if (be_i[MsixEnable / 8]) msix_en_q    <= wdata_i[MsixEnable];
            if (be_i[MsixFmask / 8])  msix_fmask_q <= wdata_i[MsixFmask];
          end
          MsiCtrlDw: begin
            if (be_i[MsiEnable / 8]) msi_en_q  <= wdata_i[MsiEnable];
            if (be_i[MsiQsize / 8])  msi_mme_q <= mme_wr;
          end
          // Address bits 1:0 are reserved zero; Message Data has no upper half here.
          MsiAddrLoDw: msi_addr_lo_q <= merge(msi_addr_lo_q, wdata_i, be_i) & 32'hFFFF_FFFC;
          MsiAddrHiDw: msi_addr_hi_q <= merge(msi_addr_hi_q, wdata_i, be_i);
          MsiDataDw:   msi_data_q    <= 16'(merge({16'h0, msi_data_q}, wdata_i, be_i));
          MsiMaskDw:   msi_mask_q    <= merge(msi_mask_q, wdata_i, be_i) & MsiBits;
          default: ;
        endcase
      end
      if (msi_pend_set_i) begin
        msi_pend_q[msi_pend_idx_i] <= 1'b1;
      end else if (msi_pend_clr_i) begin
        msi_pend_q[msi_pend_idx_i] <= 1'b0;
      end
    end
  end

  assign rdata_o         = rdata_q;
  assign mem_en_o        = mem_en_q;
  assign bus_master_en_o = bme_q;
  assign bar0_o          = bar_full;
  assign msix_en_o       = msix_en_q;
  assign msix_fmask_o    = msix_fmask_q;
  assign msi_en_o        = msi_en_q;
  assign msi_log2n_o     = msi_mme_q;
  assign msi_addr_o      = {msi_addr_hi_q, msi_addr_lo_q};
  assign msi_data_o      = msi_data_q;
  assign msi_mask_o      = msi_mask_q;
  assign msi_pend_o      = msi_pend_q;
  assign bus_o           = bus_q;
  assign dev_o           = dev_q;

`ifndef SYNTHESIS
  always @(posedge clk_i) begin
    if (rst_ni && msi_pend_set_i) begin
      assert (32'(msi_pend_idx_i) < MsiVectors)
        else $error("cfg_space: MSI pending bit %0d set past the capable vectors", msi_pend_idx_i);
    end
  end
`endif

endmodule
