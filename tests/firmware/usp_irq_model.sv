// Behavioural model of the interrupt interface of the UltraScale+ PCIe hard IP (PG213), PF0 only,
// for the adapter's tests. It plays the host's side too: the test sets the config space it holds.
//
// Handshake as PG213 describes it: an MSI is requested by a 0->1 transition of one bit of
// cfg_interrupt_msi_int, an MSI-X by a one-cycle cfg_interrupt_msix_int with address and data,
// which the IP registers; the user waits for cfg_interrupt_msi_sent or _fail (one cycle each, for
// MSI and MSI-X external alike) before the next. The answer comes latency_i cycles after the
// request (latency_i sampled then, at least 1). It is fail when, at answer time, the capability
// is disabled, MSI-X function-masked, the MSI vector masked or outside the enabled block, or the
// test forces it (fail_i in that cycle); otherwise the message goes out: sent, and it is shown
// on msg_* for one cycle (MSI: the capability's address and data, the data's low MME bits
// replaced by the vector). Anything the user must not do sets a sticky protocol_error_o code.
module usp_irq_model (
  input  logic        clk_i,
  input  logic        rst_ni,
  // the host's configuration of PF0 (what config writes put in the IP's capabilities)
  input  logic        host_mem_en_i,
  input  logic        host_bme_i,
  input  logic        host_msi_en_i,
  input  logic [2:0]  host_msi_mme_i,
  input  logic [31:0] host_msi_mask_i,
  input  logic [63:0] host_msi_addr_i,
  input  logic [15:0] host_msi_data_i,
  input  logic        host_msix_en_i,
  input  logic        host_msix_fmask_i,
  // test knobs
  input  logic [7:0]  latency_i,
  input  logic        fail_i,
  // what went out on the link
  output logic        msg_valid_o,
  output logic        msg_msix_o,
  output logic [4:0]  msg_vector_o,   // MSI: the vector requested
  output logic [63:0] msg_addr_o,
  output logic [31:0] msg_data_o,
  output logic [31:0] msi_pending_o,  // the IP's MSI Pending register
  output logic [7:0]  protocol_error_o,
  // the IP's ports
  output logic [15:0] cfg_function_status_o,
  output logic [3:0]  cfg_interrupt_msi_enable_o,
  output logic [11:0] cfg_interrupt_msi_mmenable_o,
  output logic        cfg_interrupt_msi_mask_update_o,
  output logic [31:0] cfg_interrupt_msi_data_o,
  input  logic [1:0]  cfg_interrupt_msi_select_i,
  input  logic [31:0] cfg_interrupt_msi_int_i,
  input  logic [31:0] cfg_interrupt_msi_pending_status_i,
  input  logic        cfg_interrupt_msi_pending_status_data_enable_i,
  input  logic [1:0]  cfg_interrupt_msi_pending_status_function_num_i,
  output logic        cfg_interrupt_msi_sent_o,
  output logic        cfg_interrupt_msi_fail_o,
  input  logic [7:0]  cfg_interrupt_msi_function_number_i,
  output logic [3:0]  cfg_interrupt_msix_enable_o,
  output logic [3:0]  cfg_interrupt_msix_mask_o,
  input  logic [63:0] cfg_interrupt_msix_address_i,
  input  logic [31:0] cfg_interrupt_msix_data_i,
  input  logic        cfg_interrupt_msix_int_i
);

  // Protocol error codes (first one wins)
  localparam logic [7:0] ErrNone         = 8'd0;
  localparam logic [7:0] ErrTwoMsiBits   = 8'd1;  // more than one MSI bit rose in one cycle
  localparam logic [7:0] ErrBusy         = 8'd2;  // a request while one is in flight (also
                                                  // cfg_interrupt_msix_int held a second cycle)
  localparam logic [7:0] ErrBoth         = 8'd3;  // MSI and MSI-X in the same cycle
  localparam logic [7:0] ErrFunction     = 8'd4;  // not PF0
  localparam logic [7:0] ErrPendFunction = 8'd5;  // pending status for another function

  logic [31:0] msi_int_prev_q, rise;
  logic        busy_q, msix_q;
  logic [4:0]  vec_q;
  logic [63:0] addr_q;
  logic [31:0] data_q;
  logic [7:0]  wait_q;
  logic [31:0] mask_prev_q, pend_q;
  logic [7:0]  err_q;

  assign rise = cfg_interrupt_msi_int_i & ~msi_int_prev_q;

  logic        msi_req, msix_req, resolve, deliver;
  logic [4:0]  rise_idx;
  logic [5:0]  mme_count;
  logic [31:0] low_bits;
  logic [7:0]  err_d;

  assign msi_req   = rise != 32'h0;
  assign msix_req  = cfg_interrupt_msix_int_i;
  assign rise_idx  = irqrig_pkg::lowest_set(rise);
  assign mme_count = 6'd1 << (host_msi_mme_i > 3'd5 ? 3'd5 : host_msi_mme_i);
  assign low_bits  = {26'd0, mme_count} - 32'd1;
  assign resolve   = busy_q && wait_q == 8'd1;
  assign deliver   = msix_q ? (host_msix_en_i && !host_msix_fmask_i)
                            : (host_msi_en_i && !host_msi_mask_i[vec_q] && {1'b0, vec_q} < mme_count);

  always_comb begin
    err_d = ErrNone;
    if ((rise & (rise - 32'h1)) != 32'h0)                     err_d = ErrTwoMsiBits;
    else if ((msi_req || msix_req) && busy_q)                 err_d = ErrBusy;
    else if (msi_req && msix_req)                             err_d = ErrBoth;
    else if ((msi_req || msix_req) && cfg_interrupt_msi_function_number_i != 8'd0)
                                                              err_d = ErrFunction;
    else if (cfg_interrupt_msi_pending_status_data_enable_i &&
             cfg_interrupt_msi_pending_status_function_num_i != 2'd0)
                                                              err_d = ErrPendFunction;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      msi_int_prev_q <= 32'h0;
      busy_q         <= 1'b0;
      msix_q         <= 1'b0;
      vec_q          <= 5'd0;
      addr_q         <= 64'h0;
      data_q         <= 32'h0;
      wait_q         <= 8'd0;
      mask_prev_q    <= 32'h0;
      pend_q         <= 32'h0;
      err_q          <= ErrNone;
    end else begin
      msi_int_prev_q <= cfg_interrupt_msi_int_i;
      mask_prev_q    <= host_msi_mask_i;
      if (err_q == ErrNone) err_q <= err_d;
      if (resolve) busy_q <= 1'b0;
      else if (busy_q) wait_q <= wait_q - 8'd1;
      if (!busy_q && (msi_req || msix_req)) begin
        busy_q <= 1'b1;
        msix_q <= msix_req;
        vec_q  <= rise_idx;
        addr_q <= cfg_interrupt_msix_address_i;
        data_q <= cfg_interrupt_msix_data_i;
        wait_q <= latency_i == 8'd0 ? 8'd1 : latency_i;
      end
      if (cfg_interrupt_msi_pending_status_data_enable_i) begin
        pend_q <= cfg_interrupt_msi_pending_status_i;
      end
    end
  end

  assign cfg_interrupt_msi_sent_o = resolve && deliver && !fail_i;
  assign cfg_interrupt_msi_fail_o = resolve && !(deliver && !fail_i);

  assign msg_valid_o  = cfg_interrupt_msi_sent_o;
  assign msg_msix_o   = msix_q;
  assign msg_vector_o = vec_q;
  assign msg_addr_o   = msix_q ? addr_q : host_msi_addr_i;
  assign msg_data_o   = msix_q ? data_q
                               : ({16'h0, host_msi_data_i} & ~low_bits) | ({27'd0, vec_q} & low_bits);
  assign msi_pending_o    = pend_q;
  assign protocol_error_o = err_q;

  assign cfg_function_status_o           = {13'd0, host_bme_i, host_mem_en_i, 1'b0};
  assign cfg_interrupt_msi_enable_o      = {3'b000, host_msi_en_i};
  assign cfg_interrupt_msi_mmenable_o    = {9'd0, host_msi_mme_i};
  assign cfg_interrupt_msi_mask_update_o = host_msi_mask_i != mask_prev_q;
  assign cfg_interrupt_msi_data_o        = cfg_interrupt_msi_select_i == 2'd0 ? host_msi_mask_i : 32'h0;
  assign cfg_interrupt_msix_enable_o     = {3'b000, host_msix_en_i};
  assign cfg_interrupt_msix_mask_o       = {3'b000, host_msix_fmask_i};

endmodule
