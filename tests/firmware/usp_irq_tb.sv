// Test top for the UltraScale+ interrupt adapter: irqrig_core as a board builds it (HardIp), the
// adapter, and the behavioural model of the hard IP's interrupt interface in place of the IP.
// The C++ harness drives the core's request stream (BAR0 offsets, as the request bridge hands
// them), sinks its writes, sets the host's configuration in the model and watches what it sends.
module usp_irq_tb #(
  parameter int unsigned NumVectors = 32,
  parameter int unsigned MsiVectors = 32,
  parameter int unsigned MaxFails   = 0,
  parameter int unsigned RetryGap   = 16
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  // the core's streams
  input  logic [31:0] s_axis_rx_tdata,
  input  logic        s_axis_rx_tvalid,
  output logic        s_axis_rx_tready,
  input  logic        s_axis_rx_tlast,
  output logic [31:0] m_axis_tx_tdata,
  output logic        m_axis_tx_tvalid,
  input  logic        m_axis_tx_tready,
  output logic        m_axis_tx_tlast,
  // the host's configuration, held by the model
  input  logic        host_mem_en_i,
  input  logic        host_bme_i,
  input  logic        host_msi_en_i,
  input  logic [2:0]  host_msi_mme_i,
  input  logic [31:0] host_msi_mask_i,
  input  logic [63:0] host_msi_addr_i,
  input  logic [15:0] host_msi_data_i,
  input  logic        host_msix_en_i,
  input  logic        host_msix_fmask_i,
  input  logic [7:0]  latency_i,
  input  logic        fail_i,
  // observation
  output logic        msg_valid_o,
  output logic        msg_msix_o,
  output logic [4:0]  msg_vector_o,
  output logic [63:0] msg_addr_o,
  output logic [31:0] msg_data_o,
  output logic [31:0] ip_msi_pending_o,
  output logic [7:0]  protocol_error_o,
  output logic        cnt_fail_o,
  output logic        cnt_drop_o,
  output logic        adapter_busy_o,
  output logic        msi_int_o,       // a request pulse to the IP this cycle
  output logic        msix_int_o
);

  logic        req_valid, req_msix, req_done, req_pend, req_drop;
  logic [10:0] req_vector;
  logic [63:0] req_addr;
  logic [31:0] req_data, msi_pending;
  logic        hip_mem_en, hip_bme, hip_msix_en, hip_msix_fmask, hip_msi_en;
  logic [2:0]  hip_msi_mme;
  logic [31:0] hip_msi_mask;
  logic [63:0] time_unused;

  logic [15:0] cfg_function_status;
  logic [3:0]  msi_enable, msix_enable, msix_mask;
  logic [11:0] msi_mmenable;
  logic        msi_mask_update, msi_sent, msi_fail, msix_int, pend_de;
  logic [31:0] msi_data, msi_int, pend_status;
  logic [1:0]  msi_select, pend_fn, tph_type, msix_vec_pending;
  logic [2:0]  msi_attr;
  logic        tph_present;
  logic [7:0]  tph_st_tag, msi_fn;
  logic [63:0] msix_address;
  logic [31:0] msix_data;

  irqrig_core #(
    .NumVectors(NumVectors),
    .MsiVectors(MsiVectors),
    .HardIp    (1'b1)
  ) u_core (
    .clk_i                (clk_i),
    .rst_ni               (rst_ni),
    .s_axis_rx_tdata      (s_axis_rx_tdata),
    .s_axis_rx_tvalid     (s_axis_rx_tvalid),
    .s_axis_rx_tready     (s_axis_rx_tready),
    .s_axis_rx_tlast      (s_axis_rx_tlast),
    .m_axis_tx_tdata      (m_axis_tx_tdata),
    .m_axis_tx_tvalid     (m_axis_tx_tvalid),
    .m_axis_tx_tready     (m_axis_tx_tready),
    .m_axis_tx_tlast      (m_axis_tx_tlast),
    .time_o               (time_unused),
    .hip_cfg_mem_en_i     (hip_mem_en),
    .hip_cfg_bme_i        (hip_bme),
    .hip_cfg_msix_en_i    (hip_msix_en),
    .hip_cfg_msix_fmask_i (hip_msix_fmask),
    .hip_cfg_msi_en_i     (hip_msi_en),
    .hip_cfg_msi_mme_i    (hip_msi_mme),
    .hip_cfg_msi_mask_i   (hip_msi_mask),
    .msg_req_valid_o      (req_valid),
    .msg_req_msix_o       (req_msix),
    .msg_req_vector_o     (req_vector),
    .msg_req_addr_o       (req_addr),
    .msg_req_data_o       (req_data),
    .msg_req_done_i       (req_done),
    .msg_req_pend_i       (req_pend),
    .msg_req_drop_i       (req_drop),
    .msi_pending_o        (msi_pending)
  );

  usp_irq_adapter #(
    .MaxFails(MaxFails),
    .RetryGap(RetryGap)
  ) u_adapter (
    .clk_i                                          (clk_i),
    .rst_ni                                         (rst_ni),
    .req_valid_i                                    (req_valid),
    .req_msix_i                                     (req_msix),
    .req_vector_i                                   (req_vector),
    .req_addr_i                                     (req_addr),
    .req_data_i                                     (req_data),
    .req_done_o                                     (req_done),
    .req_pend_o                                     (req_pend),
    .req_drop_o                                     (req_drop),
    .msi_pending_i                                  (msi_pending),
    .hip_cfg_mem_en_o                               (hip_mem_en),
    .hip_cfg_bme_o                                  (hip_bme),
    .hip_cfg_msix_en_o                              (hip_msix_en),
    .hip_cfg_msix_fmask_o                           (hip_msix_fmask),
    .hip_cfg_msi_en_o                               (hip_msi_en),
    .hip_cfg_msi_mme_o                              (hip_msi_mme),
    .hip_cfg_msi_mask_o                             (hip_msi_mask),
    .cnt_fail_o                                     (cnt_fail_o),
    .cnt_drop_o                                     (cnt_drop_o),
    .busy_o                                         (adapter_busy_o),
    .cfg_function_status_i                          (cfg_function_status),
    .cfg_interrupt_msi_enable_i                     (msi_enable),
    .cfg_interrupt_msi_mmenable_i                   (msi_mmenable),
    .cfg_interrupt_msi_mask_update_i                (msi_mask_update),
    .cfg_interrupt_msi_data_i                       (msi_data),
    .cfg_interrupt_msi_select_o                     (msi_select),
    .cfg_interrupt_msi_int_o                        (msi_int),
    .cfg_interrupt_msi_pending_status_o             (pend_status),
    .cfg_interrupt_msi_pending_status_data_enable_o (pend_de),
    .cfg_interrupt_msi_pending_status_function_num_o(pend_fn),
    .cfg_interrupt_msi_sent_i                       (msi_sent),
    .cfg_interrupt_msi_fail_i                       (msi_fail),
    .cfg_interrupt_msi_attr_o                       (msi_attr),
    .cfg_interrupt_msi_tph_present_o                (tph_present),
    .cfg_interrupt_msi_tph_type_o                   (tph_type),
    .cfg_interrupt_msi_tph_st_tag_o                 (tph_st_tag),
    .cfg_interrupt_msi_function_number_o            (msi_fn),
    .cfg_interrupt_msix_enable_i                    (msix_enable),
    .cfg_interrupt_msix_mask_i                      (msix_mask),
    .cfg_interrupt_msix_address_o                   (msix_address),
    .cfg_interrupt_msix_data_o                      (msix_data),
    .cfg_interrupt_msix_int_o                       (msix_int),
    .cfg_interrupt_msix_vec_pending_o               (msix_vec_pending)
  );

  usp_irq_model u_model (
    .clk_i                                          (clk_i),
    .rst_ni                                         (rst_ni),
    .host_mem_en_i                                  (host_mem_en_i),
    .host_bme_i                                     (host_bme_i),
    .host_msi_en_i                                  (host_msi_en_i),
    .host_msi_mme_i                                 (host_msi_mme_i),
    .host_msi_mask_i                                (host_msi_mask_i),
    .host_msi_addr_i                                (host_msi_addr_i),
    .host_msi_data_i                                (host_msi_data_i),
    .host_msix_en_i                                 (host_msix_en_i),
    .host_msix_fmask_i                              (host_msix_fmask_i),
    .latency_i                                      (latency_i),
    .fail_i                                         (fail_i),
    .msg_valid_o                                    (msg_valid_o),
    .msg_msix_o                                     (msg_msix_o),
    .msg_vector_o                                   (msg_vector_o),
    .msg_addr_o                                     (msg_addr_o),
    .msg_data_o                                     (msg_data_o),
    .msi_pending_o                                  (ip_msi_pending_o),
    .protocol_error_o                               (protocol_error_o),
    .cfg_function_status_o                          (cfg_function_status),
    .cfg_interrupt_msi_enable_o                     (msi_enable),
    .cfg_interrupt_msi_mmenable_o                   (msi_mmenable),
    .cfg_interrupt_msi_mask_update_o                (msi_mask_update),
    .cfg_interrupt_msi_data_o                       (msi_data),
    .cfg_interrupt_msi_select_i                     (msi_select),
    .cfg_interrupt_msi_int_i                        (msi_int),
    .cfg_interrupt_msi_pending_status_i             (pend_status),
    .cfg_interrupt_msi_pending_status_data_enable_i (pend_de),
    .cfg_interrupt_msi_pending_status_function_num_i(pend_fn),
    .cfg_interrupt_msi_sent_o                       (msi_sent),
    .cfg_interrupt_msi_fail_o                       (msi_fail),
    .cfg_interrupt_msi_function_number_i            (msi_fn),
    .cfg_interrupt_msix_enable_o                    (msix_enable),
    .cfg_interrupt_msix_mask_o                      (msix_mask),
    .cfg_interrupt_msix_address_i                   (msix_address),
    .cfg_interrupt_msix_data_i                      (msix_data),
    .cfg_interrupt_msix_int_i                       (msix_int)
  );

  assign msi_int_o  = msi_int != 32'h0;
  assign msix_int_o = msix_int;

  logic unused;
  assign unused = ^{time_unused, msi_attr, tph_present, tph_type, tph_st_tag, msix_vec_pending};

endmodule
