// irqrig endpoint core: a vendor-free PCIe function on a TLP stream (one DW per beat) with a type-0
// config space carrying MSI-X and MSI capabilities, BAR0 registers, an MSI-X table with PBA, a
// burst engine, an event-ring DMA writer, per-vector interrupt moderation and the message sender.
// A board top binds it to a hard IP; the simulator drives it directly. With HardIp the IP owns the
// config space (its Command, MSI and MSI-X control and MSI mask come in on hip_cfg_*) and sends
// the messages the core asks for on msg_req_* (docs/firmware.md); m_axis_tx then carries no message.
//
//   burst_engine -> ring_writer (record, producer index) -> irq_moderation -> irq_ack -> irq_sender
//        -> tlp_tx; irq_ack drops a message for an outstanding vector (IRQ_CTRL.ACK_MODE);
//   irq_sender meets msix_table / cfg_space (masks, pending)
module irqrig_core #(
  parameter int unsigned NumVectors = 2048,  // MSI-X table size and moderated vectors, 1..2048
  parameter int unsigned MsiVectors = 32,    // MSI Multiple Message Capable: 1, 2, 4, 8, 16, 32
  parameter int unsigned ClkMhz     = 250,   // reported in CAPS.CLK_MHZ; moderation's time base
  parameter int unsigned VlistDepth = 64,    // vector-list entries of the burst engine
  parameter bit          HardIp     = 1'b0   // a hard IP owns config space and sends messages
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  // host -> device TLPs, one DW per beat
  input  logic [31:0] s_axis_rx_tdata,
  input  logic        s_axis_rx_tvalid,
  output logic        s_axis_rx_tready,
  input  logic        s_axis_rx_tlast,
  // device -> host TLPs, one DW per beat
  output logic [31:0] m_axis_tx_tdata,
  output logic        m_axis_tx_tvalid,
  input  logic        m_axis_tx_tready,
  output logic        m_axis_tx_tlast,
  output logic [63:0] time_o,                // free-running cycle counter (record timestamps)
  // HardIp: the hard IP's view of the function's configuration (ignored otherwise)
  input  logic        hip_cfg_mem_en_i,      // Command.Memory Space Enable
  input  logic        hip_cfg_bme_i,         // Command.Bus Master Enable
  input  logic        hip_cfg_msix_en_i,     // MSI-X Enable
  input  logic        hip_cfg_msix_fmask_i,  // MSI-X Function Mask
  input  logic        hip_cfg_msi_en_i,      // MSI Enable
  input  logic [2:0]  hip_cfg_msi_mme_i,     // MSI Multiple Message Enable
  input  logic [31:0] hip_cfg_msi_mask_i,    // MSI Mask Bits
  // HardIp: one message request at a time, held until done (valid stays 0 otherwise)
  output logic        msg_req_valid_o,
  output logic        msg_req_msix_o,        // 1: MSI-X table entry, 0: MSI message number
  output logic [10:0] msg_req_vector_o,
  output logic [63:0] msg_req_addr_o,        // MSI-X: the entry's address and data
  output logic [31:0] msg_req_data_o,
  input  logic        msg_req_done_i,
  input  logic        msg_req_pend_i,        // with done: masked or disabled at the IP
  input  logic        msg_req_drop_i,        // with done: not sent, the adapter gave up
  output logic [31:0] msi_pending_o          // MSI Pending Bits, for the IP's Pending register
);

  localparam int unsigned Bar0AW  = irqrig_reg_pkg::Bar0SizeLog2 - 2;
  localparam int unsigned RxMaxDw = 4 + tlp_pkg::MaxPayloadDw;

  // ---------------------------------------------------------------------------------------------
  // Parameter checks. Verilator and yosys stop elaboration; Icarus 11 has no elaboration-time
  // system tasks, so it checks at time 0.
  // ---------------------------------------------------------------------------------------------
