// Icarus smoke test of irqrig_core: reset, one CfgRd0 of the Vendor/Device ID, check the CplD.
// It proves the sources not only compile under Icarus but also simulate (no zero-delay loops).
module iverilog_smoke_tb;
  logic        clk = 1'b0;
  logic        rst_n = 1'b0;
  logic [31:0] rx_data = 32'h0;
  logic        rx_valid = 1'b0, rx_last = 1'b0, rx_ready;
  logic [31:0] tx_data;
  logic        tx_valid, tx_last;
  logic [63:0] time_now;
  logic [31:0] cpl [4];
  int          beats = 0;

  irqrig_core u_dut (
    .clk_i            (clk),
    .rst_ni           (rst_n),
    .s_axis_rx_tdata  (rx_data),
    .s_axis_rx_tvalid (rx_valid),
    .s_axis_rx_tready (rx_ready),
    .s_axis_rx_tlast  (rx_last),
    .m_axis_tx_tdata  (tx_data),
    .m_axis_tx_tvalid (tx_valid),
    .m_axis_tx_tready (1'b1),
    .m_axis_tx_tlast  (tx_last),
    .time_o           (time_now)
  );

  always #5 clk = ~clk;

  always @(posedge clk) begin
    if (tx_valid && beats < 4) begin
      cpl[beats] <= tx_data;
      beats <= beats + 1;
    end
  end

  initial begin
    #22 rst_n = 1'b1;
    @(negedge clk);
    rx_valid = 1'b1;
    rx_data  = 32'h0400_0001;  // CfgRd0, Length 1
    @(negedge clk);
    rx_data  = 32'h0000_420F;  // requester 0, tag 0x42, First BE 0xF
    @(negedge clk);
    rx_data  = 32'h0000_0000;  // bus 0, device 0, function 0, register 0
    rx_last  = 1'b1;
    @(negedge clk);
    rx_valid = 1'b0;
    rx_last  = 1'b0;
    repeat (30) @(negedge clk);
    if (beats == 4 && cpl[0] == 32'h4A00_0001 && cpl[2][15:8] == 8'h42 &&
        cpl[3] == {irqrig_reg_pkg::DeviceId, irqrig_reg_pkg::VendorId}) begin
      $display("SMOKE PASS");
    end else begin
      $display("SMOKE FAIL: %0d beats %h %h %h %h", beats, cpl[0], cpl[1], cpl[2], cpl[3]);
    end
    $finish;
  end
endmodule
