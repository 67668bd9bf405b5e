// MSI-X table and Pending Bit Array in BAR0 (PCI 3.0 6.8.2; SEMANTICS A5-A7). The table data sits
// in RAMs with registered reads (one port for the host, one for the message sender); per-vector
// mask bits and the PBA are arrays of 32-bit words. A message for a masked vector (or with MSI-X
// disabled) sets its PBA bit; after anything that can unmask a vector the PBA is scanned one
// 32-bit word per cycle and every pending, now unmasked vector is offered for exactly one message.
module msix_table #(
  parameter int unsigned NumVectors = 2048
) (
  input  logic                                     clk_i,
  input  logic                                     rst_ni,
  // BAR0 access by DW offset; read data follows one cycle after the request, 0 outside the
  // table and PBA windows
  input  logic                                     req_i,
  input  logic                                     we_i,
  input  logic [irqrig_reg_pkg::Bar0SizeLog2-3:0]  addr_i,
  input  logic [3:0]                               be_i,
  input  logic [31:0]                              wdata_i,
  output logic [31:0]                              rdata_o,
  // Message Control
  input  logic                                     msix_en_i,
  input  logic                                     fmask_i,
  // message port: table entry of msg_vec_i one cycle later; mask state now
  input  logic [10:0]                              msg_vec_i,
  output logic [63:0]                              msg_addr_o,
  output logic [31:0]                              msg_data_o,
  output logic                                     msg_masked_o,
  input  logic                                     pend_set_i,   // set PBA[msg_vec_i]
  // pending vectors released by an unmask; accepting one clears its PBA bit
  output logic                                     rel_valid_o,
  output logic [10:0]                              rel_vec_o,
  input  logic                                     rel_ready_i
);

  localparam int unsigned MemW       = (NumVectors > 1) ? $clog2(NumVectors) : 1;
  localparam int unsigned MemDepth   = 1 << MemW;
  localparam int unsigned NumWords   = (NumVectors + 31) / 32;
  localparam int unsigned WordW      = (NumWords > 1) ? $clog2(NumWords) : 1;
  localparam int unsigned WordDepth  = 1 << WordW;
  localparam logic [WordW-1:0] LastWord = WordW'(NumWords - 1);
  localparam logic [31:0] TableEnd   = irqrig_reg_pkg::MsixTableOffset + 32'(NumVectors * 16);
  localparam logic [31:0] PbaEnd     = irqrig_reg_pkg::MsixPbaOffset + 32'(NumWords * 4);

  // ---------------------------------------------------------------------------------------------
  // Host decode
  // ---------------------------------------------------------------------------------------------
  logic [31:0] byte_off, tbl_off, pba_off;
  logic        in_table, in_pba;
  logic [10:0] entry;
  logic [1:0]  entry_dw;

  assign byte_off = 32'({addr_i, 2'b00});
  assign tbl_off  = byte_off - irqrig_reg_pkg::MsixTableOffset;
  assign pba_off  = byte_off - irqrig_reg_pkg::MsixPbaOffset;
  assign in_table = byte_off >= irqrig_reg_pkg::MsixTableOffset && byte_off < TableEnd;
  assign in_pba   = byte_off >= irqrig_reg_pkg::MsixPbaOffset && byte_off < PbaEnd;
  assign entry    = tbl_off[14:4];
  assign entry_dw = tbl_off[3:2];

  logic tbl_wr;
  assign tbl_wr = req_i && we_i && in_table;

  // ---------------------------------------------------------------------------------------------
  // Table RAMs: message address low, high and data; vector control is the mask flop below
  // ---------------------------------------------------------------------------------------------
  logic [31:0] addr_lo_mem [MemDepth];
  logic [31:0] addr_hi_mem [MemDepth];
  logic [31:0] data_mem    [MemDepth];
  logic [31:0] host_lo_q, host_hi_q, host_data_q, msg_lo_q, msg_hi_q, msg_data_q;
  logic [MemW-1:0] host_idx, msg_idx;

  assign host_idx = entry[MemW-1:0];
  assign msg_idx  = msg_vec_i[MemW-1:0];

  always_ff @(posedge clk_i) begin
    for (int b = 0; b < 4; b++) begin
      if (tbl_wr && be_i[b]) begin
        if (entry_dw == 2'd0) addr_lo_mem[host_idx][8*b +: 8] <= wdata_i[8*b +: 8];
        if (entry_dw == 2'd1) addr_hi_mem[host_idx][8*b +: 8] <= wdata_i[8*b +: 8];
        if (entry_dw == 2'd2) data_mem[host_idx][8*b +: 8] <= wdata_i[8*b +: 8];
      end
    end
    // The host's port reads only for a read request (simulation skips it otherwise).
    if (req_i && !we_i) begin
      host_lo_q   <= addr_lo_mem[host_idx];
      host_hi_q   <= addr_hi_mem[host_idx];
      host_data_q <= data_mem[host_idx];
    end
    msg_lo_q    <= addr_lo_mem[msg_idx];
    msg_hi_q    <= addr_hi_mem[msg_idx];
    msg_data_q  <= data_mem[msg_idx];
  end

  // Message Address bits 1:0 are DWORD alignment, hard-wired to zero.
  assign msg_addr_o = {msg_hi_q, msg_lo_q[31:2], 2'b00};
  assign msg_data_o = msg_data_q;

  // ---------------------------------------------------------------------------------------------
  // Per-vector masks (reset to masked, A5) and the PBA, as arrays of 32-bit words: every access
  // touches one word, so no cycle costs O(NumVectors) in simulation. Bits past NumVectors are
  // never written (the table decode and the sender stop at NumVectors) and stay 1 / 0.
  // ---------------------------------------------------------------------------------------------
  logic [31:0] mask_w [WordDepth];
  logic [31:0] pba_w  [WordDepth];
  logic        active;      // neither function-masked nor disabled (A6, A7)
  logic        mask_wr;     // a vector-control write (only the mask bit is stored)
  logic        unmask_wr;   // ... clearing the mask bit

  logic [WordW-1:0] entry_word, msg_word, pba_word;
  assign entry_word = entry[5 +: WordW];
  assign msg_word   = msg_vec_i[5 +: WordW];
  assign pba_word   = pba_off[2 +: WordW];

  assign active       = msix_en_i && !fmask_i;
  assign msg_masked_o = !active || mask_w[msg_word][msg_vec_i[4:0]];
  assign mask_wr      = tbl_wr && entry_dw == 2'd3 && be_i[0];
  assign unmask_wr    = mask_wr && !wdata_i[0];

  // Scanner state
  logic             scan_q, scan_d, again_q, again_d;
  logic [WordW-1:0] word_q, word_d;
  logic             en_q, fmask_q, unmask_evt;
  logic [31:0]      elig;
  logic [4:0]       elig_bit;

  assign unmask_evt = unmask_wr || (fmask_q && !fmask_i) || (!en_q && msix_en_i);
  assign elig       = pba_w[word_q] & ~mask_w[word_q];

  assign elig_bit = irqrig_pkg::lowest_set(elig);

  logic [10:0] word_vec;
  assign word_vec    = 11'({word_q, 5'd0});
  assign rel_valid_o = scan_q && active && elig != 32'h0;
  assign rel_vec_o   = word_vec | {6'd0, elig_bit};

  always_comb begin
    scan_d  = scan_q;
    word_d  = word_q;
    again_d = again_q || (unmask_evt && scan_q);
    if (!scan_q) begin
      if (unmask_evt) begin
        scan_d = 1'b1;
        word_d = '0;
      end
    end else if (!active) begin
      // Everything is masked again; the next unmask starts a new scan.
      scan_d  = 1'b0;
      again_d = 1'b0;
    end else if (elig != 32'h0) begin
      // Stay on this word until its eligible vectors are released.
    end else if (word_q == LastWord) begin
      if (again_d) begin
        word_d  = '0;
        again_d = 1'b0;
      end else begin
        scan_d = 1'b0;
      end
    end else begin
      word_d = word_q + 1'b1;
    end
  end

  // The sender does one thing a cycle: it never pends and takes a release at once.
  logic rel_take;
  assign rel_take = rel_ready_i && rel_valid_o;

  // Whole-word writes (read-modify-write of one word), one always_ff per array: a short reset
  // loop Verilator unrolls, and logic yosys maps quickly.

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int w = 0; w < WordDepth; w++) mask_w[w] <= 32'hFFFF_FFFF;
    end else if (mask_wr) begin
      mask_w[entry_word] <= irqrig_pkg::with_bit(mask_w[entry_word], entry[4:0], wdata_i[0]);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int w = 0; w < WordDepth; w++) pba_w[w] <= 32'h0;
    end else if (pend_set_i) begin
      pba_w[msg_word] <= irqrig_pkg::with_bit(pba_w[msg_word], msg_vec_i[4:0], 1'b1);
    end else if (rel_take) begin
      pba_w[word_q] <= irqrig_pkg::with_bit(pba_w[word_q], elig_bit, 1'b0);
    end
  end

  logic        sel_table_q, sel_pba_q;
  logic [1:0]  sel_dw_q;
  logic        sel_mask_q;
  logic [31:0] pba_rd_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      scan_q      <= 1'b0;
      again_q     <= 1'b0;
      word_q      <= '0;
      en_q        <= 1'b0;
      fmask_q     <= 1'b0;
      sel_table_q <= 1'b0;
      sel_pba_q   <= 1'b0;
      sel_dw_q    <= 2'd0;
      sel_mask_q  <= 1'b0;
      pba_rd_q    <= 32'h0;
    end else begin
      scan_q      <= scan_d;
      again_q     <= again_d;
      word_q      <= word_d;
      en_q        <= msix_en_i;
      fmask_q     <= fmask_i;
      sel_table_q <= req_i && !we_i && in_table;
      sel_pba_q   <= req_i && !we_i && in_pba;
      if (req_i && !we_i) begin
        sel_dw_q   <= entry_dw;
        sel_mask_q <= mask_w[entry_word][entry[4:0]];
        pba_rd_q   <= pba_w[pba_word];
      end
    end
  end

  always_comb begin
    rdata_o = 32'h0;
    if (sel_table_q) begin
      case (sel_dw_q)
        2'd0:    rdata_o = {host_lo_q[31:2], 2'b00};
        2'd1:    rdata_o = host_hi_q;
        2'd2:    rdata_o = host_data_q;
        default: rdata_o = {31'h0, sel_mask_q};
      endcase
    end else if (sel_pba_q) begin
      rdata_o = pba_rd_q;
    end
  end

  // Offsets past the windows are decoded above; these bits only select among them. Vector
  // numbers carry 11 bits, of which the RAMs and bit words use the low ones.
  logic unused_off;
  assign unused_off = ^{tbl_off[31:15], tbl_off[1:0], pba_off, msg_lo_q[1:0],
                        host_lo_q[1:0], entry, msg_vec_i};

`ifndef SYNTHESIS
  // A PBA bit is only set while its vector is masked (A6, A7).
  always @(posedge clk_i) begin
    if (rst_ni && pend_set_i) begin
      assert (msg_masked_o) else $error("msix_table: PBA set for unmasked vector %0d", msg_vec_i);
    end
    if (rst_ni && rel_ready_i) begin
      assert (rel_valid_o) else $error("msix_table: release accepted without a pending vector");
    end
    if (rst_ni && rel_valid_o) begin
      assert (32'(rel_vec_o) < NumVectors)
        else $error("msix_table: release of vector %0d", rel_vec_o);
    end
  end
`endif

endmodule