`ifdef __ICARUS__
  initial begin
    if (NumVectors < 1 || NumVectors > 2048) $fatal(1, "irqrig_core: NumVectors must be 1..2048");
    if (MsiVectors < 1 || MsiVectors > 32 || (MsiVectors & (MsiVectors - 1)) != 0)
      $fatal(1, "irqrig_core: MsiVectors must be a power of two <= 32");
    if (VlistDepth < 1 || VlistDepth > 64 || (VlistDepth & (VlistDepth - 1)) != 0)
      $fatal(1, "irqrig_core: VlistDepth must be a power of two <= 64");
    if (ClkMhz < 2 || ClkMhz > 65535) $fatal(1, "irqrig_core: ClkMhz must be 2..65535");
    if (irqrig_reg_pkg::Bar0SizeLog2 != 16) $fatal(1, "irqrig_core: BAR0 must be 64 KiB");
    if (irqrig_reg_pkg::RecordBytes != 16) $fatal(1, "irqrig_core: the record must be 16 bytes");
  end
`else
  if (NumVectors < 1 || NumVectors > 2048) begin : gen_bad_num_vectors
    $fatal(1, "irqrig_core: NumVectors must be 1..2048");
  end
  // Multiple Message Capable encodes log2 of a power of two up to 32 (PCI 3.0 6.8.1.3).
  if (MsiVectors < 1 || MsiVectors > 32 || (MsiVectors & (MsiVectors - 1)) != 0)
  begin : gen_bad_msi_vectors
    $fatal(1, "irqrig_core: MsiVectors must be a power of two <= 32");
  end
  if (VlistDepth < 1 || VlistDepth > 64 || (VlistDepth & (VlistDepth - 1)) != 0)
  begin : gen_bad_vlist_depth
    $fatal(1, "irqrig_core: VlistDepth must be a power of two <= 64");
  end
  // CAPS.CLK_MHZ has 16 bits; below 2 MHz a 256 ns ITR unit rounds to no cycle at all.
  if (ClkMhz < 2 || ClkMhz > 65535) begin : gen_bad_clk_mhz
    $fatal(1, "irqrig_core: ClkMhz must be 2..65535");
  end
  // The request decoder compares 16-bit register offsets and the MSI-X windows assume 64 KiB.
  if (irqrig_reg_pkg::Bar0SizeLog2 != 16) begin : gen_bad_bar0_size
    $fatal(1, "irqrig_core: BAR0 must be 64 KiB");
  end
  if (irqrig_reg_pkg::RecordBytes != 16) begin : gen_bad_record
    $fatal(1, "irqrig_core: the record must be 16 bytes");
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // Device clock
  // ---------------------------------------------------------------------------------------------
  logic [63:0] time_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) time_q <= 64'h0;
    else         time_q <= time_q + 64'd1;
  end
  assign time_o = time_q;

  // ---------------------------------------------------------------------------------------------
  // Requests
  // ---------------------------------------------------------------------------------------------
  logic                   tlp_valid, tlp_done;
  logic [4*32-1:0]        tlp_hdr;
  logic [4:0]             tlp_rd_idx;
  logic [31:0]            tlp_rd_dw;
  logic [10:0]            tlp_ndw;

  tlp_rx #(
    .MaxDw(RxMaxDw)
  ) u_tlp_rx (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .rx_tdata_i  (s_axis_rx_tdata),
    .rx_tvalid_i (s_axis_rx_tvalid),
    .rx_tready_o (s_axis_rx_tready),
    .rx_tlast_i  (s_axis_rx_tlast),
    .tlp_valid_o (tlp_valid),
    .tlp_hdr_o   (tlp_hdr),
    .rd_idx_i    (tlp_rd_idx),
    .rd_dw_o     (tlp_rd_dw),
    .tlp_ndw_o   (tlp_ndw),
    .tlp_done_i  (tlp_done)
  );

  logic              mem_en, bme, msix_en, msix_fmask, msi_en;
  logic [2:0]        msi_log2n;
  logic              cfg_mem_en, cfg_bme, cfg_msix_en, cfg_msix_fmask, cfg_msi_en;
  logic [2:0]        cfg_msi_log2n;
  logic [31:0]       cfg_msi_mask, cfg_bar0;
  logic [63:0]       msi_addr;
  logic [15:0]       msi_data;
  logic [31:0]       msi_mask, msi_pend;
  logic              msi_pend_set, msi_pend_clr;
  logic [4:0]        msi_pend_idx;
  logic [31:0]       bar0;
  logic [7:0]        bus_num;
  logic [4:0]        dev_num;
  logic              cfg_req, cfg_we;
  logic [9:0]        cfg_addr;
  logic [3:0]        cfg_be;
  logic [31:0]       cfg_wdata, cfg_rdata;
  logic [12:0]       cfg_id;
  logic              bar_req, bar_we;
  logic [Bar0AW-1:0] bar_addr;
  logic [3:0]        bar_be;
  logic [31:0]       bar_wdata, bar_rdata, regs_rdata, msix_rdata;
  logic                   cpl_valid, cpl_done;
  logic [31:0]            cpl_dw, dma_dw, msg_dw;
  logic [4:0]             cpl_ndw, tx_rd_idx;

  req_ctrl u_req_ctrl (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .tlp_valid_i  (tlp_valid),
    .tlp_hdr_i    (tlp_hdr),
    .tlp_rd_idx_o (tlp_rd_idx),
    .tlp_rd_dw_i  (tlp_rd_dw),
    .tlp_ndw_i    (tlp_ndw),
    .tlp_done_o  (tlp_done),
    .mem_en_i    (mem_en),
    .bar0_i      (bar0),
    .bus_i       (bus_num),
    .dev_i       (dev_num),
    .cfg_req_o   (cfg_req),
    .cfg_we_o    (cfg_we),
    .cfg_addr_o  (cfg_addr),
    .cfg_be_o    (cfg_be),
    .cfg_wdata_o (cfg_wdata),
    .cfg_id_o    (cfg_id),
    .cfg_rdata_i (cfg_rdata),
    .bar_req_o   (bar_req),
    .bar_we_o    (bar_we),
    .bar_addr_o  (bar_addr),
    .bar_be_o    (bar_be),
    .bar_wdata_o (bar_wdata),
    .bar_rdata_i (bar_rdata),
    .cpl_valid_o  (cpl_valid),
    .cpl_ndw_o    (cpl_ndw),
    .cpl_rd_idx_i (tx_rd_idx),
    .cpl_rd_dw_o  (cpl_dw),
    .cpl_done_i   (cpl_done)
  );

  cfg_space #(
    .NumVectors(NumVectors),
    .MsiVectors(MsiVectors)
  ) u_cfg_space (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .req_i           (cfg_req),
    .we_i            (cfg_we),
    .addr_i          (cfg_addr),
    .be_i            (cfg_be),
    .wdata_i         (cfg_wdata),
    .id_i            (cfg_id),
    .rdata_o         (cfg_rdata),
    .mem_en_o        (cfg_mem_en),
    .bus_master_en_o (cfg_bme),
    .bar0_o          (cfg_bar0),
    .msix_en_o       (cfg_msix_en),
    .msix_fmask_o    (cfg_msix_fmask),
    .msi_en_o        (cfg_msi_en),
    .msi_log2n_o     (cfg_msi_log2n),
    .msi_addr_o      (msi_addr),
    .msi_data_o      (msi_data),
    .msi_mask_o      (cfg_msi_mask),
    .msi_pend_o      (msi_pend),
    .msi_pend_set_i  (msi_pend_set),
    .msi_pend_clr_i  (msi_pend_clr),
    .msi_pend_idx_i  (msi_pend_idx),
    .bus_o           (bus_num),
    .dev_o           (dev_num)
  );

  // The configuration the function runs with: its own config space, or the hard IP's. Under a
  // hard IP the request bridge hands BAR0 offsets (BAR0 reads as 0 here) and the MSI Multiple
  // Message Enable is clamped to the capable count as cfg_space clamps a write.
  localparam logic [2:0] MsiLog2 = 3'($clog2(MsiVectors));

  if (HardIp) begin : gen_hip_cfg
    assign mem_en     = hip_cfg_mem_en_i;
    assign bme        = hip_cfg_bme_i;
    assign bar0       = 32'h0;
    assign msix_en    = hip_cfg_msix_en_i;
    assign msix_fmask = hip_cfg_msix_fmask_i;
    assign msi_en     = hip_cfg_msi_en_i;
    assign msi_log2n  = hip_cfg_msi_mme_i > MsiLog2 ? MsiLog2 : hip_cfg_msi_mme_i;
    assign msi_mask   = hip_cfg_msi_mask_i & ((MsiVectors == 32) ? 32'hFFFF_FFFF
                                                                 : (32'h1 << MsiVectors) - 32'h1);
    logic unused_cfg;
    assign unused_cfg = ^{cfg_mem_en, cfg_bme, cfg_bar0, cfg_msix_en, cfg_msix_fmask, cfg_msi_en,
                          cfg_msi_log2n, cfg_msi_mask};
  end else begin : gen_own_cfg
    assign mem_en     = cfg_mem_en;
    assign bme        = cfg_bme;
    assign bar0       = cfg_bar0;
    assign msix_en    = cfg_msix_en;
    assign msix_fmask = cfg_msix_fmask;
    assign msi_en     = cfg_msi_en;
    assign msi_log2n  = cfg_msi_log2n;
    assign msi_mask   = cfg_msi_mask;
    logic unused_hip;
    assign unused_hip = ^{hip_cfg_mem_en_i, hip_cfg_bme_i, hip_cfg_msix_en_i, hip_cfg_msix_fmask_i,
                          hip_cfg_msi_en_i, hip_cfg_msi_mme_i, hip_cfg_msi_mask_i, msg_req_done_i,
                          msg_req_pend_i, msg_req_drop_i};
  end
  assign msi_pending_o = msi_pend;

  // ---------------------------------------------------------------------------------------------
  // BAR0: registers, MSI-X table and PBA; each answers 0 outside its own offsets
  // ---------------------------------------------------------------------------------------------
  assign bar_rdata = regs_rdata | msix_rdata;

  logic        start, stop, abort;
  logic [31:0] burst_events, burst_repeat, burst_gap, burst_pause, burst_seed;
  logic [31:0] ring_cons, ring_prod;
  logic [1:0]  burst_pattern;
  logic [6:0]  vlist_len;
  logic [63:0] ring_base, ring_prod_addr;
  logic [4:0]  ring_log2;
  logic        ring_drop;
  logic        vlist_we;
  logic [5:0]  vlist_idx;
  logic [15:0] vlist_wdata, vlist_rdata;
  logic [10:0] mod_idx;
  logic        mod_cfg_we, mod_itr_we;
  logic [31:0] mod_wdata, mod_cfg_rdata;
  logic [15:0] mod_itr_rdata;
  logic [11:0] mod_held;
  logic        gen_running, ring_busy, mod_busy, send_busy, busy, ring_full;
  logic        ev_valid, ev_ready;
  logic [31:0] ev_seq;
  logic [15:0] ev_vector;
  logic [63:0] ev_time;
  logic        cnt_ring_full, cnt_dma, cnt_msi_sent, cnt_msi_pended, cnt_overflow, cnt_aborted;
  logic        cnt_coalesced, cnt_fired, cnt_bad_vector, cnt_ack_suppressed;
  logic        ack_mode, ack_valid;
  logic [31:0] ack_vector;

  // Work in flight that finishes without the host; events moderation holds are not (MOD_HELD).
  assign busy = gen_running || ring_busy || mod_busy || send_busy;

  bar0_regs #(
    .NumVectors(NumVectors),
    .ClkMhz    (ClkMhz)
  ) u_bar0_regs (
    .clk_i               (clk_i),
    .rst_ni              (rst_ni),
    .req_i               (bar_req),
    .we_i                (bar_we),
    .addr_i              (bar_addr),
    .be_i                (bar_be),
    .wdata_i             (bar_wdata),
    .rdata_o             (regs_rdata),
    .time_i              (time_q),
    .start_o             (start),
    .stop_o              (stop),
    .abort_o             (abort),
    .burst_events_o      (burst_events),
    .burst_repeat_o      (burst_repeat),
    .burst_gap_o         (burst_gap),
    .burst_pause_o       (burst_pause),
    .burst_pattern_o     (burst_pattern),
    .burst_seed_o        (burst_seed),
    .vlist_len_o         (vlist_len),
    .ring_base_o         (ring_base),
    .ring_log2_o         (ring_log2),
    .ring_prod_addr_o    (ring_prod_addr),
    .ring_cons_o         (ring_cons),
    .ring_drop_o         (ring_drop),
    .vlist_we_o          (vlist_we),
    .vlist_idx_o         (vlist_idx),
    .vlist_wdata_o       (vlist_wdata),
    .vlist_rdata_i       (vlist_rdata),
    .mod_idx_o           (mod_idx),
    .mod_cfg_we_o        (mod_cfg_we),
    .mod_itr_we_o        (mod_itr_we),
    .mod_wdata_o         (mod_wdata),
    .mod_cfg_rdata_i     (mod_cfg_rdata),
    .mod_itr_rdata_i     (mod_itr_rdata),
    .mod_held_i          (mod_held),
    .ack_mode_o          (ack_mode),
    .ack_valid_o         (ack_valid),
    .ack_vector_o        (ack_vector),
    .busy_i              (busy),
    .ring_full_i         (ring_full),
    .generating_i        (gen_running),
    .ring_prod_i         (ring_prod),
    .cnt_events_i        (ev_valid && ev_ready),
    .cnt_msi_sent_i      (cnt_msi_sent),
    .cnt_msi_pended_i    (cnt_msi_pended),
    .cnt_ring_full_i     (cnt_ring_full),
    .cnt_dma_i           (cnt_dma),
    .cnt_ring_overflow_i (cnt_overflow),
    .cnt_mod_coalesced_i (cnt_coalesced),
    .cnt_mod_fired_i     (cnt_fired),
    .cnt_aborted_i       (cnt_aborted),
    .cnt_bad_vector_i    (cnt_bad_vector),
    .cnt_ack_suppressed_i (cnt_ack_suppressed)
  );

  logic [10:0] msix_vec, rel_vec;
  logic [63:0] msix_addr;
  logic [31:0] msix_data;
  logic        msix_masked, pend_set, rel_valid, rel_ready;

  msix_table #(
    .NumVectors(NumVectors)
  ) u_msix_table (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .req_i        (bar_req),
    .we_i         (bar_we),
    .addr_i       (bar_addr),
    .be_i         (bar_be),
    .wdata_i      (bar_wdata),
    .rdata_o      (msix_rdata),
    .msix_en_i    (msix_en),
    .fmask_i      (msix_fmask),
    .msg_vec_i    (msix_vec),
    .msg_addr_o   (msix_addr),
    .msg_data_o   (msix_data),
    .msg_masked_o (msix_masked),
    .pend_set_i   (pend_set),
    .rel_valid_o  (rel_valid),
    .rel_vec_o    (rel_vec),
    .rel_ready_i  (rel_ready)
  );

  // ---------------------------------------------------------------------------------------------
  // Event path: generator, ring writer, moderation, sender
  // ---------------------------------------------------------------------------------------------
  burst_engine #(
    .VlistDepth(VlistDepth)
  ) u_burst_engine (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .start_i       (start),
    .stop_i        (stop),
    .abort_i       (abort),
    .busy_i        (busy),
    .events_i      (burst_events),
    .repeat_i      (burst_repeat),
    .gap_i         (burst_gap),
    .pause_i       (burst_pause),
    .pattern_i     (burst_pattern),
    .seed_i        (burst_seed),
    .vlist_len_i   (vlist_len),
    .vlist_we_i    (vlist_we),
    .vlist_idx_i   (vlist_idx),
    .vlist_wdata_i (vlist_wdata),
    .vlist_rdata_o (vlist_rdata),
    .time_i        (time_q),
    .ev_valid_o    (ev_valid),
    .ev_ready_i    (ev_ready),
    .ev_seq_o      (ev_seq),
    .ev_vector_o   (ev_vector),
    .ev_time_o     (ev_time),
    .running_o     (gen_running)
  );

  logic                   dma_valid, dma_done;
  logic [3:0]             dma_ndw;
  logic                   note_valid, note_ready;
  logic [15:0]            note_vector;

  ring_writer u_ring_writer (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .ev_valid_i       (ev_valid),
    .ev_ready_o       (ev_ready),
    .ev_seq_i         (ev_seq),
    .ev_vector_i      (ev_vector),
    .ev_time_i        (ev_time),
    .abort_i          (abort),
    .bme_i            (bme),
    .bus_i            (bus_num),
    .dev_i            (dev_num),
    .ring_base_i      (ring_base),
    .ring_log2_i      (ring_log2),
    .ring_prod_addr_i (ring_prod_addr),
    .ring_cons_i      (ring_cons),
    .drop_on_full_i   (ring_drop),
    .ring_prod_o      (ring_prod),
    .note_valid_o     (note_valid),
    .note_vector_o    (note_vector),
    .note_ready_i     (note_ready),
    .tx_valid_o       (dma_valid),
    .tx_ndw_o         (dma_ndw),
    .tx_rd_idx_i      (tx_rd_idx),
    .tx_rd_dw_o       (dma_dw),
    .tx_done_i        (dma_done),
    .busy_o           (ring_busy),
    .ring_full_o      (ring_full),
    .cnt_ring_full_o  (cnt_ring_full),
    .cnt_overflow_o   (cnt_overflow),
    .cnt_aborted_o    (cnt_aborted),
    .cnt_dma_o        (cnt_dma)
  );

  logic        fire_valid, fire_ready;
  logic [10:0] fire_vector;

  irq_moderation #(
    .NumVectors(NumVectors),
    .ClkMhz    (ClkMhz)
  ) u_irq_moderation (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .time_i           (time_q[31:0]),
    .cfg_idx_i        (mod_idx),
    .cfg_we_i         (mod_cfg_we),
    .itr_we_i         (mod_itr_we),
    .cfg_wdata_i      (mod_wdata),
    .cfg_rdata_o      (mod_cfg_rdata),
    .itr_rdata_o      (mod_itr_rdata),
    .ev_valid_i       (note_valid),
    .ev_vector_i      (note_vector),
    .ev_ready_o       (note_ready),
    .fire_valid_o     (fire_valid),
    .fire_vector_o    (fire_vector),
    .fire_ready_i     (fire_ready),
    .held_o           (mod_held),
    .busy_o           (mod_busy),
    .cnt_coalesced_o  (cnt_coalesced),
    .cnt_fired_o      (cnt_fired),
    .cnt_bad_vector_o (cnt_bad_vector)
  );

  // Acknowledge mode: a message for an outstanding vector stops here.
  logic        send_valid, send_ready;
  logic [10:0] send_vector;

  irq_ack #(
    .NumVectors(NumVectors)
  ) u_irq_ack (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .ack_mode_i       (ack_mode),
    .ack_valid_i      (ack_valid),
    .ack_vector_i     (ack_vector),
    .fire_valid_i     (fire_valid),
    .fire_vector_i    (fire_vector),
    .fire_ready_o     (fire_ready),
    .send_valid_o     (send_valid),
    .send_vector_o    (send_vector),
    .send_ready_i     (send_ready),
    .cnt_suppressed_o (cnt_ack_suppressed)
  );

  logic                   msg_valid, msg_done;
  logic [2:0]             msg_ndw;

  irq_sender #(
    .NumVectors(NumVectors),
    .HardIp    (HardIp)
  ) u_irq_sender (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .fire_valid_i     (send_valid),
    .fire_vector_i    (send_vector),
    .fire_ready_o     (send_ready),
    .msix_en_i        (msix_en),
    .msix_vec_o       (msix_vec),
    .msix_addr_i      (msix_addr),
    .msix_data_i      (msix_data),
    .msix_masked_i    (msix_masked),
    .msix_pend_o      (pend_set),
    .msix_rel_valid_i (rel_valid),
    .msix_rel_vec_i   (rel_vec),
    .msix_rel_ready_o (rel_ready),
    .msi_en_i         (msi_en),
    .msi_log2n_i      (msi_log2n),
    .msi_addr_i       (msi_addr),
    .msi_data_i       (msi_data),
    .msi_mask_i       (msi_mask),
    .msi_pend_i       (msi_pend),
    .msi_pend_set_o   (msi_pend_set),
    .msi_pend_clr_o   (msi_pend_clr),
    .msi_pend_idx_o   (msi_pend_idx),
    .bme_i            (bme),
    .bus_i            (bus_num),
    .dev_i            (dev_num),
    .tx_valid_o       (msg_valid),
    .tx_ndw_o         (msg_ndw),
    .tx_rd_idx_i      (tx_rd_idx),
    .tx_rd_dw_o       (msg_dw),
    .tx_done_i        (msg_done),
    .req_valid_o      (msg_req_valid_o),
    .req_msix_o       (msg_req_msix_o),
    .req_vector_o     (msg_req_vector_o),
    .req_addr_o       (msg_req_addr_o),
    .req_data_o       (msg_req_data_o),
    .req_done_i       (msg_req_done_i),
    .req_pend_i       (msg_req_pend_i),
    .req_drop_i       (msg_req_drop_i),
    .busy_o           (send_busy),
    .cnt_sent_o       (cnt_msi_sent),
    .cnt_pended_o     (cnt_msi_pended)
  );

  // ---------------------------------------------------------------------------------------------
  // Transmit
  // ---------------------------------------------------------------------------------------------
  tlp_tx u_tlp_tx (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .rd_idx_o    (tx_rd_idx),
    .cpl_valid_i (cpl_valid),
    .cpl_dw_i    (cpl_dw),
    .cpl_ndw_i   (cpl_ndw),
    .cpl_done_o  (cpl_done),
    .dma_valid_i (dma_valid),
    .dma_dw_i    (dma_dw),
    .dma_ndw_i   (dma_ndw),
    .dma_done_o  (dma_done),
    .msg_valid_i (msg_valid),
    .msg_dw_i    (msg_dw),
    .msg_ndw_i   (msg_ndw),
    .msg_done_o  (msg_done),
    .tx_tdata_o  (m_axis_tx_tdata),
    .tx_tvalid_o (m_axis_tx_tvalid),
    .tx_tready_i (m_axis_tx_tready),
    .tx_tlast_o  (m_axis_tx_tlast)
  );

endmodule
