// Interrupt adapter between irqrig_core (HardIp = 1) and the interrupt interface of the Xilinx
// UltraScale+ Integrated Block for PCI Express (pcie4_uscale_plus, PG213), physical function 0.
// Vendor-free: it only speaks the IP's port protocol, so it is simulated against a model of it.
//
// The hard IP owns the config space. Its Command bits, MSI control and mask and MSI-X control are
// handed to the core (hip_cfg_*), which decides masked -> pending exactly as it does alone. A
// message the core asks for (one at a time, held until done) becomes:
//   MSI:   a one-cycle pulse on cfg_interrupt_msi_int[m], m the message number the core mapped
//          (vector mod 2^MME); the IP writes its own Message Address / Data with m in the low bits.
//   MSI-X: a one-cycle pulse on cfg_interrupt_msix_int with the core's table entry on
//          cfg_interrupt_msix_address / _data ("MSI-X External": table and PBA stay in BAR0).
// Then it waits for cfg_interrupt_msi_sent or _fail (PG213: the IP answers MSI and MSI-X external
// on the same pair). Sent ends the request. Whenever the IP shows the vector masked or its
// capability disabled (before issuing, or on a fail) the request goes back to the core (pend),
// which sets the PBA / MSI Pending bit and sends it on unmask. Any other fail is retried after
// RetryGap cycles; after MaxFails such fails of one message (0: never) it is dropped and counted. The core's MSI Pending bits are written
// to the IP's Pending register continuously.
module usp_irq_adapter #(
  parameter int unsigned MaxFails = 0,  // fails of one message before it is dropped; 0: never
  parameter int unsigned RetryGap = 16  // cycles from a fail to the next look, 1..65535
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  // core: message requests
  input  logic        req_valid_i,
  input  logic        req_msix_i,
  input  logic [10:0] req_vector_i,
  input  logic [63:0] req_addr_i,
  input  logic [31:0] req_data_i,
  output logic        req_done_o,
  output logic        req_pend_o,
  output logic        req_drop_o,
  input  logic [31:0] msi_pending_i,
  // core: the IP's view of PF0's configuration
  output logic        hip_cfg_mem_en_o,
  output logic        hip_cfg_bme_o,
  output logic        hip_cfg_msix_en_o,
  output logic        hip_cfg_msix_fmask_o,
  output logic        hip_cfg_msi_en_o,
  output logic [2:0]  hip_cfg_msi_mme_o,
  output logic [31:0] hip_cfg_msi_mask_o,
  // status: one pulse per fail answer, per dropped message
  output logic        cnt_fail_o,
  output logic        cnt_drop_o,
  output logic        busy_o,
  // hard IP: configuration status
  input  logic [15:0] cfg_function_status_i,
  // hard IP: MSI
  input  logic [3:0]  cfg_interrupt_msi_enable_i,
  input  logic [11:0] cfg_interrupt_msi_mmenable_i,
  input  logic        cfg_interrupt_msi_mask_update_i,
  input  logic [31:0] cfg_interrupt_msi_data_i,
  output logic [1:0]  cfg_interrupt_msi_select_o,
  output logic [31:0] cfg_interrupt_msi_int_o,
  output logic [31:0] cfg_interrupt_msi_pending_status_o,
  output logic        cfg_interrupt_msi_pending_status_data_enable_o,
  output logic [1:0]  cfg_interrupt_msi_pending_status_function_num_o,
  input  logic        cfg_interrupt_msi_sent_i,
  input  logic        cfg_interrupt_msi_fail_i,
  output logic [2:0]  cfg_interrupt_msi_attr_o,
  output logic        cfg_interrupt_msi_tph_present_o,
  output logic [1:0]  cfg_interrupt_msi_tph_type_o,
  output logic [7:0]  cfg_interrupt_msi_tph_st_tag_o,
  output logic [7:0]  cfg_interrupt_msi_function_number_o,
  // hard IP: MSI-X (external table)
  input  logic [3:0]  cfg_interrupt_msix_enable_i,
  input  logic [3:0]  cfg_interrupt_msix_mask_i,
  output logic [63:0] cfg_interrupt_msix_address_o,
  output logic [31:0] cfg_interrupt_msix_data_o,
  output logic        cfg_interrupt_msix_int_o,
  output logic [1:0]  cfg_interrupt_msix_vec_pending_o
);

  localparam int unsigned GapW  = 16;
  localparam int unsigned FailW = 16;

  // RetryGap 0 would look again in the cycle the IP answered; MaxFails must fit its counter.
