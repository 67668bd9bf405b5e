// Transmit side: puts the completions, the ring writer's record and producer writes and the
// sender's messages onto the device -> host stream, one DW per beat. Arbitration is per whole TLP
// and round robin over the three sources, and a choice holds from the first beat offered, so
// m_axis data never changes under backpressure. Each source offers one TLP at a time and keeps it
// until done, so nothing is lost or reordered within a source; across sources the order is the
// order the sources offered in (a message is only fired after its record's TLPs are done).
module tlp_tx (
  input  logic        clk_i,
  input  logic        rst_ni,
  // every source holds its TLP and returns the DW at rd_idx_o
  output logic [4:0]  rd_idx_o,
  // completions
  input  logic        cpl_valid_i,
  input  logic [31:0] cpl_dw_i,
  input  logic [4:0]  cpl_ndw_i,
  output logic        cpl_done_o,
  // record and producer-index writes
  input  logic        dma_valid_i,
  input  logic [31:0] dma_dw_i,
  input  logic [3:0]  dma_ndw_i,
  output logic        dma_done_o,
  // MSI / MSI-X messages
  input  logic        msg_valid_i,
  input  logic [31:0] msg_dw_i,
  input  logic [2:0]  msg_ndw_i,
  output logic        msg_done_o,
  // device -> host stream
  output logic [31:0] tx_tdata_o,
  output logic        tx_tvalid_o,
  input  logic        tx_tready_i,
  output logic        tx_tlast_o
);

  // Sources (a plain code, not an enum: Icarus 11 rejects enums from a conditional operator)
  localparam logic [1:0] SrcCpl = 2'd0;
  localparam logic [1:0] SrcDma = 2'd1;
  localparam logic [1:0] SrcMsg = 2'd2;

  logic       busy_q, busy_d;   // a TLP has been offered and is not finished
  logic [1:0] sel_q, sel_d;     // the source being sent
  logic [1:0] last_q, last_d;   // the source that sent last: it loses the next tie
  logic [4:0] idx_q, idx_d;
  logic [1:0] grant, cur;
  logic       any, last, hs;

  // Round robin: starting after the source that sent last.
  always_comb begin
    grant = SrcCpl;
    case (last_q)
      SrcCpl:  grant = dma_valid_i ? SrcDma : msg_valid_i ? SrcMsg : SrcCpl;
      SrcDma:  grant = msg_valid_i ? SrcMsg : cpl_valid_i ? SrcCpl : SrcDma;
      default: grant = cpl_valid_i ? SrcCpl : dma_valid_i ? SrcDma : SrcMsg;
    endcase
  end
  assign any = cpl_valid_i || dma_valid_i || msg_valid_i;
  assign cur = busy_q ? sel_q : grant;

  always_comb begin
    tx_tvalid_o = busy_q || any;
    case (cur)
      SrcDma: begin
        tx_tdata_o = dma_dw_i;
        last       = idx_q == {1'b0, dma_ndw_i} - 5'd1;
      end
      SrcMsg: begin
        tx_tdata_o = msg_dw_i;
        last       = idx_q == {2'b0, msg_ndw_i} - 5'd1;
      end
      default: begin
        tx_tdata_o = cpl_dw_i;
        last       = idx_q == cpl_ndw_i - 5'd1;
      end
    endcase
  end
  assign rd_idx_o = idx_q;
  assign tx_tlast_o = last;
  assign hs         = tx_tvalid_o && tx_tready_i;

  always_comb begin
    busy_d     = busy_q;
    sel_d      = sel_q;
    last_d     = last_q;
    idx_d      = idx_q;
    cpl_done_o = 1'b0;
    dma_done_o = 1'b0;
    msg_done_o = 1'b0;
    if (tx_tvalid_o) begin
      if (hs && last) begin
        busy_d     = 1'b0;
        idx_d      = 5'd0;
        last_d     = cur;
        cpl_done_o = cur == SrcCpl;
        dma_done_o = cur == SrcDma;
        msg_done_o = cur == SrcMsg;
      end else begin
        busy_d = 1'b1;
        sel_d  = cur;
        idx_d  = idx_q + 5'(hs);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      sel_q  <= SrcCpl;
      last_q <= SrcMsg;
      idx_q  <= 5'd0;
    end else begin
      busy_q <= busy_d;
      sel_q  <= sel_d;
      last_q <= last_d;
      idx_q  <= idx_d;
    end
  end

`ifndef SYNTHESIS
  // A source keeps offering the TLP it started until the last beat is taken.
  always @(posedge clk_i) begin
    if (rst_ni && busy_q) begin
      assert ((sel_q == SrcCpl && cpl_valid_i) || (sel_q == SrcDma && dma_valid_i) ||
              (sel_q == SrcMsg && msg_valid_i))
        else $error("tlp_tx: source %0d withdrew a TLP under way", sel_q);
    end
  end
`endif

endmodule
