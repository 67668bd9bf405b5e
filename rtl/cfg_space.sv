// Type-0 configuration header of the endpoint with its MSI-X capability: IDs, Command, Status,
// BAR0 (32-bit, non-prefetchable), Capabilities Pointer and the MSI-X Message Control, Table and
// PBA registers. Unimplemented registers read 0; byte enables are honoured on writes.
module cfg_space #(
  parameter int unsigned NumVectors = 2048
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
  output logic [7:0]  bus_o,
  output logic [4:0]  dev_o
);

  localparam int unsigned Bar0SizeLog2 = irqrig_reg_pkg::Bar0SizeLog2;
  localparam int unsigned CmdMem       = tlp_pkg::PciCommandMemory;
  localparam int unsigned CmdMaster    = tlp_pkg::PciCommandMaster;
  localparam int unsigned CmdIntxDis   = tlp_pkg::PciCommandIntxDis;
  localparam int unsigned MsixEnable   = 16 + tlp_pkg::PciMsixFlagsEnable;  // bit in the DW
  localparam int unsigned MsixFmask    = 16 + tlp_pkg::PciMsixFlagsMask;

  localparam logic [9:0] IdDw        = tlp_pkg::PciVendorId[11:2];
  localparam logic [9:0] CommandDw   = irqrig_reg_pkg::CfgCommand[11:2];
  localparam logic [9:0] ClassDw     = tlp_pkg::PciClassRevision[11:2];
  localparam logic [9:0] HeaderDw    = tlp_pkg::PciCacheLineSize[11:2];
  localparam logic [9:0] Bar0Dw      = irqrig_reg_pkg::CfgBar0[11:2];
  localparam logic [9:0] CapPtrDw    = irqrig_reg_pkg::CfgCapPtr[11:2];
  localparam logic [11:0] MsixCtrlB  = irqrig_reg_pkg::CfgMsixCap + tlp_pkg::PciMsixFlags;
  localparam logic [11:0] MsixTableB = irqrig_reg_pkg::CfgMsixCap + tlp_pkg::PciMsixTable;
  localparam logic [11:0] MsixPbaB   = irqrig_reg_pkg::CfgMsixCap + tlp_pkg::PciMsixPba;
  localparam logic [9:0] MsixCtrlDw  = MsixCtrlB[11:2];
  localparam logic [9:0] MsixTableDw = MsixTableB[11:2];
  localparam logic [9:0] MsixPbaDw   = MsixPbaB[11:2];
  localparam logic [10:0] TableSize  = 11'(NumVectors - 1);
  localparam int unsigned BarW       = 32 - Bar0SizeLog2;

  logic            mem_en_q, bme_q, intx_dis_q, msix_en_q, msix_fmask_q;
  logic [BarW-1:0] bar_q;
  logic [7:0]      bus_q;
  logic [4:0]      dev_q;
  logic [31:0]     rdata_q;

  logic [15:0] command, status;
  logic [31:0] bar_full, bar_wr;

  always_comb begin
    command             = 16'h0;
    command[CmdIntxDis] = intx_dis_q;
    command[CmdMaster]  = bme_q;
    command[CmdMem]     = mem_en_q;
  end
  assign status   = tlp_pkg::PciStatusCapList;
  // Memory space, 32-bit, not prefetchable: bits 3:0 read 0.
  assign bar_full = {bar_q, {Bar0SizeLog2{1'b0}}};

  always_comb begin
    bar_wr = bar_full;
    for (int b = 0; b < 4; b++) begin
      if (be_i[b]) bar_wr[8*b +: 8] = wdata_i[8*b +: 8];
    end
  end

  logic [31:0] rdata_d;
  always_comb begin
    rdata_d = 32'h0;
    case (addr_i)
      IdDw:        rdata_d = {irqrig_reg_pkg::DeviceId, irqrig_reg_pkg::VendorId};
      CommandDw:   rdata_d = {status, command};
      ClassDw:     rdata_d = {irqrig_reg_pkg::ClassCode, irqrig_reg_pkg::RevisionId};
      HeaderDw:    rdata_d = {8'h00, tlp_pkg::PciHeaderType0, 16'h0000};
      Bar0Dw:      rdata_d = bar_full;
      CapPtrDw:    rdata_d = {24'h0, irqrig_reg_pkg::CfgMsixCap[7:0]};
      MsixCtrlDw:  rdata_d = {msix_en_q, msix_fmask_q, 3'b000, TableSize, 8'h00,
                              tlp_pkg::PciCapIdMsix};
      MsixTableDw: rdata_d = {irqrig_reg_pkg::MsixTableOffset[31:3], 3'b000};  // BIR 0
      MsixPbaDw:   rdata_d = {irqrig_reg_pkg::MsixPbaOffset[31:3], 3'b000};    // BIR 0
      default:     rdata_d = 32'h0;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mem_en_q     <= 1'b0;
      bme_q        <= 1'b0;
      intx_dis_q   <= 1'b0;
      msix_en_q    <= 1'b0;
      msix_fmask_q <= 1'b0;
      bar_q        <= '0;
      bus_q        <= 8'h0;
      dev_q        <= 5'h0;
      rdata_q      <= 32'h0;
    end else begin
      rdata_q <= (req_i && !we_i) ? rdata_d : 32'h0;
      if (req_i && we_i) begin
        // A function captures its Bus and Device Number from every Type 0 CfgWr (PCIe 2.2.6.2).
        bus_q <= id_i[12:5];
        dev_q <= id_i[4:0];
        case (addr_i)
          CommandDw: begin
            if (be_i[CmdMem / 8])     mem_en_q   <= wdata_i[CmdMem];
            if (be_i[CmdMaster / 8])  bme_q      <= wdata_i[CmdMaster];
            if (be_i[CmdIntxDis / 8]) intx_dis_q <= wdata_i[CmdIntxDis];
          end
          Bar0Dw: bar_q <= bar_wr[31:Bar0SizeLog2];
          MsixCtrlDw: begin
            if (be_i[MsixEnable / 8]) msix_en_q    <= wdata_i[MsixEnable];
            if (be_i[MsixFmask / 8])  msix_fmask_q <= wdata_i[MsixFmask];
          end
          default: ;
        endcase
      end
    end
  end

  assign rdata_o         = rdata_q;
  assign mem_en_o        = mem_en_q;
  assign bus_master_en_o = bme_q;
  assign bar0_o          = bar_full;
  assign msix_en_o       = msix_en_q;
  assign msix_fmask_o    = msix_fmask_q;
  assign bus_o           = bus_q;
  assign dev_o           = dev_q;

  // Bits below the BAR size are hard-wired zero; the write path computes them anyway.
  logic unused_bar_wr;
  assign unused_bar_wr = ^bar_wr[Bar0SizeLog2-1:0];

endmodule
