// BAR0 register file of irqrig, laid out by irqrig_reg_pkg (generated from rtl/regs/): IDs and
// build parameters, burst and ring configuration, the moderation window (MOD_IDX selects the
// vector MOD_CFG and MOD_ITR reach), CTRL command pulses, STATUS, the event counters, the device
// clock and the interrupt-acknowledge mode (IRQ_CTRL, IRQ_ACK). rw registers keep only their mask
// bits; unmapped offsets read 0.
module bar0_regs #(
  parameter int unsigned NumVectors = 2048,
  parameter int unsigned ClkMhz     = 250
) (
  input  logic                                     clk_i,
  input  logic                                     rst_ni,
  // BAR0 access by DW offset; read data follows one cycle after the request
  input  logic                                     req_i,
  input  logic                                     we_i,
  input  logic [irqrig_reg_pkg::Bar0SizeLog2-3:0]  addr_i,
  input  logic [3:0]                               be_i,
  input  logic [31:0]                              wdata_i,
  output logic [31:0]                              rdata_o,
  input  logic [63:0]                              time_i,
  // CTRL pulses
  output logic                                     start_o,
  output logic                                     stop_o,
  output logic                                     abort_o,
  // burst and ring configuration
  output logic [31:0]                              burst_events_o,
  output logic [31:0]                              burst_repeat_o,
  output logic [31:0]                              burst_gap_o,
  output logic [31:0]                              burst_pause_o,
  output logic [1:0]                               burst_pattern_o,
  output logic [31:0]                              burst_seed_o,
  output logic [6:0]                               vlist_len_o,
  output logic [63:0]                              ring_base_o,
  output logic [4:0]                               ring_log2_o,
  output logic [63:0]                              ring_prod_addr_o,
  output logic [31:0]                              ring_cons_o,
  output logic                                     ring_drop_o,     // RING_CTRL.DROP_ON_FULL
  // vector list port: VLIST_DATA writes list[IDX]; vlist_rdata_i is list[IDX]
  output logic                                     vlist_we_o,
  output logic [5:0]                               vlist_idx_o,
  output logic [15:0]                              vlist_wdata_o,
  input  logic [15:0]                              vlist_rdata_i,
  // moderation port: MOD_CFG / MOD_ITR of vector MOD_IDX, read combinationally
  output logic [10:0]                              mod_idx_o,
  output logic                                     mod_cfg_we_o,
  output logic                                     mod_itr_we_o,
  output logic [31:0]                              mod_wdata_o,
  input  logic [31:0]                              mod_cfg_rdata_i,
  input  logic [15:0]                              mod_itr_rdata_i,
  input  logic [11:0]                              mod_held_i,
  // interrupt-acknowledge mode: IRQ_CTRL.ACK_MODE, and a pulse per IRQ_ACK write
  output logic                                     ack_mode_o,
  output logic                                     ack_valid_o,
  output logic [31:0]                              ack_vector_o,
  // status
  input  logic                                     busy_i,
  input  logic                                     ring_full_i,
  input  logic                                     generating_i,
  input  logic [31:0]                              ring_prod_i,
  // counter increments
  input  logic                                     cnt_events_i,
  input  logic                                     cnt_msi_sent_i,
  input  logic                                     cnt_msi_pended_i,
  input  logic                                     cnt_ring_full_i,
  input  logic                                     cnt_dma_i,
  input  logic                                     cnt_ring_overflow_i,
  input  logic                                     cnt_mod_coalesced_i,
  input  logic                                     cnt_mod_fired_i,
  input  logic                                     cnt_aborted_i,
  input  logic                                     cnt_bad_vector_i,
  input  logic                                     cnt_ack_suppressed_i
);

  // The enabled bytes of wdata over old, kept to the register's mask.
  function automatic logic [31:0] merge(input logic [31:0] old, input logic [31:0] wdata,
                                        input logic [3:0] be, input logic [31:0] mask);
    logic [31:0] bytes;
    bytes = {{8{be[3]}}, {8{be[2]}}, {8{be[1]}}, {8{be[0]}}};
    merge = ((old & ~bytes) | (wdata & bytes)) & mask;
  endfunction

  logic [15:0] off;
  logic        wr, rd;
  assign off = 16'({addr_i, 2'b00});
  assign wr  = req_i && we_i;
  assign rd  = req_i && !we_i;

  logic [31:0] scratch_q, events_q, repeat_q, gap_q, pause_q, pattern_q, seed_q, vlen_q, vidx_q;
  logic [31:0] base_lo_q, base_hi_q, log2_q, paddr_lo_q, paddr_hi_q, cons_q, ring_ctrl_q;
  logic [31:0] mod_idx_q, time_hi_q, rdata_q, irq_ctrl_q;
  logic        overflow_q, clear;

  // The event counters, in one array; CLEAR zeroes them all.
  localparam int unsigned CntEvents       = 0;
  localparam int unsigned CntMsiSent      = 1;
  localparam int unsigned CntMsiPended    = 2;
  localparam int unsigned CntRingFull     = 3;
  localparam int unsigned CntDma          = 4;
  localparam int unsigned CntRingOverflow = 5;
  localparam int unsigned CntModCoalesced = 6;
  localparam int unsigned CntModFired     = 7;
  localparam int unsigned CntAborted      = 8;
  localparam int unsigned CntBadVector    = 9;
  localparam int unsigned CntAckSuppressed = 10;
  localparam int unsigned NumCnt          = 11;
  logic [31:0]       cnt_q [NumCnt];
  logic [NumCnt-1:0] cnt_inc;
  assign cnt_inc[CntEvents]       = cnt_events_i;
  assign cnt_inc[CntMsiSent]      = cnt_msi_sent_i;
  assign cnt_inc[CntMsiPended]    = cnt_msi_pended_i;
  assign cnt_inc[CntRingFull]     = cnt_ring_full_i;
  assign cnt_inc[CntDma]          = cnt_dma_i;
  assign cnt_inc[CntRingOverflow] = cnt_ring_overflow_i;
  assign cnt_inc[CntModCoalesced] = cnt_mod_coalesced_i;
  assign cnt_inc[CntModFired]     = cnt_mod_fired_i;
  assign cnt_inc[CntAborted]      = cnt_aborted_i;
  assign cnt_inc[CntBadVector]    = cnt_bad_vector_i;
  assign cnt_inc[CntAckSuppressed] = cnt_ack_suppressed_i;

  logic [31:0] caps, status;
  always_comb begin
    caps = 32'h0;
    caps[irqrig_reg_pkg::CAPS_NUM_VECTORS_LSB +: irqrig_reg_pkg::CAPS_NUM_VECTORS_WIDTH] =
        irqrig_reg_pkg::CAPS_NUM_VECTORS_WIDTH'(NumVectors);
    caps[irqrig_reg_pkg::CAPS_CLK_MHZ_LSB +: irqrig_reg_pkg::CAPS_CLK_MHZ_WIDTH] =
        irqrig_reg_pkg::CAPS_CLK_MHZ_WIDTH'(ClkMhz);
    status = 32'h0;
    status[irqrig_reg_pkg::STATUS_BUSY_LSB]          = busy_i;
    status[irqrig_reg_pkg::STATUS_RING_FULL_LSB]     = ring_full_i;
    status[irqrig_reg_pkg::STATUS_RING_OVERFLOW_LSB] = overflow_q;
    status[irqrig_reg_pkg::STATUS_GENERATING_LSB]    = generating_i;
    status[irqrig_reg_pkg::STATUS_MOD_HELD_LSB]      = mod_held_i != 12'd0;
  end

  logic wr_ctrl;
  assign wr_ctrl = wr && off == irqrig_reg_pkg::CTRL_OFFSET;
  assign start_o = wr_ctrl && be_i[irqrig_reg_pkg::CTRL_START_LSB / 8] &&
                   wdata_i[irqrig_reg_pkg::CTRL_START_LSB];
  assign stop_o  = wr_ctrl && be_i[irqrig_reg_pkg::CTRL_STOP_LSB / 8] &&
                   wdata_i[irqrig_reg_pkg::CTRL_STOP_LSB];
  assign abort_o = wr_ctrl && be_i[irqrig_reg_pkg::CTRL_ABORT_LSB / 8] &&
                   wdata_i[irqrig_reg_pkg::CTRL_ABORT_LSB];
  assign clear   = wr_ctrl && be_i[irqrig_reg_pkg::CTRL_CLEAR_LSB / 8] &&
                   wdata_i[irqrig_reg_pkg::CTRL_CLEAR_LSB];

  logic [31:0] vdata_merged;
  assign vdata_merged  = merge({16'h0, vlist_rdata_i}, wdata_i, be_i,
                               irqrig_reg_pkg::VLIST_DATA_MASK);
  assign vlist_we_o    = wr && off == irqrig_reg_pkg::VLIST_DATA_OFFSET && be_i != 4'b0000;
  assign vlist_idx_o   = vidx_q[5:0];
  assign vlist_wdata_o = vdata_merged[15:0];

  // MOD_CFG and MOD_ITR merge byte writes with the selected vector's current value.
  logic wr_mod_cfg, wr_mod_itr;
  assign wr_mod_cfg   = wr && off == irqrig_reg_pkg::MOD_CFG_OFFSET && be_i != 4'b0000;
  assign wr_mod_itr   = wr && off == irqrig_reg_pkg::MOD_ITR_OFFSET && be_i != 4'b0000;
  assign mod_idx_o    = mod_idx_q[10:0];
  assign mod_cfg_we_o = wr_mod_cfg;
  assign mod_itr_we_o = wr_mod_itr;
  assign mod_wdata_o  = wr_mod_itr ?
      merge({16'h0, mod_itr_rdata_i}, wdata_i, be_i, irqrig_reg_pkg::MOD_ITR_MASK) :
      merge(mod_cfg_rdata_i, wdata_i, be_i, irqrig_reg_pkg::MOD_CFG_MASK);

  // IRQ_ACK: the enabled bytes are the vector number (the others count as 0); worked out only
  // for a write to it (simulation skips it on other cycles).
  assign ack_valid_o = wr && off == irqrig_reg_pkg::IRQ_ACK_OFFSET && be_i != 4'b0000;
  assign ack_mode_o  = irq_ctrl_q[irqrig_reg_pkg::IRQ_CTRL_ACK_MODE_LSB];
  always_comb begin
    ack_vector_o = 32'h0;
    if (ack_valid_o) ack_vector_o = merge(32'h0, wdata_i, be_i, 32'hFFFF_FFFF);
  end

  // The read multiplexer works only for a read (simulation skips it on other cycles).
  logic [31:0] rdata_d;
  always_comb begin
    rdata_d = 32'h0;
    if (rd) case (off)
      irqrig_reg_pkg::ID_OFFSET:                  rdata_d = irqrig_reg_pkg::ID_RESET;
      irqrig_reg_pkg::REGMAP_HASH_OFFSET:         rdata_d = irqrig_reg_pkg::RegmapHash;
      irqrig_reg_pkg::CAPS_OFFSET:                rdata_d = caps;
      irqrig_reg_pkg::SCRATCH_OFFSET:             rdata_d = scratch_q;
      irqrig_reg_pkg::STATUS_OFFSET:              rdata_d = status;
      irqrig_reg_pkg::BURST_EVENTS_OFFSET:        rdata_d = events_q;
      irqrig_reg_pkg::BURST_REPEAT_OFFSET:        rdata_d = repeat_q;
      irqrig_reg_pkg::BURST_GAP_OFFSET:           rdata_d = gap_q;
      irqrig_reg_pkg::BURST_PAUSE_OFFSET:         rdata_d = pause_q;
      irqrig_reg_pkg::BURST_PATTERN_OFFSET:       rdata_d = pattern_q;
      irqrig_reg_pkg::BURST_SEED_OFFSET:          rdata_d = seed_q;
      irqrig_reg_pkg::VLIST_LEN_OFFSET:           rdata_d = vlen_q;
      irqrig_reg_pkg::VLIST_IDX_OFFSET:           rdata_d = vidx_q;
      irqrig_reg_pkg::VLIST_DATA_OFFSET:
        rdata_d = {16'h0, vlist_rdata_i} & irqrig_reg_pkg::VLIST_DATA_MASK;
      irqrig_reg_pkg::RING_BASE_LO_OFFSET:        rdata_d = base_lo_q;
      irqrig_reg_pkg::RING_BASE_HI_OFFSET:        rdata_d = base_hi_q;
      irqrig_reg_pkg::RING_LOG2_OFFSET:           rdata_d = log2_q;
      irqrig_reg_pkg::RING_PROD_ADDR_LO_OFFSET:   rdata_d = paddr_lo_q;
      irqrig_reg_pkg::RING_PROD_ADDR_HI_OFFSET:   rdata_d = paddr_hi_q;
      irqrig_reg_pkg::RING_CONS_OFFSET:           rdata_d = cons_q;
      irqrig_reg_pkg::RING_PROD_OFFSET:           rdata_d = ring_prod_i;
      irqrig_reg_pkg::RING_CTRL_OFFSET:           rdata_d = ring_ctrl_q;
      irqrig_reg_pkg::CNT_EVENTS_OFFSET:          rdata_d = cnt_q[CntEvents];
      irqrig_reg_pkg::CNT_MSI_SENT_OFFSET:        rdata_d = cnt_q[CntMsiSent];
      irqrig_reg_pkg::CNT_MSI_PENDED_OFFSET:      rdata_d = cnt_q[CntMsiPended];
      irqrig_reg_pkg::CNT_RING_FULL_OFFSET:       rdata_d = cnt_q[CntRingFull];
      irqrig_reg_pkg::CNT_DMA_WRITES_OFFSET:      rdata_d = cnt_q[CntDma];
      irqrig_reg_pkg::CNT_RING_OVERFLOW_OFFSET:   rdata_d = cnt_q[CntRingOverflow];
      irqrig_reg_pkg::CNT_MOD_COALESCED_OFFSET:   rdata_d = cnt_q[CntModCoalesced];
      irqrig_reg_pkg::CNT_MOD_FIRED_OFFSET:       rdata_d = cnt_q[CntModFired];
      irqrig_reg_pkg::CNT_ABORTED_OFFSET:         rdata_d = cnt_q[CntAborted];
      irqrig_reg_pkg::CNT_BAD_VECTOR_OFFSET:      rdata_d = cnt_q[CntBadVector];
      irqrig_reg_pkg::MOD_IDX_OFFSET:             rdata_d = mod_idx_q;
      irqrig_reg_pkg::MOD_CFG_OFFSET:             rdata_d = mod_cfg_rdata_i;
      irqrig_reg_pkg::MOD_ITR_OFFSET:             rdata_d = {16'h0, mod_itr_rdata_i};
      irqrig_reg_pkg::MOD_HELD_OFFSET:            rdata_d = {20'h0, mod_held_i};
      irqrig_reg_pkg::IRQ_CTRL_OFFSET:            rdata_d = irq_ctrl_q;
      irqrig_reg_pkg::CNT_ACK_SUPPRESSED_OFFSET:  rdata_d = cnt_q[CntAckSuppressed];
      irqrig_reg_pkg::TIME_LO_OFFSET:             rdata_d = time_i[31:0];
      irqrig_reg_pkg::TIME_HI_OFFSET:             rdata_d = time_hi_q;
      default:                                    rdata_d = 32'h0;  // CTRL, IRQ_ACK, unmapped: 0
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      scratch_q        <= 32'h0;
      events_q         <= 32'h0;
      repeat_q         <= 32'h0;
      gap_q            <= 32'h0;
      pause_q          <= 32'h0;
      pattern_q        <= 32'h0;
      seed_q           <= 32'h0;
      vlen_q           <= 32'h0;
      vidx_q           <= 32'h0;
      base_lo_q        <= 32'h0;
      base_hi_q        <= 32'h0;
      log2_q           <= 32'h0;
      paddr_lo_q       <= 32'h0;
      paddr_hi_q       <= 32'h0;
      cons_q           <= 32'h0;
      ring_ctrl_q      <= 32'h0;
      mod_idx_q        <= 32'h0;
      irq_ctrl_q       <= 32'h0;
      overflow_q       <= 1'b0;
      for (int c = 0; c < NumCnt; c++) cnt_q[c] <= 32'h0;
      time_hi_q        <= 32'h0;
      rdata_q          <= 32'h0;
    end else begin
      rdata_q <= rd ? rdata_d : 32'h0;
      // Reading TIME_LO latches the high half, so TIME_LO then TIME_HI is one consistent value.
      if (rd && off == irqrig_reg_pkg::TIME_LO_OFFSET && be_i != 4'b0000) begin
        time_hi_q <= time_i[63:32];
      end
      if (wr) begin
        case (off)
          irqrig_reg_pkg::SCRATCH_OFFSET:
            scratch_q <= merge(scratch_q, wdata_i, be_i, irqrig_reg_pkg::SCRATCH_MASK);
          irqrig_reg_pkg::BURST_EVENTS_OFFSET:
            events_q <= merge(events_q, wdata_i, be_i, irqrig_reg_pkg::BURST_EVENTS_MASK);
          irqrig_reg_pkg::BURST_REPEAT_OFFSET:
            repeat_q <= merge(repeat_q, wdata_i, be_i, irqrig_reg_pkg::BURST_REPEAT_MASK);
          irqrig_reg_pkg::BURST_GAP_OFFSET:
            gap_q <= merge(gap_q, wdata_i, be_i, irqrig_reg_pkg::BURST_GAP_MASK);
          irqrig_reg_pkg::BURST_PAUSE_OFFSET:
            pause_q <= merge(pause_q, wdata_i, be_i, irqrig_reg_pkg::BURST_PAUSE_MASK);
          irqrig_reg_pkg::BURST_PATTERN_OFFSET:
            pattern_q <= merge(pattern_q, wdata_i, be_i, irqrig_reg_pkg::BURST_PATTERN_MASK);
          irqrig_reg_pkg::BURST_SEED_OFFSET:
            seed_q <= merge(seed_q, wdata_i, be_i, irqrig_reg_pkg::BURST_SEED_MASK);
          irqrig_reg_pkg::VLIST_LEN_OFFSET:
            vlen_q <= merge(vlen_q, wdata_i, be_i, irqrig_reg_pkg::VLIST_LEN_MASK);
          irqrig_reg_pkg::VLIST_IDX_OFFSET:
            vidx_q <= merge(vidx_q, wdata_i, be_i, irqrig_reg_pkg::VLIST_IDX_MASK);
          irqrig_reg_pkg::RING_BASE_LO_OFFSET:
            base_lo_q <= merge(base_lo_q, wdata_i, be_i, irqrig_reg_pkg::RING_BASE_LO_MASK);
          irqrig_reg_pkg::RING_BASE_HI_OFFSET:
            base_hi_q <= merge(base_hi_q, wdata_i, be_i, irqrig_reg_pkg::RING_BASE_HI_MASK);
          irqrig_reg_pkg::RING_LOG2_OFFSET:
            log2_q <= merge(log2_q, wdata_i, be_i, irqrig_reg_pkg::RING_LOG2_MASK);
          irqrig_reg_pkg::RING_PROD_ADDR_LO_OFFSET:
            paddr_lo_q <= merge(paddr_lo_q, wdata_i, be_i, irqrig_reg_pkg::RING_PROD_ADDR_LO_MASK);
          irqrig_reg_pkg::RING_PROD_ADDR_HI_OFFSET:
            paddr_hi_q <= merge(paddr_hi_q, wdata_i, be_i, irqrig_reg_pkg::RING_PROD_ADDR_HI_MASK);
          irqrig_reg_pkg::RING_CONS_OFFSET:
            cons_q <= merge(cons_q, wdata_i, be_i, irqrig_reg_pkg::RING_CONS_MASK);
          irqrig_reg_pkg::RING_CTRL_OFFSET:
            ring_ctrl_q <= merge(ring_ctrl_q, wdata_i, be_i, irqrig_reg_pkg::RING_CTRL_MASK);
          irqrig_reg_pkg::MOD_IDX_OFFSET:
            mod_idx_q <= merge(mod_idx_q, wdata_i, be_i, irqrig_reg_pkg::MOD_IDX_MASK);
          irqrig_reg_pkg::IRQ_CTRL_OFFSET:
            irq_ctrl_q <= merge(irq_ctrl_q, wdata_i, be_i, irqrig_reg_pkg::IRQ_CTRL_MASK);
          // Storing an entry moves the index on, so a list is written as one run of VLIST_DATA.
          irqrig_reg_pkg::VLIST_DATA_OFFSET:
            if (be_i != 4'b0000) vidx_q <= (vidx_q + 32'd1) & irqrig_reg_pkg::VLIST_IDX_MASK;
          default: ;
        endcase
      end
      // CLEAR wins over an increment in the same cycle.
      for (int c = 0; c < NumCnt; c++) begin
        if (clear)           cnt_q[c] <= 32'h0;
        else if (cnt_inc[c]) cnt_q[c] <= cnt_q[c] + 32'd1;
      end
      if (clear)                    overflow_q <= 1'b0;
      else if (cnt_ring_overflow_i) overflow_q <= 1'b1;
    end
  end

  assign rdata_o          = rdata_q;
  assign burst_events_o   = events_q;
  assign burst_repeat_o   = repeat_q;
  assign burst_gap_o      = gap_q;
  assign burst_pause_o    = pause_q;
  assign burst_pattern_o  = pattern_q[1:0];
  assign burst_seed_o     = seed_q;
  assign vlist_len_o      = vlen_q[6:0];
  assign ring_base_o      = {base_hi_q, base_lo_q};
  assign ring_log2_o      = log2_q[4:0];
  assign ring_prod_addr_o = {paddr_hi_q, paddr_lo_q};
  assign ring_cons_o      = cons_q;
  assign ring_drop_o      = ring_ctrl_q[irqrig_reg_pkg::RING_CTRL_DROP_ON_FULL_LSB];

  // Bits outside the masks are zero by construction.
  logic unused_bits;
  assign unused_bits = ^{pattern_q[31:2], vlen_q[31:7], vidx_q[31:6], log2_q[31:5],
                        vdata_merged[31:16], ring_ctrl_q[31:1], mod_idx_q[31:11],
                        irq_ctrl_q[31:1]};

endmodule