`ifdef __ICARUS__
  initial begin
    if (RetryGap < 1 || RetryGap > 65535) $fatal(1, "usp_irq_adapter: RetryGap must be 1..65535");
    if (MaxFails > 65535) $fatal(1, "usp_irq_adapter: MaxFails must be 0..65535");
  end
`else
  if (RetryGap < 1 || RetryGap > 65535) begin : gen_bad_retry_gap
    $fatal(1, "usp_irq_adapter: RetryGap must be 1..65535");
  end
  if (MaxFails > 65535) begin : gen_bad_max_fails
    $fatal(1, "usp_irq_adapter: MaxFails must be 0..65535");
  end
`endif

  // ---------------------------------------------------------------------------------------------
  // The IP's view of PF0. cfg_function_status holds 4 bits per function: I/O Space Enable, Memory
  // Space Enable, Bus Master Enable, INTx Disable. With cfg_interrupt_msi_select = 0 the IP shows
  // PF0's MSI Mask Bits on cfg_interrupt_msi_data; they are registered, so a request is not issued
  // in the cycle the IP announces a mask change (cfg_interrupt_msi_mask_update).
  // ---------------------------------------------------------------------------------------------
  logic [31:0] msi_mask_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) msi_mask_q <= 32'h0;
    else         msi_mask_q <= cfg_interrupt_msi_data_i;
  end

  assign hip_cfg_mem_en_o     = cfg_function_status_i[1];
  assign hip_cfg_bme_o        = cfg_function_status_i[2];
  assign hip_cfg_msix_en_o    = cfg_interrupt_msix_enable_i[0];
  assign hip_cfg_msix_fmask_o = cfg_interrupt_msix_mask_i[0];
  assign hip_cfg_msi_en_o     = cfg_interrupt_msi_enable_i[0];
  assign hip_cfg_msi_mme_o    = cfg_interrupt_msi_mmenable_i[2:0];
  assign hip_cfg_msi_mask_o   = msi_mask_q;

  // Whether the IP would send the request now. MSI: enabled, unmasked, the number inside the
  // enabled block (the core maps with the same MME, so it is unless MME changed meanwhile).
  logic [5:0] msi_count;
  logic       msi_ok, msix_ok, deliverable, settled;

  assign msi_count   = 6'd1 << (cfg_interrupt_msi_mmenable_i[2:0] > 3'd5 ? 3'd5
                                                                      : cfg_interrupt_msi_mmenable_i[2:0]);
  assign msi_ok      = cfg_interrupt_msi_enable_i[0] && !msi_mask_q[req_vector_i[4:0]] &&
                       req_vector_i < {5'd0, msi_count};
  assign msix_ok     = cfg_interrupt_msix_enable_i[0] && !cfg_interrupt_msix_mask_i[0];
  assign deliverable = req_msix_i ? msix_ok : msi_ok;
  assign settled     = req_msix_i || !cfg_interrupt_msi_mask_update_i;

  // ---------------------------------------------------------------------------------------------
  // One request in flight
  // ---------------------------------------------------------------------------------------------
  typedef enum logic [2:0] {
    StIdle,   // look at the held request
    StIssue,  // the one-cycle pulse to the IP
    StWait,   // until sent or fail
    StGap,    // after a fail
    StDone    // done to the core (it drops the request at this edge)
  } state_e;

  state_e             state_q, state_d;
  logic               pend_q, pend_d, drop_q, drop_d, msix_q;
  logic [4:0]         msi_num_q;
  logic [63:0]        addr_q;
  logic [31:0]        data_q;
  logic [GapW-1:0]    gap_q, gap_d;
  logic [FailW-1:0]   fails_q, fails_d;
  logic               issue, last_fail;

  assign last_fail = MaxFails != 0 && 32'(fails_q) + 32'd1 >= MaxFails;

  always_comb begin
    state_d    = state_q;
    pend_d     = pend_q;
    drop_d     = drop_q;
    gap_d      = gap_q;
    fails_d    = fails_q;
    issue      = 1'b0;
    cnt_fail_o = 1'b0;
    cnt_drop_o = 1'b0;
    case (state_q)
      StIdle: begin
        if (req_valid_i && settled) begin
          if (deliverable) begin
            issue   = 1'b1;
            state_d = StIssue;
          end else begin
            pend_d  = 1'b1;
            drop_d  = 1'b0;
            state_d = StDone;
          end
        end
      end
      StIssue: state_d = StWait;
      StWait: begin
        if (cfg_interrupt_msi_sent_i) begin
          pend_d  = 1'b0;
          drop_d  = 1'b0;
          state_d = StDone;
        end else if (cfg_interrupt_msi_fail_i) begin
          cnt_fail_o = 1'b1;
          // A fail because the host masked or disabled meanwhile is no failure of the message:
          // it goes back to the core to pend (a mask change just announced is looked at again).
          if (!settled) begin
            gap_d   = GapW'(RetryGap);
            state_d = StGap;
          end else if (!deliverable) begin
            pend_d  = 1'b1;
            drop_d  = 1'b0;
            state_d = StDone;
          end else if (last_fail) begin
            cnt_drop_o = 1'b1;
            pend_d     = 1'b0;
            drop_d     = 1'b1;
            state_d    = StDone;
          end else begin
            fails_d = fails_q + FailW'(1);
            gap_d   = GapW'(RetryGap);
            state_d = StGap;
          end
        end
      end
      StGap: begin
        gap_d = gap_q - GapW'(1);
        if (gap_q == GapW'(1)) state_d = StIdle;
      end
      StDone: begin
        fails_d = '0;
        state_d = StIdle;
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      pend_q  <= 1'b0;
      drop_q  <= 1'b0;
      gap_q   <= '0;
      fails_q <= '0;
    end else begin
      state_q <= state_d;
      pend_q  <= pend_d;
      drop_q  <= drop_d;
      gap_q   <= gap_d;
      fails_q <= fails_d;
    end
  end

  // The request is latched as it is issued: the IP registers address and data with the pulse.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      msix_q    <= 1'b0;
      msi_num_q <= 5'd0;
      addr_q    <= 64'h0;
      data_q    <= 32'h0;
    end else if (issue) begin
      msix_q    <= req_msix_i;
      msi_num_q <= req_vector_i[4:0];
      addr_q    <= req_addr_i;
      data_q    <= req_data_i;
    end
  end

  assign req_done_o = state_q == StDone;
  assign req_pend_o = req_done_o && pend_q;
  assign req_drop_o = req_done_o && drop_q;
  assign busy_o     = state_q != StIdle || req_valid_i;

  // ---------------------------------------------------------------------------------------------
  // IP ports: PF0 only, no TPH, default attributes; the MSI-X Pending Bit Array is the core's.
  // ---------------------------------------------------------------------------------------------
  assign cfg_interrupt_msi_int_o  = (state_q == StIssue && !msix_q) ? (32'h1 << msi_num_q) : 32'h0;
  assign cfg_interrupt_msix_int_o = state_q == StIssue && msix_q;
  assign cfg_interrupt_msix_address_o = addr_q;
  assign cfg_interrupt_msix_data_o    = data_q;
  assign cfg_interrupt_msix_vec_pending_o = 2'b00;

  assign cfg_interrupt_msi_select_o                      = 2'd0;
  assign cfg_interrupt_msi_pending_status_o              = msi_pending_i;
  assign cfg_interrupt_msi_pending_status_data_enable_o  = 1'b1;
  assign cfg_interrupt_msi_pending_status_function_num_o = 2'd0;
  assign cfg_interrupt_msi_attr_o                        = 3'd0;
  assign cfg_interrupt_msi_tph_present_o                 = 1'b0;
  assign cfg_interrupt_msi_tph_type_o                    = 2'd0;
  assign cfg_interrupt_msi_tph_st_tag_o                  = 8'd0;
  assign cfg_interrupt_msi_function_number_o             = 8'd0;

  logic unused_ip;
  assign unused_ip = ^{cfg_function_status_i[15:3], cfg_function_status_i[0],
                       cfg_interrupt_msi_enable_i[3:1], cfg_interrupt_msi_mmenable_i[11:3],
                       cfg_interrupt_msix_enable_i[3:1], cfg_interrupt_msix_mask_i[3:1],
                       req_vector_i[10:5]};

`ifndef SYNTHESIS
  // The IP's protocol: one interrupt in flight, answers only while one is; and the core's: a
  // request is not withdrawn before done.
  always @(posedge clk_i) begin
    if (rst_ni && (cfg_interrupt_msi_sent_i || cfg_interrupt_msi_fail_i)) begin
      assert (state_q == StWait) else $error("usp_irq_adapter: sent/fail with no interrupt in flight");
      assert (!(cfg_interrupt_msi_sent_i && cfg_interrupt_msi_fail_i))
        else $error("usp_irq_adapter: sent and fail together");
    end
    if (rst_ni && state_q != StIdle && state_q != StDone) begin
      assert (req_valid_i) else $error("usp_irq_adapter: request withdrawn before done");
    end
  end
`endif

endmodule
