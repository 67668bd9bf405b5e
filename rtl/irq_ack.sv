// Interrupt-acknowledge gate between moderation and the message sender (IRQ_CTRL.ACK_MODE). With
// ACK_MODE set, each vector has an "outstanding" bit, like a cause register that interrupts only
// on its 0->1 edge: a message moderation fires for a vector that is not outstanding goes on to the
// sender (which sends it, or pends it behind a mask, as always) and makes the vector outstanding;
// one fired while the vector is outstanding is dropped here and counted (CNT_ACK_SUPPRESSED).
// Writing v to IRQ_ACK clears v's bit. A driver that acknowledges after draining its ring strands
// the events that arrived between the drain and the acknowledge: their message was suppressed.
// With ACK_MODE clear the gate is a wire and every bit reads clear.
//
// Cost per cycle is O(1) whatever NumVectors is: the bits sit in 32-bit words (at most 64), each
// valid only while its bit in `live_q` is set; dropping ACK_MODE clears `live_q` (one 64-bit
// register), so leaving the mode forgets every outstanding bit in one cycle without a sweep.
module irq_ack #(
  parameter int unsigned NumVectors = 2048
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        ack_mode_i,       // IRQ_CTRL.ACK_MODE
  input  logic        ack_valid_i,      // IRQ_ACK written
  input  logic [31:0] ack_vector_i,     // the vector written; >= NumVectors is ignored
  // messages fired by moderation
  input  logic        fire_valid_i,
  input  logic [10:0] fire_vector_i,
  output logic        fire_ready_o,
  // messages for the sender
  output logic        send_valid_o,
  output logic [10:0] send_vector_o,
  input  logic        send_ready_i,
  // counter pulse
  output logic        cnt_suppressed_o
);

  // The vector ports are 11 bits wide: 1..2048 vectors. Verilator and yosys stop elaboration;
  // Icarus 11 has no elaboration-time system tasks, so it checks at time 0.
`ifdef __ICARUS__
  initial begin
    if (NumVectors < 1 || NumVectors > 2048) $fatal(1, "irq_ack: NumVectors must be 1..2048");
  end
`else
  if (NumVectors < 1 || NumVectors > 2048) begin : gen_bad_num_vectors
    $fatal(1, "irq_ack: NumVectors must be 1..2048");
  end
`endif

  localparam int unsigned NumWords  = (NumVectors + 31) / 32;
  localparam int unsigned WordW     = (NumWords > 1) ? $clog2(NumWords) : 1;
  localparam int unsigned WordDepth = 1 << WordW;

  // Outstanding bits; a word whose live bit is clear reads as all clear (so no reset loop).
  logic [31:0]          out_q [WordDepth];
  logic [WordDepth-1:0] live_q;

  // The acknowledge of this cycle, for a vector inside the table.
  logic             ack_hit, same_word, suppress, pass;
  logic [WordW-1:0] aw, fw;
  logic [4:0]       ab, fb;
  assign ack_hit   = ack_valid_i && ack_mode_i && ack_vector_i < NumVectors;
  assign aw        = ack_vector_i[5 +: WordW];
  assign ab        = ack_vector_i[4:0];
  assign fw        = fire_vector_i[5 +: WordW];
  assign fb        = fire_vector_i[4:0];
  assign same_word = aw == fw;

  // A fired message is suppressed when its vector is outstanding after this cycle's acknowledge:
  // an acknowledge and a message of the same vector in one cycle count as acknowledge first.
  // A continuous assignment: Icarus 11 loops on the same test written as an always_comb with an
  // `if` around it (which would let Verilator skip it while the mode is off; docs/rtl.md).
  assign suppress = (fire_valid_i && ack_mode_i) ?
      (live_q[fw] && out_q[fw][fb] && !(ack_hit && ack_vector_i[10:0] == fire_vector_i)) : 1'b0;

  // In ACK_MODE a message the sender takes makes its vector outstanding.
  assign pass             = fire_valid_i && send_ready_i && ack_mode_i && !suppress;
  assign send_valid_o     = fire_valid_i && !suppress;
  assign send_vector_o    = fire_vector_i;
  assign fire_ready_o     = send_ready_i || suppress;
  assign cnt_suppressed_o = suppress;

  // Two word writes a cycle at most: the acknowledge's, and the passed message's, which also
  // clears the acknowledged bit when both fall in one word. A word not live reads as all clear.
  always_ff @(posedge clk_i) begin
    if (ack_hit && !(pass && same_word)) begin
      out_q[aw] <= irqrig_pkg::with_bit(live_q[aw] ? out_q[aw] : 32'h0, ab, 1'b0);
    end
    if (pass) begin
      out_q[fw] <= irqrig_pkg::with_bit(
          (live_q[fw] ? out_q[fw] : 32'h0) & ~((ack_hit && same_word) ? (32'h1 << ab) : 32'h0),
          fb, 1'b1);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      live_q <= '0;
    end else if (!ack_mode_i) begin
      live_q <= '0;
    end else begin
      if (ack_hit) live_q[aw] <= 1'b1;
      if (pass)    live_q[fw] <= 1'b1;
    end
  end

`ifndef SYNTHESIS
  // A message handed to the sender in ACK_MODE leaves its vector outstanding in the next cycle
  // (an acknowledge in that cycle takes effect at its end); no bit is live outside the mode.
  logic        chk_pass_q, chk_off_q;
  logic [10:0] chk_vec_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      chk_off_q  <= 1'b1;
      chk_pass_q <= 1'b0;
      chk_vec_q  <= 11'd0;
    end else begin
      chk_off_q <= !ack_mode_i;
      if (pass || chk_pass_q) begin
        chk_pass_q <= pass;
        chk_vec_q  <= fire_vector_i;
      end
    end
  end
  always @(posedge clk_i) begin
    if (rst_ni && chk_off_q) begin
      assert (live_q == '0) else $error("irq_ack: outstanding bits kept after ACK_MODE was cleared");
    end
    if (rst_ni && chk_pass_q) begin
      assert (live_q[chk_vec_q[5 +: WordW]] && out_q[chk_vec_q[5 +: WordW]][chk_vec_q[4:0]])
        else $error("irq_ack: vector %0d sent in ACK_MODE but not outstanding", chk_vec_q);
    end
  end
`endif

endmodule
