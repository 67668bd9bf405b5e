// Burst generator: on START produces BURST_REPEAT repetitions of BURST_EVENTS events, one at a time,
// at least BURST_GAP cycles apart (BURST_PAUSE between repetitions) and never before the ring
// writer has taken the previous event. Each event carries the next sequence number, the time it was
// generated and a vector from the vector list, chosen round robin, at random (list[lfsr % LEN],
// Galois LFSR x^32+x^22+x^2+x+1 seeded from BURST_SEED) or fixed (list[0]). Every repetition
// replays the same vector sequence: the round-robin index and the LFSR restart.
module burst_engine #(
  parameter int unsigned VlistDepth = 64
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  // commands
  input  logic        start_i,
  input  logic        stop_i,    // no event after the current one
  input  logic        abort_i,
  input  logic        busy_i,    // STATUS.BUSY: a START meanwhile is ignored
  // configuration, sampled at START (events, repeat, seed) or per event (gap, pause, pattern,
  // length)
  input  logic [31:0] events_i,
  input  logic [31:0] repeat_i,
  input  logic [31:0] gap_i,
  input  logic [31:0] pause_i,
  input  logic [1:0]  pattern_i,
  input  logic [31:0] seed_i,
  input  logic [6:0]  vlist_len_i,
  // vector list
  input  logic        vlist_we_i,
  input  logic [5:0]  vlist_idx_i,
  input  logic [15:0] vlist_wdata_i,
  output logic [15:0] vlist_rdata_o,
  input  logic [63:0] time_i,
  // events to the DMA writer
  output logic        ev_valid_o,
  input  logic        ev_ready_i,
  output logic [31:0] ev_seq_o,
  output logic [15:0] ev_vector_o,
  output logic [63:0] ev_time_o,
  output logic        running_o
);

  localparam int unsigned VlW          = (VlistDepth > 1) ? $clog2(VlistDepth) : 1;
  localparam int unsigned VlSize       = 1 << VlW;
  localparam logic [31:0] LfsrTaps     = 32'h8020_0003;
  localparam int unsigned ModBitsCycle = 4;  // remainder bits resolved per cycle
  localparam logic [1:0]  PatRoundRobin = 2'd0;
  localparam logic [1:0]  PatRandom     = 2'd1;

  function automatic logic [31:0] lfsr_next(input logic [31:0] s);
    lfsr_next = (s >> 1) ^ (s[0] ? LfsrTaps : 32'h0);
  endfunction

  // ---------------------------------------------------------------------------------------------
  // Vector list
  // ---------------------------------------------------------------------------------------------
  logic [15:0] vlist_q [VlSize];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int i = 0; i < VlSize; i++) vlist_q[i] <= 16'h0;
    end else if (vlist_we_i && 32'(vlist_idx_i) < VlistDepth) begin
      vlist_q[vlist_idx_i[VlW-1:0]] <= vlist_wdata_i;
    end
  end

  assign vlist_rdata_o = (32'(vlist_idx_i) < VlistDepth) ? vlist_q[vlist_idx_i[VlW-1:0]] : 16'h0;

  // LEN 0 uses one entry; more than VlistDepth uses them all.
  logic [6:0] len_eff;
  assign len_eff = (vlist_len_i == 7'd0) ? 7'd1 :
                   (32'(vlist_len_i) > VlistDepth) ? 7'(VlistDepth) : vlist_len_i;

  // ---------------------------------------------------------------------------------------------
  // Generator
  // ---------------------------------------------------------------------------------------------
  logic        run_q;
  logic [31:0] left_q, reps_q, events_q, gap_q, seq_q, lfsr_q, seed_q;
  logic [5:0]  rr_q;
  logic        gen, start, rep_end, last_rep;

  // Sequential lfsr_q % len_eff (radix 2, ModBitsCycle bits a cycle) so that no 32-bit divider
  // sits in one cycle; it runs while the previous event's TLPs go out.
  logic        mod_busy_q;
  logic [2:0]  mod_step_q;
  logic [31:0] mod_src_q;
  logic [7:0]  mod_rem_q, mod_rem_d;
  logic [6:0]  mod_div_q;
  logic        mod_kick;

  always_comb begin
    mod_rem_d = mod_rem_q;
    if (mod_busy_q) begin  // idle otherwise: simulation skips the steps
      for (int b = 0; b < ModBitsCycle; b++) begin
        mod_rem_d = {mod_rem_d[6:0], mod_src_q[31 - b]};
        if (mod_rem_d >= {1'b0, mod_div_q}) mod_rem_d = mod_rem_d - {1'b0, mod_div_q};
      end
    end
  end

  logic [5:0] pick;
  always_comb begin
    if (pattern_i == PatRoundRobin)  pick = rr_q;
    else if (pattern_i == PatRandom) pick = mod_rem_q[5:0];
    else                             pick = 6'd0;  // fixed (2; 3 behaves alike)
  end

  // A STOP or ABORT arriving now already withholds the next event.
  assign ev_valid_o  = run_q && gap_q == 32'h0 && !(pattern_i == PatRandom && mod_busy_q) &&
                       !stop_i && !abort_i;
  assign gen         = ev_valid_o && ev_ready_i;
  assign ev_seq_o    = seq_q;
  assign ev_time_o   = time_i;
  assign ev_vector_o = vlist_q[pick[VlW-1:0]];
  assign running_o   = run_q;
  assign start       = start_i && !busy_i && !run_q;
  assign mod_kick    = start || gen;
  // The event being generated is the last of its repetition; more repetitions follow.
  assign rep_end     = left_q == 32'd1;
  assign last_rep    = reps_q <= 32'd1;

  logic [31:0] seed_eff, lfsr_d, pause_eff;
  assign seed_eff  = (seed_i == 32'h0) ? 32'h1 : seed_i;
  assign lfsr_d    = start ? seed_eff : (rep_end ? seed_q : lfsr_next(lfsr_q));
  assign pause_eff = (pause_i == 32'h0) ? gap_i : pause_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      run_q      <= 1'b0;
      left_q     <= 32'h0;
      reps_q     <= 32'h0;
      events_q   <= 32'h0;
      seed_q     <= 32'h1;
      gap_q      <= 32'h0;
      seq_q      <= 32'h0;
      lfsr_q     <= 32'h1;
      rr_q       <= 6'd0;
      mod_busy_q <= 1'b0;
      mod_step_q <= 3'd0;
      mod_src_q  <= 32'h0;
      mod_rem_q  <= 8'h0;
      mod_div_q  <= 7'd1;
    end else begin
      if (gap_q != 32'h0) gap_q <= gap_q - 32'd1;
      if (start) begin
        run_q    <= events_i != 32'h0;
        left_q   <= events_i;
        events_q <= events_i;
        reps_q   <= (repeat_i == 32'h0) ? 32'h1 : repeat_i;
        seed_q   <= seed_eff;
        gap_q    <= 32'h0;
        rr_q     <= 6'd0;
      end else if (stop_i || abort_i) begin
        run_q <= 1'b0;
      end else if (gen) begin
        seq_q <= seq_q + 32'd1;
        if (rep_end && last_rep) begin
          run_q <= 1'b0;
        end else if (rep_end) begin
          // The next repetition replays the sequence after BURST_PAUSE.
          left_q <= events_q;
          reps_q <= reps_q - 32'd1;
          gap_q  <= (pause_eff == 32'h0) ? 32'h0 : pause_eff - 32'd1;
          rr_q   <= 6'd0;
        end else begin
          left_q <= left_q - 32'd1;
          // The next event is due BURST_GAP cycles after this one (the count starts next cycle).
          gap_q  <= (gap_i == 32'h0) ? 32'h0 : gap_i - 32'd1;
          rr_q   <= (7'(rr_q) + 7'd1 >= len_eff) ? 6'd0 : rr_q + 6'd1;
        end
      end
      if (mod_kick) begin
        lfsr_q     <= lfsr_d;
        mod_busy_q <= 1'b1;
        mod_step_q <= 3'd0;
        mod_src_q  <= lfsr_d;
        mod_rem_q  <= 8'h0;
        mod_div_q  <= len_eff;
      end else if (mod_busy_q) begin
        mod_rem_q  <= mod_rem_d;
        mod_src_q  <= mod_src_q << ModBitsCycle;
        mod_step_q <= mod_step_q + 3'd1;
        if (mod_step_q == 3'(32 / ModBitsCycle - 1)) mod_busy_q <= 1'b0;
      end
    end
  end

  logic unused_rem;
  assign unused_rem = ^{mod_rem_q[7:6], pick};

endmodule
