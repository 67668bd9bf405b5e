// Transmit side: puts the completions and the DMA writer's TLPs onto the device -> host stream,
// one DW per beat. Arbitration is per whole TLP and round robin, and a choice holds from the first
// beat offered, so m_axis data never changes under backpressure.
module tlp_tx (
  input  logic                                clk_i,
  input  logic                                rst_ni,
  // completions
  input  logic                                cpl_valid_i,
  input  logic [tlp_pkg::CplMaxDw*32-1:0]     cpl_dw_i,
  input  logic [4:0]                          cpl_ndw_i,
  output logic                                cpl_done_o,
  // device-originated writes
  input  logic                                dma_valid_i,
  input  logic [tlp_pkg::DmaMaxDw*32-1:0]     dma_dw_i,
  input  logic [3:0]                          dma_ndw_i,
  output logic                                dma_done_o,
  // device -> host stream
  output logic [31:0]                         tx_tdata_o,
  output logic                                tx_tvalid_o,
  input  logic                                tx_tready_i,
  output logic                                tx_tlast_o
);

  localparam int unsigned DmaIdxW = $clog2(tlp_pkg::DmaMaxDw);

  logic [31:0] cpl_dw [tlp_pkg::CplMaxDw];
  logic [31:0] dma_dw [tlp_pkg::DmaMaxDw];
  for (genvar k = 0; k < tlp_pkg::CplMaxDw; k++) begin : gen_cpl_dw
    assign cpl_dw[k] = cpl_dw_i[32*k +: 32];
  end
  for (genvar k = 0; k < tlp_pkg::DmaMaxDw; k++) begin : gen_dma_dw
    assign dma_dw[k] = dma_dw_i[32*k +: 32];
  end

  logic       busy_q, busy_d;   // a TLP has been offered and is not finished
  logic       sel_q, sel_d;     // 0 completion, 1 DMA
  logic       prio_q, prio_d;   // who wins the next tie
  logic [4:0] idx_q, idx_d;
  logic       grant, cur, last, hs;

  // Round robin: the source that did not send last wins a tie.
  assign grant = dma_valid_i && (!cpl_valid_i || prio_q);
  assign cur   = busy_q ? sel_q : grant;

  always_comb begin
    tx_tvalid_o = busy_q || cpl_valid_i || dma_valid_i;
    if (cur) begin
      tx_tdata_o = dma_dw[idx_q[DmaIdxW-1:0]];
      last       = idx_q == {1'b0, dma_ndw_i} - 5'd1;
    end else begin
      tx_tdata_o = cpl_dw[idx_q];
      last       = idx_q == cpl_ndw_i - 5'd1;
    end
  end
  assign tx_tlast_o = last;
  assign hs         = tx_tvalid_o && tx_tready_i;

  always_comb begin
    busy_d     = busy_q;
    sel_d      = sel_q;
    prio_d     = prio_q;
    idx_d      = idx_q;
    cpl_done_o = 1'b0;
    dma_done_o = 1'b0;
    if (tx_tvalid_o) begin
      if (hs && last) begin
        busy_d     = 1'b0;
        idx_d      = 5'd0;
        prio_d     = !cur;
        cpl_done_o = !cur;
        dma_done_o = cur;
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
      sel_q  <= 1'b0;
      prio_q <= 1'b0;
      idx_q  <= 5'd0;
    end else begin
      busy_q <= busy_d;
      sel_q  <= sel_d;
      prio_q <= prio_d;
      idx_q  <= idx_d;
    end
  end

endmodule
