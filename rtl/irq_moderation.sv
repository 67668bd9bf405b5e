// Device-side interrupt moderation per vector (SEMANTICS H1-H4). Each vector is either coalescing
// (ethtool semantics: signal when USECS > 0 and the first unsignalled event is USECS old, or
// FRAMES > 0 and FRAMES events are unsignalled; FRAMES 1 USECS 0 is off) or throttled (ITR: at
// least INTERVAL x 256 ns between two messages; events inside the interval collapse into one
// message at its end). A fired message goes to the sender, which pends it if the vector is masked.
//
// Cost per cycle is O(1) whatever NumVectors is: configuration and state sit in per-vector RAMs
// and flag words, and one operation a cycle reads and writes one vector - an arriving event,
// or one step of the timer sweep. Vectors with a running timer sit in a FIFO (each at most once);
// a sweep step pops the head, fires it if its time has come and otherwise pushes it back. So a
// deadline is seen at most one lap of the FIFO late (see docs/rtl.md for the bound).
module irq_moderation #(
  parameter int unsigned NumVectors = 2048,
  parameter int unsigned ClkMhz     = 250
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic [31:0] time_i,          // device clock cycles, low half
  // configuration (MOD_IDX, MOD_CFG, MOD_ITR); reads are combinational
  input  logic [10:0] cfg_idx_i,
  input  logic        cfg_we_i,        // MOD_CFG: {usecs, frames}
  input  logic        itr_we_i,        // MOD_ITR: interval in 256 ns units
  input  logic [31:0] cfg_wdata_i,
  output logic [31:0] cfg_rdata_o,
  output logic [15:0] itr_rdata_o,
  // events whose records are in the ring
  input  logic        ev_valid_i,
  input  logic [15:0] ev_vector_i,
  output logic        ev_ready_o,
  // messages for the sender
  output logic        fire_valid_o,
  output logic [10:0] fire_vector_o,
  input  logic        fire_ready_i,
  // status and counter pulses
  output logic [11:0] held_o,          // vectors holding unsignalled events
  output logic        busy_o,          // a message waits for the sender
  output logic        cnt_coalesced_o, // an event merged into another event's message
  output logic        cnt_fired_o,
  output logic        cnt_bad_vector_o
);

  localparam int unsigned VW        = (NumVectors > 1) ? $clog2(NumVectors) : 1;
  localparam int unsigned Depth     = 1 << VW;
  localparam int unsigned NumWords  = (NumVectors + 31) / 32;
  localparam int unsigned WordW     = (NumWords > 1) ? $clog2(NumWords) : 1;
  localparam int unsigned WordDepth = 1 << WordW;
  localparam logic [VW-1:0] LastIdx = VW'(NumVectors - 1);
  // Clock cycles of one 256 ns ITR unit, rounded: exactly 64 at 250 MHz.
  localparam int unsigned ItrUnit   = (256 * ClkMhz + 500) / 1000;

  function automatic logic [VW-1:0] ring_next(input logic [VW-1:0] p);
    ring_next = (p == LastIdx) ? '0 : p + 1'b1;
  endfunction

  // The per-vector flags are words of 32 vectors, written whole (irqrig_pkg::with_bit): a word
  // read-modify-write keeps the reset loop short (Verilator unrolls it) and synthesizes quickly.

  // ---------------------------------------------------------------------------------------------
  // Configuration RAMs; a vector never written reads FRAMES 1 USECS 0 ITR 0 (off)
  // ---------------------------------------------------------------------------------------------
  logic [15:0] frames_mem [Depth];
  logic [15:0] usecs_mem  [Depth];
  logic [15:0] itr_mem    [Depth];
  logic [31:0] cfgv_w [WordDepth];  // MOD_CFG written
  logic [31:0] itrv_w [WordDepth];  // MOD_ITR written

  logic             c_ok, c_cfgv, c_itrv;
  logic [VW-1:0]    c_idx;
  logic [WordW-1:0] c_word;
  assign c_ok   = 32'(cfg_idx_i) < NumVectors;
  assign c_idx  = cfg_idx_i[VW-1:0];
  assign c_word = cfg_idx_i[5 +: WordW];
  assign c_cfgv = cfgv_w[c_word][cfg_idx_i[4:0]];
  assign c_itrv = itrv_w[c_word][cfg_idx_i[4:0]];

  assign cfg_rdata_o = !c_ok ? 32'h0 :
                       c_cfgv ? {usecs_mem[c_idx], frames_mem[c_idx]} : 32'h0000_0001;
  assign itr_rdata_o = (c_ok && c_itrv) ? itr_mem[c_idx] : 16'h0;

  always_ff @(posedge clk_i) begin
    if (cfg_we_i && c_ok) begin
      frames_mem[c_idx] <= cfg_wdata_i[15:0];
      usecs_mem[c_idx]  <= cfg_wdata_i[31:16];
    end
    if (itr_we_i && c_ok) itr_mem[c_idx] <= cfg_wdata_i[15:0];
  end

  // ---------------------------------------------------------------------------------------------
  // Per-vector state: unsignalled count and timer start in RAMs; held (count > 0), throttled (an
  // ITR interval runs) and queued (in the timer FIFO) as flag words that reset to 0
  // ---------------------------------------------------------------------------------------------
  logic [15:0] cnt_mem [Depth];
  logic [31:0] t0_mem  [Depth];  // coalescing: first unsignalled event; ITR: last message
  logic [31:0] held_w   [WordDepth];
  logic [31:0] thr_w    [WordDepth];
  logic [31:0] queued_w [WordDepth];

  // Timer FIFO of vector numbers
  logic [10:0]   q_mem [Depth];
  logic [VW-1:0] q_head_q, q_tail_q;
  logic [VW:0]   q_count_q;

  // ---------------------------------------------------------------------------------------------
  // One operation a cycle: an arriving event, else one sweep step
  // ---------------------------------------------------------------------------------------------
  logic        fire_q;
  logic [10:0] fire_vec_q;
  logic        can_op, bad, ev_op, sw_op;
  logic [10:0] v;

  assign can_op     = !fire_q || fire_ready_i;
  assign bad        = 32'(ev_vector_i) >= NumVectors;
  assign ev_ready_o = can_op;
  assign ev_op      = ev_valid_i && can_op && !bad;
  assign sw_op      = !ev_valid_i && can_op && q_count_q != '0;
  assign v          = ev_valid_i ? ev_vector_i[10:0] : q_mem[q_head_q];

  logic [VW-1:0]    vi;
  logic [WordW-1:0] vw;
  logic [4:0]       vb;
  assign vi = v[VW-1:0];
  assign vw = v[5 +: WordW];
  assign vb = v[4:0];

  // The vector's configuration and state
  logic        cfgv, itrv, held, thr, queued;
  logic [15:0] frames, usecs, itr, cnt, cnt_inc;
  logic [31:0] t0, now, el, u_cyc, i_cyc;
  logic        itr_mode, f_on, u_on;

  assign cfgv     = cfgv_w[vw][vb];
  assign itrv     = itrv_w[vw][vb];
  assign held     = held_w[vw][vb];
  assign thr      = thr_w[vw][vb];
  assign queued   = queued_w[vw][vb];
  assign frames   = cfgv ? frames_mem[vi] : 16'd1;
  assign usecs    = cfgv ? usecs_mem[vi] : 16'd0;
  assign itr      = itrv ? itr_mem[vi] : 16'd0;
  assign cnt      = held ? cnt_mem[vi] : 16'd0;
  assign cnt_inc  = (cnt == 16'hFFFF) ? cnt : cnt + 16'd1;
  assign t0       = t0_mem[vi];
  assign now      = time_i;
  assign el       = now - t0;
  assign itr_mode = itr != 16'd0;
  // FRAMES 0 with USECS 0 is illegal under ethtool; the device treats it as FRAMES 1 (off).
  assign f_on     = frames != 16'd0 || usecs == 16'd0;
  assign u_on     = usecs != 16'd0;
  assign u_cyc    = 32'(usecs) * 32'(ClkMhz);
  assign i_cyc    = 32'(itr) * 32'(ItrUnit);

  logic [15:0] f_eff;
  assign f_eff = (frames == 16'd0) ? 16'd1 : frames;

  // Coalescing: the first unsignalled event starts the timer.
  logic [31:0] t0_first, el_first;
  logic        due_ev, due_sw;
  assign t0_first = held ? t0 : now;
  assign el_first = now - t0_first;
  assign due_ev   = (f_on && cnt_inc >= f_eff) || (u_on && el_first >= u_cyc);
  assign due_sw   = (f_on && cnt >= f_eff) || (u_on && el >= u_cyc);

  // Next state of the vector, whether it fires, and what happens to its FIFO place.
  logic        fire, held_d, thr_d, enqueue, requeue;
  logic [15:0] cnt_d;
  logic [31:0] t0_d;

  always_comb begin
    fire    = 1'b0;
    held_d  = held;
    thr_d   = thr;
    cnt_d   = cnt;
    t0_d    = t0;
    enqueue = 1'b0;
    requeue = 1'b0;
    if (ev_op) begin
      if (itr_mode) begin
        if (thr && el < i_cyc) begin
          // Inside the interval: collapse into the message at its end.
          held_d = 1'b1;
          cnt_d  = cnt_inc;
        end else begin
          fire   = 1'b1;
          held_d = 1'b0;
          thr_d  = 1'b1;
          t0_d   = now;
        end
        enqueue = !queued;
      end else begin
        thr_d = 1'b0;
        if (due_ev) begin
          fire   = 1'b1;
          held_d = 1'b0;
        end else begin
          held_d  = 1'b1;
          cnt_d   = cnt_inc;
          t0_d    = t0_first;
          enqueue = u_on && !queued;
        end
      end
    end else if (sw_op) begin
      if (itr_mode) begin
        if (thr && el < i_cyc) begin
          requeue = 1'b1;
        end else if (held) begin
          // The interval is over (or ITR was just switched on): one message for what it held.
          fire    = 1'b1;
          held_d  = 1'b0;
          thr_d   = 1'b1;
          t0_d    = now;
          requeue = 1'b1;
        end else begin
          thr_d = 1'b0;
        end
      end else begin
        thr_d = 1'b0;
        if (held && due_sw) begin
          fire   = 1'b1;
          held_d = 1'b0;
        end else begin
          // Keep only vectors whose timer still runs; one held without a timer (USECS now 0)
          // waits for its next event.
          requeue = held && u_on;
        end
      end
    end
  end

  logic push, queued_d;
  assign push     = enqueue || requeue;
  assign queued_d = sw_op ? requeue : (queued || enqueue);

  // ---------------------------------------------------------------------------------------------
  // State update
  // ---------------------------------------------------------------------------------------------
  logic op;
  assign op = ev_op || sw_op;

  always_ff @(posedge clk_i) begin
    if (op) begin
      cnt_mem[vi] <= cnt_d;
      t0_mem[vi]  <= t0_d;
    end
    if (push) q_mem[q_tail_q] <= v;
  end

  // The flag words, one always_ff each: a reset loop plus one word write a cycle.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int w = 0; w < WordDepth; w++) cfgv_w[w] <= 32'h0;
    end else if (cfg_we_i && c_ok) begin
      cfgv_w[c_word] <= irqrig_pkg::with_bit(cfgv_w[c_word], cfg_idx_i[4:0], 1'b1);
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int w = 0; w < WordDepth; w++) itrv_w[w] <= 32'h0;
    end else if (itr_we_i && c_ok) begin
      itrv_w[c_word] <= irqrig_pkg::with_bit(itrv_w[c_word], cfg_idx_i[4:0], 1'b1);
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int w = 0; w < WordDepth; w++) held_w[w] <= 32'h0;
    end else if (op) begin
      held_w[vw] <= irqrig_pkg::with_bit(held_w[vw], vb, held_d);
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int w = 0; w < WordDepth; w++) thr_w[w] <= 32'h0;
    end else if (op) begin
      thr_w[vw] <= irqrig_pkg::with_bit(thr_w[vw], vb, thr_d);
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int w = 0; w < WordDepth; w++) queued_w[w] <= 32'h0;
    end else if (op) begin
      queued_w[vw] <= irqrig_pkg::with_bit(queued_w[vw], vb, queued_d);
    end
  end

  logic [11:0] held_cnt_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      q_head_q   <= '0;
      q_tail_q   <= '0;
      q_count_q  <= '0;
      fire_q     <= 1'b0;
      fire_vec_q <= 11'd0;
      held_cnt_q <= 12'd0;
    end else begin
      if (op) held_cnt_q <= held_cnt_q + 12'(held_d && !held) - 12'(held && !held_d);
      if (sw_op) q_head_q <= ring_next(q_head_q);
      if (push)  q_tail_q <= ring_next(q_tail_q);
      q_count_q <= q_count_q + (VW + 1)'(push) - (VW + 1)'(sw_op);
      if (fire) begin
        fire_q     <= 1'b1;
        fire_vec_q <= v;
      end else if (fire_ready_i) begin
        fire_q <= 1'b0;
      end
    end
  end

  assign fire_valid_o     = fire_q;
  assign fire_vector_o    = fire_vec_q;
  assign held_o           = held_cnt_q;
  assign busy_o           = fire_q;
  assign cnt_coalesced_o  = ev_op && cnt != 16'd0;
  assign cnt_fired_o      = fire;
  assign cnt_bad_vector_o = ev_valid_i && can_op && bad;

  // Vector numbers carry 11 bits; the RAMs and words use the low ones.
  logic unused_vec;
  assign unused_vec = ^{cfg_idx_i, v, ev_vector_i[15:11]};

`ifndef SYNTHESIS
  always @(posedge clk_i) begin
    if (rst_ni) begin
      // Each vector is in the FIFO at most once, so it never overflows.
      assert (!(enqueue && queued)) else $error("irq_moderation: vector %0d queued twice", v);
      assert (!(push && !sw_op && 32'(q_count_q) >= NumVectors))
        else $error("irq_moderation: timer FIFO overflow");
      assert (!(fire && fire_q && !fire_ready_i))
        else $error("irq_moderation: message for vector %0d overwrote a waiting one", v);
    end
  end
`endif

endmodule
