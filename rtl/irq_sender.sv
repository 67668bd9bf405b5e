// Message sender: turns a message that moderation fired for vector v into an MSI-X or MSI MemWr,
// or into a pending bit when the vector is masked (SEMANTICS A3-A7, H4). Which capability is used
// is which enable the host set: MSI-X when its Enable is set, else MSI when MSI Enable is set,
// else neither (A7 [choice]: treated as a masked MSI-X vector, so the PBA bit is set). Under MSI,
// vector v is message m = v mod 2^MME, whose data replaces the low MME bits of Message Data by m
// (A2). Messages released by an unmask (an MSI-X PBA bit or an MSI Pending bit that is pending and
// no longer masked) are sent first, once each. Mask state is read again every cycle until the TLP
// is handed to the transmitter, so a message masked while it waits for Bus Master Enable pends.
// With HardIp a board's hard IP sends the message: the same decision is offered as a request
// (capability, vector, address, data) instead of a TLP, and the IP's answer may send it back to
// the decision (masked or disabled at the IP) or end it unsent (given up by the adapter).
module irq_sender #(
  parameter int unsigned NumVectors = 2048,
  parameter bit          HardIp     = 1'b0
) (
  input  logic                               clk_i,
  input  logic                               rst_ni,
  // messages fired by moderation
  input  logic                               fire_valid_i,
  input  logic [10:0]                        fire_vector_i,
  output logic                               fire_ready_o,
  // MSI-X table port (entry of msix_vec_o one cycle later; mask state now)
  input  logic                               msix_en_i,
  output logic [10:0]                        msix_vec_o,
  input  logic [63:0]                        msix_addr_i,
  input  logic [31:0]                        msix_data_i,
  input  logic                               msix_masked_i,  // its mask, Function Mask or !Enable
  output logic                               msix_pend_o,    // set PBA[msix_vec_o]
  input  logic                               msix_rel_valid_i,
  input  logic [10:0]                        msix_rel_vec_i,
  output logic                               msix_rel_ready_o,
  // MSI capability
  input  logic                               msi_en_i,
  input  logic [2:0]                         msi_log2n_i,
  input  logic [63:0]                        msi_addr_i,
  input  logic [15:0]                        msi_data_i,
  input  logic [31:0]                        msi_mask_i,
  input  logic [31:0]                        msi_pend_i,
  output logic                               msi_pend_set_o,
  output logic                               msi_pend_clr_o,
  output logic [4:0]                         msi_pend_idx_o,
  // requester ID and Bus Master Enable
  input  logic                               bme_i,
  input  logic [7:0]                         bus_i,
  input  logic [4:0]                         dev_i,
  // TLP to the transmitter, held until sent; DW tx_rd_idx_i on tx_rd_dw_o (combinational)
  output logic                               tx_valid_o,
  output logic [2:0]                         tx_ndw_o,
  input  logic [4:0]                         tx_rd_idx_i,
  output logic [31:0]                        tx_rd_dw_o,
  input  logic                               tx_done_i,
  // message request to a hard IP (HardIp), held until done
  output logic                               req_valid_o,
  output logic                               req_msix_o,     // MSI-X: table entry; else MSI
  output logic [10:0]                        req_vector_o,   // MSI-X entry or MSI message number
  output logic [63:0]                        req_addr_o,
  output logic [31:0]                        req_data_o,
  input  logic                               req_done_i,
  input  logic                               req_pend_i,     // with done: masked/disabled at the IP
  input  logic                               req_drop_i,     // with done: not sent, given up
  // status and counter pulses
  output logic                               busy_o,
  output logic                               cnt_sent_o,
  output logic                               cnt_pended_o
);

  typedef enum logic [1:0] {
    StIdle,
    StRead,   // the MSI-X entry of vec_q is being read
    StDecide, // masked -> pending bit; else load the TLP once Bus Master Enable is set
    StSend    // the TLP is offered
  } state_e;

  typedef enum logic [1:0] {
    JobFire,     // a message from moderation
    JobMsixRel,  // released from the MSI-X PBA
    JobMsiRel    // released from the MSI Pending bits
  } job_e;

  state_e      state_q, state_d;
  job_e        job_q;
  logic [10:0] vec_q;
  logic        tx_4dw_q;
  logic [61:0] tx_addr_q;  // DW address
  logic [31:0] tx_data_q;
  logic [12:0] tx_rid_q;   // {bus, device}
  logic        tx_valid_q;
  logic        req_msix_q;
  logic [10:0] req_vec_q;
  logic        done, redecide;

  // ---------------------------------------------------------------------------------------------
  // MSI: message number, data, the release of pending and now unmasked messages
  // ---------------------------------------------------------------------------------------------
  logic [31:0] msi_low;       // the low MME bits
  logic [4:0]  msi_m;
  logic [15:0] msi_data;
  logic        msi_active, msix_scheme;
  logic [31:0] msi_elig;
  logic [4:0]  msi_rel_idx;

  assign msi_low     = (32'h1 << msi_log2n_i) - 32'h1;
  assign msi_m       = vec_q[4:0] & msi_low[4:0];
  assign msi_data    = (msi_data_i & ~msi_low[15:0]) | {11'd0, msi_m};
  // Both enables set is not allowed to software (PCI 3.0 6.8.2); MSI-X wins then.
  assign msi_active  = msi_en_i && !msix_en_i;
  assign msix_scheme = (job_q == JobMsixRel) || (job_q == JobFire && !msi_active);
  assign msi_elig    = msi_pend_i & ~msi_mask_i;

  assign msi_rel_idx = irqrig_pkg::lowest_set(msi_elig);

  logic msi_rel_valid;
  assign msi_rel_valid = msi_active && msi_elig != 32'h0;

  // ---------------------------------------------------------------------------------------------
  // The message TLP: a 1-DW MemWr, 3DW header below 4 GiB and 4DW above. Address, data and
  // requester ID are latched when it is handed over; the transmitter reads one DW at a time.
  // ---------------------------------------------------------------------------------------------
  logic [63:0] m_addr;
  logic [31:0] m_data;

  assign m_addr = msix_scheme ? msix_addr_i : {msi_addr_i[63:2], 2'b00};
  assign m_data = msix_scheme ? msix_data_i : {16'h0, msi_data};

  always_comb begin
    case (tx_rd_idx_i)
      5'd0: tx_rd_dw_o = tlp_pkg::tlp_dw0(tx_4dw_q ? tlp_pkg::Fmt4dwData : tlp_pkg::Fmt3dwData,
                                          tlp_pkg::TypeMem, 3'd0, 2'd0, 10'd1);
      5'd1: tx_rd_dw_o = {tx_rid_q, 3'b000, 8'h00, 4'h0, 4'hF};  // Last DW BE 0: one DW
      5'd2: tx_rd_dw_o = tx_4dw_q ? tx_addr_q[61:30] : {tx_addr_q[29:0], 2'b00};
      5'd3: tx_rd_dw_o = tx_4dw_q ? {tx_addr_q[29:0], 2'b00} : tx_data_q;
      5'd4: tx_rd_dw_o = tx_4dw_q ? tx_data_q : 32'h0;
      default: tx_rd_dw_o = 32'h0;  // past the message: never read
    endcase
  end

  // ---------------------------------------------------------------------------------------------
  // Sequencer
  // ---------------------------------------------------------------------------------------------
  logic idle, take_msix_rel, take_msi_rel, take_fire;
  logic masked, tx_load;

  assign idle          = state_q == StIdle;
  assign take_msix_rel = idle && msix_rel_valid_i;
  assign take_msi_rel  = idle && !msix_rel_valid_i && msi_rel_valid;
  assign take_fire     = idle && !msix_rel_valid_i && !msi_rel_valid && fire_valid_i;

  assign fire_ready_o     = take_fire;
  assign msix_rel_ready_o = take_msix_rel;
  assign msix_vec_o       = vec_q;
  // A message released from the MSI Pending bits pends again if MSI was disabled meanwhile.
  assign masked           = msix_scheme ? msix_masked_i : (!msi_active || msi_mask_i[msi_m]);

  always_comb begin
    state_d        = state_q;
    tx_load        = 1'b0;
    msix_pend_o    = 1'b0;
    msi_pend_set_o = 1'b0;
    msi_pend_clr_o = take_msi_rel;
    msi_pend_idx_o = take_msi_rel ? msi_rel_idx : msi_m;
    cnt_pended_o   = 1'b0;
    cnt_sent_o     = 1'b0;
    case (state_q)
      StIdle: begin
        if (take_msix_rel || take_msi_rel || take_fire) state_d = StRead;
      end
      StRead: state_d = StDecide;
      StDecide: begin
        if (masked) begin
          // SEMANTICS A4, A6, A7, H4: masked -> pending bit, no message. A released message
          // masked again before it went out is pending again; it was counted once already.
          msix_pend_o    = msix_scheme;
          msi_pend_set_o = !msix_scheme;
          cnt_pended_o   = job_q == JobFire;
          state_d        = StIdle;
        end else if (bme_i) begin
          tx_load = 1'b1;
          state_d = StSend;
        end
      end
      StSend: begin
        // The hard IP found the vector masked or its capability disabled: decide again with the
        // same view (the IP's configuration outputs are the core's), which pends it, or send
        // again if it changed back meanwhile. The table entry is read again on the way.
        if (redecide) begin
          state_d = StRead;
        end else if (done) begin
          cnt_sent_o = !(HardIp && req_drop_i);
          state_d    = StIdle;
        end
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= StIdle;
      job_q      <= JobFire;
      vec_q      <= 11'd0;
      tx_valid_q <= 1'b0;
    end else begin
      state_q <= state_d;
      if (take_msix_rel) begin
        job_q <= JobMsixRel;
        vec_q <= msix_rel_vec_i;
      end else if (take_msi_rel) begin
        job_q <= JobMsiRel;
        vec_q <= {6'd0, msi_rel_idx};
      end else if (take_fire) begin
        job_q <= JobFire;
        vec_q <= fire_vector_i;
      end
      if (tx_load) begin
        tx_valid_q <= 1'b1;
      end else if (done) begin
        tx_valid_q <= 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (tx_load) begin
      tx_4dw_q  <= m_addr[63:32] != 32'h0;
      tx_addr_q <= m_addr[63:2];
      tx_data_q <= m_data;
      tx_rid_q  <= {bus_i, dev_i};
      req_msix_q <= msix_scheme;
      req_vec_q  <= msix_scheme ? vec_q : {6'd0, msi_m};
    end
  end

  assign done         = HardIp ? req_done_i : tx_done_i;
  assign redecide     = HardIp && req_done_i && req_pend_i;
  assign tx_valid_o   = tx_valid_q && !HardIp;
  assign req_valid_o  = tx_valid_q && HardIp;
  assign req_msix_o   = req_msix_q;
  assign req_vector_o = req_vec_q;
  assign req_addr_o   = {tx_addr_q, 2'b00};
  assign req_data_o   = tx_data_q;
  assign tx_ndw_o   = tx_4dw_q ? 3'd5 : 3'd4;
  assign busy_o     = !idle;

  logic unused_msi;
  assign unused_msi = ^{msi_low[31:16], msi_addr_i[1:0], m_addr[1:0]};

`ifndef SYNTHESIS
  // Protocol invariants: no message while its capability is disabled or the vector masked
  // (A3, A4, A6); a pending bit is only set while masked; released vectors exist.
  always @(posedge clk_i) begin
    if (rst_ni && tx_load && msix_scheme) begin
      assert (msix_en_i && !msix_masked_i)
        else $error("irq_sender: MSI-X message for vector %0d while disabled or masked", vec_q);
    end
    if (rst_ni && tx_load && !msix_scheme) begin
      assert (msi_active && !msi_mask_i[msi_m])
        else $error("irq_sender: MSI message %0d while disabled or masked", msi_m);
    end
    if (rst_ni && msi_pend_set_o) begin
      assert (msi_mask_i[msi_m] || !msi_active)
        else $error("irq_sender: MSI pending bit %0d set while unmasked", msi_m);
    end
    if (rst_ni && take_fire) begin
      assert (32'(fire_vector_i) < NumVectors)
        else $error("irq_sender: message for vector %0d", fire_vector_i);
    end
    if (rst_ni && done) begin
      assert (tx_valid_q) else $error("irq_sender: done without a TLP or request");
    end
    if (rst_ni && HardIp && req_done_i) begin
      assert (!(req_pend_i && req_drop_i)) else $error("irq_sender: request both pended and dropped");
    end
  end
`endif

endmodule
