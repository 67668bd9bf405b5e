// Executes the requests the receive buffer holds: type-0 config reads and writes, BAR0 memory reads
// and writes one DW per cycle, and builds the completion each non-posted request is owed (SC with
// data, SC without, or UR). Posted requests it cannot execute are dropped.
module req_ctrl (
  input  logic                                     clk_i,
  input  logic                                     rst_ni,
  // the buffered request
  input  logic                                     tlp_valid_i,
  input  logic [4*32-1:0]                          tlp_hdr_i,
  output logic [4:0]                               tlp_rd_idx_o,
  input  logic [31:0]                              tlp_rd_dw_i,
  input  logic [10:0]                              tlp_ndw_i,
  output logic                                     tlp_done_o,
  // configuration state
  input  logic                                     mem_en_i,
  input  logic [31:0]                              bar0_i,
  input  logic [7:0]                               bus_i,
  input  logic [4:0]                               dev_i,
  // config space access; read data follows one cycle after the request
  output logic                                     cfg_req_o,
  output logic                                     cfg_we_o,
  output logic [9:0]                               cfg_addr_o,
  output logic [3:0]                               cfg_be_o,
  output logic [31:0]                              cfg_wdata_o,
  output logic [12:0]                              cfg_id_o,
  input  logic [31:0]                              cfg_rdata_i,
  // BAR0 access by DW offset; read data follows one cycle after the request
  output logic                                     bar_req_o,
  output logic                                     bar_we_o,
  output logic [irqrig_reg_pkg::Bar0SizeLog2-3:0]  bar_addr_o,
  output logic [3:0]                               bar_be_o,
  output logic [31:0]                              bar_wdata_o,
  input  logic [31:0]                              bar_rdata_i,
  // completion for the transmitter, held until it is sent; DW cpl_rd_idx_i on cpl_rd_dw_o
  output logic                                     cpl_valid_o,
  output logic [4:0]                               cpl_ndw_o,
  input  logic [4:0]                               cpl_rd_idx_i,
  output logic [31:0]                              cpl_rd_dw_o,
  input  logic                                     cpl_done_i
);

  localparam int unsigned Bar0SizeLog2 = irqrig_reg_pkg::Bar0SizeLog2;
  localparam int unsigned Bar0AW       = Bar0SizeLog2 - 2;
  localparam int unsigned EndW         = Bar0AW + 1;

  typedef enum logic [2:0] {
    StIdle,
    StCfg,
    StMemWr,
    StMemRd,
    StCpl
  } state_e;

  state_e      state_q, state_d;
  logic [4:0]  idx_q, idx_d;          // next DW to issue
  logic        cap_valid_q, cap_valid_d;
  logic [3:0]  cap_idx_q, cap_idx_d;  // DW whose read data arrives this cycle
  logic [31:0] cpl_q [tlp_pkg::CplMaxDw];
  logic [4:0]  cpl_n_q;

  // ---------------------------------------------------------------------------------------------
  // Header decode (the buffer is stable while tlp_valid_i is high)
  // ---------------------------------------------------------------------------------------------
  logic [31:0] rx_dw [4];
  for (genvar k = 0; k < 4; k++) begin : gen_rx_dw
    assign rx_dw[k] = tlp_hdr_i[32*k +: 32];
  end

  logic [2:0]  fmt;
  logic [4:0]  typ;
  logic [2:0]  tc;
  logic        ep;
  logic [1:0]  attr;
  logic [9:0]  len_field;
  logic [10:0] len_dw;
  logic        is_4dw, has_data, is_prefix;
  logic [3:0]  first_be, last_be;
  logic [7:0]  tag;
  logic [15:0] req_id;
  logic [31:0] addr_hi, addr_lo;
  logic [2:0]  cfg_func;
  logic [4:0]  hdr_dw;

  assign fmt       = rx_dw[0][31:29];
  assign typ       = rx_dw[0][28:24];
  assign tc        = rx_dw[0][22:20];
  assign ep        = rx_dw[0][14];
  assign attr      = rx_dw[0][13:12];
  assign len_field = rx_dw[0][9:0];
  assign len_dw    = (len_field == 10'd0) ? 11'd1024 : {1'b0, len_field};
  assign is_4dw    = fmt[0];
  assign has_data  = fmt[1];
  assign is_prefix = fmt[2];
  assign req_id    = rx_dw[1][31:16];
  assign tag       = rx_dw[1][15:8];
  assign last_be   = rx_dw[1][7:4];
  assign first_be  = rx_dw[1][3:0];
  assign addr_hi   = is_4dw ? rx_dw[2] : 32'h0;
  assign addr_lo   = is_4dw ? rx_dw[3] : rx_dw[2];
  assign cfg_func  = rx_dw[2][18:16];
  assign hdr_dw    = is_4dw ? 5'd4 : 5'd3;

  logic [Bar0AW-1:0] off_dw;
  logic [Bar0AW:0]   end_dw;
  logic              bar_hit, len_ok, is_mem, is_cfg0, is_cpl, is_msg, posted, short_tlp;
  logic [10:0]       need_dw;

  assign off_dw  = addr_lo[Bar0SizeLog2-1:2];
  assign len_ok  = len_dw <= 11'(tlp_pkg::MaxPayloadDw);
  // The whole request lies inside BAR0 (only meaningful when len_ok).
  logic [4:0] len_m1;
  assign len_m1  = len_dw[4:0] - 5'd1;
  assign end_dw  = {1'b0, off_dw} + EndW'(len_m1);
  assign bar_hit = addr_hi == 32'h0 && addr_lo[31:Bar0SizeLog2] == bar0_i[31:Bar0SizeLog2] &&
                   !end_dw[Bar0AW];
  assign is_mem  = !is_prefix && typ == tlp_pkg::TypeMem;
  assign is_cfg0 = typ == tlp_pkg::TypeCfg0 &&
                   (fmt == tlp_pkg::Fmt3dwNoData || fmt == tlp_pkg::Fmt3dwData);
  assign is_cpl  = typ[4:1] == 4'b0101;
  assign is_msg  = typ[4:3] == 2'b10;
  assign posted  = (is_mem && has_data) || is_msg;
  assign need_dw = 11'(hdr_dw) + ((has_data && len_ok) ? len_dw : 11'd0);
  // A TLP shorter than its header and payload is malformed and dropped.
  assign short_tlp = tlp_ndw_i < need_dw;

  logic act_cfg, act_memrd, act_memwr, act_ur;
  always_comb begin
    act_cfg   = 1'b0;
    act_memrd = 1'b0;
    act_memwr = 1'b0;
    act_ur    = 1'b0;
    if (!tlp_valid_i) begin
      // nothing held: simulation skips the decode
    end else if (short_tlp || is_prefix || is_cpl) begin
      // malformed, prefixed (unsupported, no completion possible) or an unexpected completion
    end else if (is_cfg0 && len_field != 10'd1) begin
      // config requests must have Length 1: malformed, dropped
    end else if (is_cfg0 && cfg_func == 3'd0 && !(has_data && ep)) begin
      act_cfg = 1'b1;
    end else if (is_mem && bar_hit && len_ok && mem_en_i && !has_data) begin
      act_memrd = 1'b1;
    end else if (is_mem && bar_hit && len_ok && mem_en_i && has_data && !ep) begin
      act_memwr = 1'b1;
    end else if (!posted) begin
      act_ur = 1'b1;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Completion header
  // ---------------------------------------------------------------------------------------------
  logic [15:0] cpl_id;
  logic [11:0] mem_bc;
  logic [6:0]  mem_la;
  logic [31:0] hdr_cpld0, hdr_cpl0, hdr_sc1, hdr_ur1, hdr_mem2, hdr_cfg2;

  assign cpl_id    = {bus_i, dev_i, 3'b000};
  assign mem_bc    = tlp_pkg::cpl_byte_count(first_be, last_be, len_dw);
  assign mem_la    = tlp_pkg::cpl_lower_addr(addr_lo[6:2], first_be);
  assign hdr_cpld0 = tlp_pkg::tlp_dw0(tlp_pkg::Fmt3dwData, tlp_pkg::TypeCpl, tc, attr, len_field);
  assign hdr_cpl0  = tlp_pkg::tlp_dw0(tlp_pkg::Fmt3dwNoData, tlp_pkg::TypeCpl, tc, attr, 10'd0);
  // Config completions carry Byte Count 4 and Lower Address 0 (2.2.9). A UR completion for a
  // memory read reports the read's byte count and lower address; for other requests 4 and 0.
  assign hdr_sc1   = {cpl_id, tlp_pkg::CplStatusSc, 1'b0, (state_q == StCfg) ? 12'd4 : mem_bc};
  assign hdr_ur1   = {cpl_id, tlp_pkg::CplStatusUr, 1'b0, (is_mem && !has_data) ? mem_bc : 12'd4};
  assign hdr_mem2  = {req_id, tag, 1'b0, mem_la};
  assign hdr_cfg2  = {req_id, tag, 1'b0, 7'd0};

  // ---------------------------------------------------------------------------------------------
  // Sequencer
  // ---------------------------------------------------------------------------------------------
  logic [4:0]  pay_idx;
  logic        last_issue;
  logic [3:0]  cur_be;

  assign pay_idx    = hdr_dw + idx_q;
  assign last_issue = 11'(idx_q) == len_dw - 11'd1;
  always_comb begin
    if (idx_q == 5'd0)   cur_be = first_be;
    else if (last_issue) cur_be = last_be;
    else                 cur_be = 4'hF;
  end

  assign cfg_addr_o  = {rx_dw[2][11:8], rx_dw[2][7:2]};
  assign cfg_be_o    = first_be;
  assign cfg_wdata_o = rx_dw[3];
  assign cfg_id_o    = rx_dw[2][31:19];
  assign cfg_we_o    = has_data;
  assign bar_addr_o  = off_dw + Bar0AW'(idx_q);
  assign bar_be_o    = cur_be;
  assign tlp_rd_idx_o = pay_idx;
  assign bar_wdata_o  = tlp_rd_dw_i;
  assign bar_we_o    = state_q == StMemWr;

  logic cpl_load_ur, cpl_load_cfg, cpl_load_mem;

  always_comb begin
    state_d      = state_q;
    idx_d        = idx_q;
    cap_valid_d  = 1'b0;
    cap_idx_d    = cap_idx_q;
    tlp_done_o   = 1'b0;
    cfg_req_o    = 1'b0;
    bar_req_o    = 1'b0;
    cpl_load_ur  = 1'b0;
    cpl_load_cfg = 1'b0;
    cpl_load_mem = 1'b0;
    case (state_q)
      StIdle: begin
        idx_d = 5'd0;
        if (tlp_valid_i) begin
          if (act_cfg) begin
            cfg_req_o = 1'b1;
            state_d   = StCfg;
          end else if (act_memwr) begin
            state_d = StMemWr;
          end else if (act_memrd) begin
            state_d = StMemRd;
          end else if (act_ur) begin
            cpl_load_ur = 1'b1;
            tlp_done_o  = 1'b1;
            state_d     = StCpl;
          end else begin
            tlp_done_o = 1'b1;
          end
        end
      end
      StCfg: begin
        cpl_load_cfg = 1'b1;
        tlp_done_o   = 1'b1;
        state_d      = StCpl;
      end
      StMemWr: begin
        bar_req_o = 1'b1;
        idx_d     = idx_q + 5'd1;
        if (last_issue) begin
          tlp_done_o = 1'b1;
          state_d    = StIdle;
        end
      end
      StMemRd: begin
        if (11'(idx_q) < len_dw) begin
          bar_req_o   = 1'b1;
          cap_valid_d = 1'b1;
          cap_idx_d   = idx_q[3:0];
          idx_d       = idx_q + 5'd1;
        end else if (cap_valid_q) begin
          cpl_load_mem = 1'b1;
          tlp_done_o   = 1'b1;
          state_d      = StCpl;
        end
      end
      StCpl: begin
        if (cpl_done_i) state_d = StIdle;
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIdle;
      idx_q       <= 5'd0;
      cap_valid_q <= 1'b0;
      cap_idx_q   <= 4'd0;
      cpl_n_q     <= 5'd0;
    end else begin
      state_q     <= state_d;
      idx_q       <= idx_d;
      cap_valid_q <= cap_valid_d;
      cap_idx_q   <= cap_idx_d;
      if (cpl_load_ur || (cpl_load_cfg && has_data)) cpl_n_q <= 5'd3;  // Cpl: header only
      else if (cpl_load_cfg)                           cpl_n_q <= 5'd4;
      else if (cpl_load_mem)                           cpl_n_q <= 5'd3 + len_dw[4:0];
    end
  end

  // Completion buffer (data path, no reset).
  always_ff @(posedge clk_i) begin
    if (cap_valid_q) cpl_q[5'd3 + 5'(cap_idx_q)] <= bar_rdata_i;
    if (cpl_load_ur) begin
      cpl_q[0] <= hdr_cpl0;
      cpl_q[1] <= hdr_ur1;
      cpl_q[2] <= (is_mem && !has_data) ? hdr_mem2 : hdr_cfg2;
    end
    if (cpl_load_cfg) begin
      cpl_q[0] <= has_data ? hdr_cpl0 : hdr_cpld0;
      cpl_q[1] <= hdr_sc1;
      cpl_q[2] <= hdr_cfg2;
      cpl_q[3] <= cfg_rdata_i;
    end
    if (cpl_load_mem) begin
      cpl_q[0] <= hdr_cpld0;
      cpl_q[1] <= hdr_sc1;
      cpl_q[2] <= hdr_mem2;
    end
  end

  assign cpl_valid_o = state_q == StCpl;
  assign cpl_ndw_o   = cpl_n_q;
  // The transmitter reads one DW at a time (indexes past the completion are never sent).
  assign cpl_rd_dw_o = (32'(cpl_rd_idx_i) < tlp_pkg::CplMaxDw) ? cpl_q[cpl_rd_idx_i] : 32'h0;

  // Header bits the endpoint does not act on.
  logic unused_hdr;
  assign unused_hdr = ^{rx_dw[0][23], rx_dw[0][19:15], rx_dw[0][11:10], addr_lo[1:0],
                       bar0_i[Bar0SizeLog2-1:0]};

endmodule
