// Simulation wrapper: the endpoint core at the table sizes the tests sweep besides the default
// 2048 (1, 4 and 32 vectors; MSI capable of as many, at most 32), each on its own clock and reset,
// so a Verilator model evaluates only the core its harness clocks. One model library holds this
// and the 2048-vector core: one Verilator run per model, one copy of the runtime.
module irqrig_sweep (
  // NumVectors = 1
  input  logic        n1_clk_i,
  input  logic        n1_rst_ni,
  input  logic [31:0] n1_s_axis_rx_tdata,
  input  logic        n1_s_axis_rx_tvalid,
  output logic        n1_s_axis_rx_tready,
  input  logic        n1_s_axis_rx_tlast,
  output logic [31:0] n1_m_axis_tx_tdata,
  output logic        n1_m_axis_tx_tvalid,
  input  logic        n1_m_axis_tx_tready,
  output logic        n1_m_axis_tx_tlast,
  output logic [63:0] n1_time_o,
  // NumVectors = 4
  input  logic        n4_clk_i,
  input  logic        n4_rst_ni,
  input  logic [31:0] n4_s_axis_rx_tdata,
  input  logic        n4_s_axis_rx_tvalid,
  output logic        n4_s_axis_rx_tready,
  input  logic        n4_s_axis_rx_tlast,
  output logic [31:0] n4_m_axis_tx_tdata,
  output logic        n4_m_axis_tx_tvalid,
  input  logic        n4_m_axis_tx_tready,
  output logic        n4_m_axis_tx_tlast,
  output logic [63:0] n4_time_o,
  // NumVectors = 32
  input  logic        n32_clk_i,
  input  logic        n32_rst_ni,
  input  logic [31:0] n32_s_axis_rx_tdata,
  input  logic        n32_s_axis_rx_tvalid,
  output logic        n32_s_axis_rx_tready,
  input  logic        n32_s_axis_rx_tlast,
  output logic [31:0] n32_m_axis_tx_tdata,
  output logic        n32_m_axis_tx_tvalid,
  input  logic        n32_m_axis_tx_tready,
  output logic        n32_m_axis_tx_tlast,
  output logic [63:0] n32_time_o
);

  irqrig_core #(
    .NumVectors(1),
    .MsiVectors(1)
  ) u_n1 (
    .clk_i            (n1_clk_i),
    .rst_ni           (n1_rst_ni),
    .s_axis_rx_tdata  (n1_s_axis_rx_tdata),
    .s_axis_rx_tvalid (n1_s_axis_rx_tvalid),
    .s_axis_rx_tready (n1_s_axis_rx_tready),
    .s_axis_rx_tlast  (n1_s_axis_rx_tlast),
    .m_axis_tx_tdata  (n1_m_axis_tx_tdata),
    .m_axis_tx_tvalid (n1_m_axis_tx_tvalid),
    .m_axis_tx_tready (n1_m_axis_tx_tready),
    .m_axis_tx_tlast  (n1_m_axis_tx_tlast),
    .time_o           (n1_time_o)
  );

  irqrig_core #(
    .NumVectors(4),
    .MsiVectors(4)
  ) u_n4 (
    .clk_i            (n4_clk_i),
    .rst_ni           (n4_rst_ni),
    .s_axis_rx_tdata  (n4_s_axis_rx_tdata),
    .s_axis_rx_tvalid (n4_s_axis_rx_tvalid),
    .s_axis_rx_tready (n4_s_axis_rx_tready),
    .s_axis_rx_tlast  (n4_s_axis_rx_tlast),
    .m_axis_tx_tdata  (n4_m_axis_tx_tdata),
    .m_axis_tx_tvalid (n4_m_axis_tx_tvalid),
    .m_axis_tx_tready (n4_m_axis_tx_tready),
    .m_axis_tx_tlast  (n4_m_axis_tx_tlast),
    .time_o           (n4_time_o)
  );

  irqrig_core #(
    .NumVectors(32),
    .MsiVectors(32)
  ) u_n32 (
    .clk_i            (n32_clk_i),
    .rst_ni           (n32_rst_ni),
    .s_axis_rx_tdata  (n32_s_axis_rx_tdata),
    .s_axis_rx_tvalid (n32_s_axis_rx_tvalid),
    .s_axis_rx_tready (n32_s_axis_rx_tready),
    .s_axis_rx_tlast  (n32_s_axis_rx_tlast),
    .m_axis_tx_tdata  (n32_m_axis_tx_tdata),
    .m_axis_tx_tvalid (n32_m_axis_tx_tvalid),
    .m_axis_tx_tready (n32_m_axis_tx_tready),
    .m_axis_tx_tlast  (n32_m_axis_tx_tlast),
    .time_o           (n32_time_o)
  );

endmodule
