// Test top for the whole vendor-free board core: irqrig_usp_core (bridge, irqrig_core with
// HardIp, interrupt adapter) on the behavioural model of the hard IP's interrupt interface. The
// C++ harness plays the IP's CQ/CC/RQ streams and the host's configuration.
module usp_core_tb (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic [127:0] s_axis_cq_tdata,
  input  logic [3:0]   s_axis_cq_tkeep,
  input  logic         s_axis_cq_tlast,
  input  logic [87:0]  s_axis_cq_tuser,
  input  logic         s_axis_cq_tvalid,
  output logic         s_axis_cq_tready,
  output logic [127:0] m_axis_cc_tdata,
  output logic [3:0]   m_axis_cc_tkeep,
  output logic         m_axis_cc_tlast,
  output logic [32:0]  m_axis_cc_tuser,
  output logic         m_axis_cc_tvalid,
  input  logic         m_axis_cc_tready,
  output logic [127:0] m_axis_rq_tdata,
  output logic [3:0]   m_axis_rq_tkeep,
  output logic         m_axis_rq_tlast,
  output logic [61:0]  m_axis_rq_tuser,
  output logic         m_axis_rq_tvalid,
  input  logic         m_axis_rq_tready,
  // the host's configuration, held by the model
  input  logic         host_mem_en_i,
  input  logic         host_bme_i,
  input  logic         host_msi_en_i,
  input  logic [2:0]   host_msi_mme_i,
  input  logic [31:0]  host_msi_mask_i,
  input  logic [63:0]  host_msi_addr_i,
  input  logic [15:0]  host_msi_data_i,
  input  logic         host_msix_en_i,
  input  logic         host_msix_fmask_i,
  input  logic [7:0]   latency_i,
  input  logic         fail_i,
  // observation
  output logic         msg_valid_o,
  output logic         msg_msix_o,
  output logic [4:0]   msg_vector_o,
  output logic [63:0]  msg_addr_o,
  output logic [31:0]  msg_data_o,
  output logic [31:0]  ip_msi_pending_o,
  output logic [7:0]   protocol_error_o,
  output logic [3:0]   status_o
);

  logic [15:0] cfg_function_status;
  logic [3:0]  msi_enable, msix_enable, msix_mask;
  logic [11:0] msi_mmenable;
  logic        msi_mask_update, msi_sent, msi_fail, msix_int, pend_de, tph_present;
  logic [31:0] msi_data, msi_int, pend_status, msix_data;
  logic [1:0]  msi_select, pend_fn, tph_type, msix_vec_pending;
  logic [2:0]  msi_attr;
  logic [7:0]  tph_st_tag, msi_fn;
  logic [63:0] msix_address;

  irqrig_usp_core #(
    .NumVectors(32),
    .MsiVectors(32),
    .MaxFails  (0),
    .RetryGap  (4)
  ) u_core (
    .clk_i                                          (clk_i),
    .rst_ni                                         (rst_ni),
    .s_axis_cq_tdata                                (s_axis_cq_tdata),
    .s_axis_cq_tkeep                                (s_axis_cq_tkeep),
    .s_axis_cq_tlast                                (s_axis_cq_tlast),
    .s_axis_cq_tuser                                (s_axis_cq_tuser),
    .s_axis_cq_tvalid                               (s_axis_cq_tvalid),
    .s_axis_cq_tready                               (s_axis_cq_tready),
    .m_axis_cc_tdata                                (m_axis_cc_tdata),
    .m_axis_cc_tkeep                                (m_axis_cc_tkeep),
    .m_axis_cc_tlast                                (m_axis_cc_tlast),
    .m_axis_cc_tuser                                (m_axis_cc_tuser),
    .m_axis_cc_tvalid                               (m_axis_cc_tvalid),
    .m_axis_cc_tready                               (m_axis_cc_tready),
    .m_axis_rq_tdata                                (m_axis_rq_tdata),
    .m_axis_rq_tkeep                                (m_axis_rq_tkeep),
    .m_axis_rq_tlast                                (m_axis_rq_tlast),
    .m_axis_rq_tuser                                (m_axis_rq_tuser),
    .m_axis_rq_tvalid                               (m_axis_rq_tvalid),
    .m_axis_rq_tready                               (m_axis_rq_tready),
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
    .cfg_interrupt_msix_vec_pending_o               (msix_vec_pending),
    .status_o                                       (status_o)
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

  logic unused;
  assign unused = ^{msi_attr, tph_present, tph_type, tph_st_tag, msix_vec_pending};

endmodule
