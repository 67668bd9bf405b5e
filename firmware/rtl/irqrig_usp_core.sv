// The vendor-free part of an UltraScale+ board (the "fpga_core" of verilog-pcie/Corundum):
// irqrig_core with a hard IP (HardIp), the request/completion bridge to the IP's 128-bit
// AXI4-Stream interfaces and the interrupt adapter to its cfg_interrupt_msi*/msix* ports. The
// board top instantiates only the IP and this; the yosys test synthesizes it, the Verilator
// tests simulate its adapter and bridge against models of the IP's interfaces.
module irqrig_usp_core #(
  parameter int unsigned NumVectors = 2048,
  parameter int unsigned MsiVectors = 32,
  parameter int unsigned ClkMhz     = 250,  // the IP's user_clk
  parameter int unsigned MaxFails   = 0,    // usp_irq_adapter: fails before a drop, 0 never
  parameter int unsigned RetryGap   = 16    // usp_irq_adapter: cycles from a fail to a retry
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  // completer requests / completions, requester requests (the IP's m_axis_cq, s_axis_cc, s_axis_rq)
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
  // configuration status and interrupt ports of the IP
  input  logic [15:0]  cfg_function_status_i,
  input  logic [3:0]   cfg_interrupt_msi_enable_i,
  input  logic [11:0]  cfg_interrupt_msi_mmenable_i,
  input  logic         cfg_interrupt_msi_mask_update_i,
  input  logic [31:0]  cfg_interrupt_msi_data_i,
  output logic [1:0]   cfg_interrupt_msi_select_o,
  output logic [31:0]  cfg_interrupt_msi_int_o,
  output logic [31:0]  cfg_interrupt_msi_pending_status_o,
  output logic         cfg_interrupt_msi_pending_status_data_enable_o,
  output logic [1:0]   cfg_interrupt_msi_pending_status_function_num_o,
  input  logic         cfg_interrupt_msi_sent_i,
  input  logic         cfg_interrupt_msi_fail_i,
  output logic [2:0]   cfg_interrupt_msi_attr_o,
  output logic         cfg_interrupt_msi_tph_present_o,
  output logic [1:0]   cfg_interrupt_msi_tph_type_o,
  output logic [7:0]   cfg_interrupt_msi_tph_st_tag_o,
  output logic [7:0]   cfg_interrupt_msi_function_number_o,
  input  logic [3:0]   cfg_interrupt_msix_enable_i,
  input  logic [3:0]   cfg_interrupt_msix_mask_i,
  output logic [63:0]  cfg_interrupt_msix_address_o,
  output logic [31:0]  cfg_interrupt_msix_data_o,
  output logic         cfg_interrupt_msix_int_o,
  output logic [1:0]   cfg_interrupt_msix_vec_pending_o,
  // status for LEDs or a debug core: a request/TLP dropped, a fail answer, a message dropped
  output logic [3:0]   status_o
);

  logic [31:0] req_tdata, tlp_tdata;
  logic        req_tvalid, req_tready, req_tlast, tlp_tvalid, tlp_tready, tlp_tlast;
  logic        cq_drop, tlp_drop, cnt_fail, cnt_drop, adapter_busy;
  logic [63:0] time_unused;

  logic        msg_valid, msg_msix, msg_done, msg_pend, msg_drop;
  logic [10:0] msg_vector;
  logic [63:0] msg_addr;
  logic [31:0] msg_data, msi_pending;
  logic        hip_mem_en, hip_bme, hip_msix_en, hip_msix_fmask, hip_msi_en;
  logic [2:0]  hip_msi_mme;
  logic [31:0] hip_msi_mask;

  usp_axis_bridge u_bridge (
    .clk_i             (clk_i),
    .rst_ni            (rst_ni),
    .s_axis_cq_tdata   (s_axis_cq_tdata),
    .s_axis_cq_tkeep   (s_axis_cq_tkeep),
    .s_axis_cq_tlast   (s_axis_cq_tlast),
    .s_axis_cq_tuser   (s_axis_cq_tuser),
    .s_axis_cq_tvalid  (s_axis_cq_tvalid),
    .s_axis_cq_tready  (s_axis_cq_tready),
    .m_axis_cc_tdata   (m_axis_cc_tdata),
    .m_axis_cc_tkeep   (m_axis_cc_tkeep),
    .m_axis_cc_tlast   (m_axis_cc_tlast),
    .m_axis_cc_tuser   (m_axis_cc_tuser),
    .m_axis_cc_tvalid  (m_axis_cc_tvalid),
    .m_axis_cc_tready  (m_axis_cc_tready),
    .m_axis_rq_tdata   (m_axis_rq_tdata),
    .m_axis_rq_tkeep   (m_axis_rq_tkeep),
    .m_axis_rq_tlast   (m_axis_rq_tlast),
    .m_axis_rq_tuser   (m_axis_rq_tuser),
    .m_axis_rq_tvalid  (m_axis_rq_tvalid),
    .m_axis_rq_tready  (m_axis_rq_tready),
    .m_axis_req_tdata  (req_tdata),
    .m_axis_req_tvalid (req_tvalid),
    .m_axis_req_tready (req_tready),
    .m_axis_req_tlast  (req_tlast),
    .s_axis_tlp_tdata  (tlp_tdata),
    .s_axis_tlp_tvalid (tlp_tvalid),
    .s_axis_tlp_tready (tlp_tready),
    .s_axis_tlp_tlast  (tlp_tlast),
    .cq_drop_o         (cq_drop),
    .tlp_drop_o        (tlp_drop)
  );

  irqrig_core #(
    .NumVectors(NumVectors),
    .MsiVectors(MsiVectors),
    .ClkMhz    (ClkMhz),
    .HardIp    (1'b1)
  ) u_core (
    .clk_i                (clk_i),
    .rst_ni               (rst_ni),
    .s_axis_rx_tdata      (req_tdata),
    .s_axis_rx_tvalid     (req_tvalid),
    .s_axis_rx_tready     (req_tready),
    .s_axis_rx_tlast      (req_tlast),
    .m_axis_tx_tdata      (tlp_tdata),
    .m_axis_tx_tvalid     (tlp_tvalid),
    .m_axis_tx_tready     (tlp_tready),
    .m_axis_tx_tlast      (tlp_tlast),
    .time_o               (time_unused),
    .hip_cfg_mem_en_i     (hip_mem_en),
    .hip_cfg_bme_i        (hip_bme),
    .hip_cfg_msix_en_i    (hip_msix_en),
    .hip_cfg_msix_fmask_i (hip_msix_fmask),
    .hip_cfg_msi_en_i     (hip_msi_en),
    .hip_cfg_msi_mme_i    (hip_msi_mme),
    .hip_cfg_msi_mask_i   (hip_msi_mask),
    .msg_req_valid_o      (msg_valid),
    .msg_req_msix_o       (msg_msix),
    .msg_req_vector_o     (msg_vector),
    .msg_req_addr_o       (msg_addr),
    .msg_req_data_o       (msg_data),
    .msg_req_done_i       (msg_done),
    .msg_req_pend_i       (msg_pend),
    .msg_req_drop_i       (msg_drop),
    .msi_pending_o        (msi_pending)
  );

  usp_irq_adapter #(
    .MaxFails(MaxFails),
    .RetryGap(RetryGap)
  ) u_irq_adapter (
    .clk_i                                          (clk_i),
    .rst_ni                                         (rst_ni),
    .req_valid_i                                    (msg_valid),
    .req_msix_i                                     (msg_msix),
    .req_vector_i                                   (msg_vector),
    .req_addr_i                                     (msg_addr),
    .req_data_i                                     (msg_data),
    .req_done_o                                     (msg_done),
    .req_pend_o                                     (msg_pend),
    .req_drop_o                                     (msg_drop),
    .msi_pending_i                                  (msi_pending),
    .hip_cfg_mem_en_o                               (hip_mem_en),
    .hip_cfg_bme_o                                  (hip_bme),
    .hip_cfg_msix_en_o                              (hip_msix_en),
    .hip_cfg_msix_fmask_o                           (hip_msix_fmask),
    .hip_cfg_msi_en_o                               (hip_msi_en),
    .hip_cfg_msi_mme_o                              (hip_msi_mme),
    .hip_cfg_msi_mask_o                             (hip_msi_mask),
    .cnt_fail_o                                     (cnt_fail),
    .cnt_drop_o                                     (cnt_drop),
    .busy_o                                         (adapter_busy),
    .cfg_function_status_i                          (cfg_function_status_i),
    .cfg_interrupt_msi_enable_i                     (cfg_interrupt_msi_enable_i),
    .cfg_interrupt_msi_mmenable_i                   (cfg_interrupt_msi_mmenable_i),
    .cfg_interrupt_msi_mask_update_i                (cfg_interrupt_msi_mask_update_i),
    .cfg_interrupt_msi_data_i                       (cfg_interrupt_msi_data_i),
    .cfg_interrupt_msi_select_o                     (cfg_interrupt_msi_select_o),
    .cfg_interrupt_msi_int_o                        (cfg_interrupt_msi_int_o),
    .cfg_interrupt_msi_pending_status_o             (cfg_interrupt_msi_pending_status_o),
    .cfg_interrupt_msi_pending_status_data_enable_o (cfg_interrupt_msi_pending_status_data_enable_o),
    .cfg_interrupt_msi_pending_status_function_num_o(cfg_interrupt_msi_pending_status_function_num_o),
    .cfg_interrupt_msi_sent_i                       (cfg_interrupt_msi_sent_i),
    .cfg_interrupt_msi_fail_i                       (cfg_interrupt_msi_fail_i),
    .cfg_interrupt_msi_attr_o                       (cfg_interrupt_msi_attr_o),
    .cfg_interrupt_msi_tph_present_o                (cfg_interrupt_msi_tph_present_o),
    .cfg_interrupt_msi_tph_type_o                   (cfg_interrupt_msi_tph_type_o),
    .cfg_interrupt_msi_tph_st_tag_o                 (cfg_interrupt_msi_tph_st_tag_o),
    .cfg_interrupt_msi_function_number_o            (cfg_interrupt_msi_function_number_o),
    .cfg_interrupt_msix_enable_i                    (cfg_interrupt_msix_enable_i),
    .cfg_interrupt_msix_mask_i                      (cfg_interrupt_msix_mask_i),
    .cfg_interrupt_msix_address_o                   (cfg_interrupt_msix_address_o),
    .cfg_interrupt_msix_data_o                      (cfg_interrupt_msix_data_o),
    .cfg_interrupt_msix_int_o                       (cfg_interrupt_msix_int_o),
    .cfg_interrupt_msix_vec_pending_o               (cfg_interrupt_msix_vec_pending_o)
  );

  // Sticky flags, cleared by reset: a request or TLP the bridge dropped, a fail answer, a
  // message dropped after MaxFails; and the adapter busy now.
  logic [2:0] sticky_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) sticky_q <= 3'b000;
    else         sticky_q <= sticky_q | {cnt_drop, cnt_fail, cq_drop || tlp_drop};
  end
  assign status_o = {adapter_busy, sticky_q};

  logic unused_time;
  assign unused_time = ^time_unused;

endmodule
