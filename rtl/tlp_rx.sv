// Receive side of the host -> device TLP stream: collects one TLP (one DW per beat) into a buffer
// and holds it, with the stream stalled, until the request controller has executed it. The header
// DWs are outputs; payload DWs are read one at a time through an index (no wide bus to copy).
module tlp_rx #(
  parameter int unsigned MaxDw = 20  // DWs kept; longer TLPs are counted but not stored
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  // host -> device stream
  input  logic [31:0]          rx_tdata_i,
  input  logic                 rx_tvalid_i,
  output logic                 rx_tready_o,
  input  logic                 rx_tlast_i,
  // the buffered TLP: DWs 0-3 (a 4DW header, or a 3DW header and the first payload DW), and the
  // DW at rd_idx_i
  output logic                 tlp_valid_o,
  output logic [4*32-1:0]      tlp_hdr_o,
  input  logic [4:0]           rd_idx_i,
  output logic [31:0]          rd_dw_o,
  output logic [10:0]          tlp_ndw_o,   // DWs received, saturating
  input  logic                 tlp_done_i   // frees the buffer
);

  localparam int unsigned IdxW = $clog2(MaxDw);

  logic [31:0] buf_q [MaxDw];
  logic [10:0] cnt_q;
  logic        full_q;

  assign rx_tready_o = !full_q;
  assign tlp_valid_o = full_q;
  assign tlp_ndw_o   = cnt_q;

  assign tlp_hdr_o = {buf_q[3], buf_q[2], buf_q[1], buf_q[0]};
  // Indexes past the buffer are never read: the request controller stops at the TLP's length.
  assign rd_dw_o   = (32'(rd_idx_i) < MaxDw) ? buf_q[rd_idx_i[IdxW-1:0]] : 32'h0;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cnt_q  <= '0;
      full_q <= 1'b0;
    end else if (full_q) begin
      if (tlp_done_i) begin
        cnt_q  <= '0;
        full_q <= 1'b0;
      end
    end else if (rx_tvalid_i) begin
      if (cnt_q != '1) cnt_q <= cnt_q + 11'd1;
      if (rx_tlast_i) full_q <= 1'b1;
    end
  end

  // Data path, no reset.
  always_ff @(posedge clk_i) begin
    if (!full_q && rx_tvalid_i && cnt_q < 11'(MaxDw)) begin
      buf_q[cnt_q[IdxW-1:0]] <= rx_tdata_i;
    end
  end

endmodule
