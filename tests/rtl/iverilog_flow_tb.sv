// Icarus test of irqrig_core at one table size (the NumVectors parameter): enumeration, the last
// MSI-X entry, the ring, a burst of three events on the last vector -> three records and three
// messages; then moderation (FRAMES 3) -> three more records and one message; then ACK_MODE ->
// one message until IRQ_ACK re-arms the vector; then MSI with the vector in the low data bits. It proves the sources simulate under a second simulator, at every
// size the sweep builds, with no zero-delay loops. Prints FLOW PASS or FLOW FAIL.
module iverilog_flow_tb #(
  parameter int unsigned NumVectors = 2048
);
  localparam logic [31:0] Bar0     = 32'hF000_0000;
  localparam logic [31:0] RingBase = 32'h1000_0000;
  localparam logic [15:0] Last     = 16'(NumVectors - 1);
  localparam int unsigned MsiVecs  = (NumVectors < 32) ? NumVectors : 32;

  logic        clk = 1'b0;
  logic        rst_n = 1'b0;
  logic [31:0] rx_data = 32'h0;
  logic        rx_valid = 1'b0, rx_last = 1'b0, rx_ready;
  logic [31:0] tx_data;
  logic        tx_valid, tx_last;
  logic [63:0] time_now;

  irqrig_core #(
    .NumVectors(NumVectors),
    .MsiVectors(MsiVecs)
  ) u_dut (
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

  // ---- what the device sends: TLPs sorted into records, messages and completions ----
  int          records = 0, messages = 0, completions = 0, beat = 0;
  logic [31:0] hdr [8];
  logic [31:0] last_msg_addr, last_msg_data;
  logic [15:0] last_rec_vector;

  always @(posedge clk) begin
    if (tx_valid) begin
      if (beat < 8) hdr[beat] <= tx_data;
      beat <= tx_last ? 0 : beat + 1;
      if (tx_last) begin
        if (hdr[0][28:24] == 5'b01010) begin
          completions <= completions + 1;
        end else if (hdr[0][9:0] == 10'd4) begin
          records <= records + 1;
          last_rec_vector <= hdr[4][15:0];  // 3DW header: DW3 seq, DW4 {flags, vector}
        end else begin
          messages <= messages + 1;
          last_msg_addr <= hdr[2];
          last_msg_data <= tx_data;
        end
      end
    end
  end

  // ---- the root complex's side ----
  task automatic beat_out(input logic [31:0] d, input logic l);
    rx_data  = d;
    rx_valid = 1'b1;
    rx_last  = l;
    do @(posedge clk); while (!rx_ready);
    #1;
    rx_valid = 1'b0;
    rx_last  = 1'b0;
  endtask

  task automatic cfg_wr(input logic [11:0] reg_off, input logic [31:0] value, input logic [3:0] be);
    beat_out(32'h4400_0001, 1'b0);               // CfgWr0, Length 1
    beat_out({16'h0000, 8'h01, 4'h0, be}, 1'b0); // requester 0, tag 1
    beat_out({8'h00, 5'd0, 3'd0, 4'h0, reg_off[11:2], 2'b00}, 1'b0);
    beat_out(value, 1'b1);
    repeat (20) @(negedge clk);  // drive between edges, never at one
  endtask

  task automatic mem_wr(input logic [31:0] off, input logic [31:0] value);
    beat_out(32'h4000_0001, 1'b0);  // MemWr 3DW, Length 1
    beat_out(32'h0000_000F, 1'b0);
    beat_out(Bar0 + off, 1'b0);
    beat_out(value, 1'b1);
  endtask

  task automatic burst(input int unsigned events);
    mem_wr(32'(irqrig_reg_pkg::VLIST_LEN_OFFSET), 32'd1);
    mem_wr(32'(irqrig_reg_pkg::VLIST_IDX_OFFSET), 32'd0);
    mem_wr(32'(irqrig_reg_pkg::VLIST_DATA_OFFSET), {16'h0, Last});
    mem_wr(32'(irqrig_reg_pkg::BURST_EVENTS_OFFSET), 32'(events));
    mem_wr(32'(irqrig_reg_pkg::CTRL_OFFSET), 32'h1);  // START
    repeat (400) @(negedge clk);
  endtask

  bit ok = 1'b1;
  task automatic check(input bit cond, input string what);
    if (!cond) begin
      $display("FLOW FAIL (NumVectors %0d): %s", NumVectors, what);
      ok = 1'b0;
    end
  endtask

  localparam logic [31:0] Entry = irqrig_reg_pkg::MsixTableOffset + 32'(NumVectors - 1) * 16;

  initial begin
    #22 rst_n = 1'b1;
    @(negedge clk);
    cfg_wr(irqrig_reg_pkg::CfgBar0, Bar0, 4'hF);
    cfg_wr(irqrig_reg_pkg::CfgCommand, 32'h6, 4'h1);  // Memory Space, Bus Master
    check(completions == 2, "config writes completed");
    mem_wr(Entry + 0, 32'hFEE0_0000);
    mem_wr(Entry + 4, 32'h0);
    mem_wr(Entry + 8, 32'h1234);
    mem_wr(Entry + 12, 32'h0);                                // unmask
    cfg_wr(irqrig_reg_pkg::CfgMsixCap, 32'h8000_0000, 4'h8);  // MSI-X Enable
    mem_wr(32'(irqrig_reg_pkg::RING_BASE_LO_OFFSET), RingBase);
    mem_wr(32'(irqrig_reg_pkg::RING_LOG2_OFFSET), 32'd4);
    burst(3);
    check(records == 3 && messages == 3, "three events: three records, three messages");
    check(last_rec_vector == Last, "records carry the last vector");
    check(last_msg_addr == 32'hFEE0_0000 && last_msg_data == 32'h1234, "message from the table");
    // Moderation: every third event signals.
    mem_wr(32'(irqrig_reg_pkg::MOD_IDX_OFFSET), 32'(Last));
    mem_wr(32'(irqrig_reg_pkg::MOD_CFG_OFFSET), 32'd3);
    burst(3);
    check(records == 6 && messages == 4, "FRAMES 3: one message for three events");
    // Acknowledge mode: the vector is outstanding after its message until IRQ_ACK names it.
    mem_wr(32'(irqrig_reg_pkg::MOD_CFG_OFFSET), 32'd1);
    mem_wr(32'(irqrig_reg_pkg::IRQ_CTRL_OFFSET), 32'h1);
    burst(2);
    check(records == 8 && messages == 5, "ACK_MODE: one message for two events");
    mem_wr(32'(irqrig_reg_pkg::IRQ_ACK_OFFSET), 32'(NumVectors));  // past the table: ignored
    burst(1);
    check(records == 9 && messages == 5, "ACK_MODE: still outstanding");
    mem_wr(32'(irqrig_reg_pkg::IRQ_ACK_OFFSET), 32'(Last));
    burst(1);
    check(records == 10 && messages == 6, "IRQ_ACK re-arms the vector");
    mem_wr(32'(irqrig_reg_pkg::IRQ_CTRL_OFFSET), 32'h0);
    // MSI instead of MSI-X: the vector replaces the low MME bits of the data.
    cfg_wr(irqrig_reg_pkg::CfgMsixCap, 32'h0, 4'h8);
    cfg_wr(irqrig_reg_pkg::CfgMsiCap + 12'h4, 32'hFEE0_1000, 4'hF);
    cfg_wr(irqrig_reg_pkg::CfgMsiCap + 12'hC, 32'h4900, 4'hF);
    cfg_wr(irqrig_reg_pkg::CfgMsiCap, {8'h0, 1'b0, 3'($clog2(MsiVecs)), 4'b0001, 16'h0}, 4'h4);
    mem_wr(32'(irqrig_reg_pkg::MOD_CFG_OFFSET), 32'd1);
    burst(1);
    check(messages == 7, "MSI message sent");
    check(last_msg_addr == 32'hFEE0_1000, "MSI address");
    check(last_msg_data == 32'h4900 + 32'(Last % MsiVecs), "MSI data carries the vector");
    if (ok) $display("FLOW PASS (NumVectors %0d)", NumVectors);
    $finish;
  end

  initial begin
    #2_000_000;
    $display("FLOW FAIL (NumVectors %0d): timed out", NumVectors);
    $finish;
  end
endmodule
