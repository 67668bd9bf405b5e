// Request/completion bridge between the UltraScale+ PCIe hard IP's 128-bit AXI4-Stream
// interfaces (PG213, DWORD-aligned mode, no straddling) and irqrig_core's TLP streams (one DW
// per beat, PCIe header DWs). Vendor-free: it speaks only the IP's descriptor formats.
//
//   IP m_axis_cq (completer requests)  -> s_axis_cq  -> m_axis_req (raw TLP DWs into the core)
//   core's TLPs -> s_axis_tlp: completions -> m_axis_cc (IP s_axis_cc), writes -> m_axis_rq (IP s_axis_rq)
//
// A 128-bit beat holds exactly one 4-DW CQ/RQ descriptor, so request payload starts at the next
// beat; a CC descriptor is 3 DWs and the completion's first data DW shares its beat. Requests
// reach the core with their offset inside the BAR (the CQ descriptor's BAR Aperture masks the
// address), which is why irqrig_core under HardIp decodes BAR0 at 0. The IP's own Requester and
// Completer IDs are used (ID enables 0). The core issues no reads, so there is no RC path.
module usp_axis_bridge (
  input  logic         clk_i,
  input  logic         rst_ni,
  // completer requests from the IP
  input  logic [127:0] s_axis_cq_tdata,
  input  logic [3:0]   s_axis_cq_tkeep,
  input  logic         s_axis_cq_tlast,
  input  logic [87:0]  s_axis_cq_tuser,
  input  logic         s_axis_cq_tvalid,
  output logic         s_axis_cq_tready,
  // completer completions to the IP
  output logic [127:0] m_axis_cc_tdata,
  output logic [3:0]   m_axis_cc_tkeep,
  output logic         m_axis_cc_tlast,
  output logic [32:0]  m_axis_cc_tuser,
  output logic         m_axis_cc_tvalid,
  input  logic         m_axis_cc_tready,
  // requester requests (the core's writes) to the IP
  output logic [127:0] m_axis_rq_tdata,
  output logic [3:0]   m_axis_rq_tkeep,
  output logic         m_axis_rq_tlast,
  output logic [61:0]  m_axis_rq_tuser,
  output logic         m_axis_rq_tvalid,
  input  logic         m_axis_rq_tready,
  // requests into the core, one DW per beat
  output logic [31:0]  m_axis_req_tdata,
  output logic         m_axis_req_tvalid,
  input  logic         m_axis_req_tready,
  output logic         m_axis_req_tlast,
  // TLPs from the core, one DW per beat
  input  logic [31:0]  s_axis_tlp_tdata,
  input  logic         s_axis_tlp_tvalid,
  output logic         s_axis_tlp_tready,
  input  logic         s_axis_tlp_tlast,
  // one pulse per request the core has no use for (messages, unknown types), dropped here
  output logic         cq_drop_o,
  output logic         tlp_drop_o
);

  // =============================================================================================
  // CQ -> core: a descriptor beat becomes a 3-DW header, payload beats are sent a DW at a time.
  // =============================================================================================
  typedef enum logic [2:0] {
    CqDesc,   // wait for a descriptor beat
    CqHdr,    // header DWs 0..2
    CqFetch,  // take the next payload beat
    CqPay,    // payload DWs of the held beat
    CqSkip    // drop the rest of a request the core does not take
  } cq_state_e;

  cq_state_e    cq_q, cq_d;
  logic [31:0]  hdr_q [3];
  logic [1:0]   hidx_q, hidx_d;
  logic [10:0]  left_q, left_d;  // payload DWs still to send
  logic [127:0] beat_q;
  logic [1:0]   bidx_q, bidx_d;

  // Descriptor fields (PG213 "Completer Request Descriptor")
  logic [63:0] cq_addr;
  logic [10:0] cq_count;
  logic [3:0]  cq_rtype;
  logic [15:0] cq_rid;
  logic [7:0]  cq_tag;
  logic [5:0]  cq_aperture;
  logic [2:0]  cq_tc, cq_attr;
  logic [3:0]  cq_first_be, cq_last_be;

  assign cq_addr     = {s_axis_cq_tdata[63:2], 2'b00};
  assign cq_count    = s_axis_cq_tdata[74:64];
  assign cq_rtype    = s_axis_cq_tdata[78:75];
  assign cq_rid      = s_axis_cq_tdata[95:80];
  assign cq_tag      = s_axis_cq_tdata[103:96];
  assign cq_aperture = s_axis_cq_tdata[120:115];
  assign cq_tc       = s_axis_cq_tdata[123:121];
  assign cq_attr     = s_axis_cq_tdata[126:124];
  assign cq_first_be = s_axis_cq_tuser[3:0];
  assign cq_last_be  = s_axis_cq_tuser[7:4];

  // Request Type -> Fmt/Type of the raw TLP; types the core answers with UR keep their meaning.
  // (tlp_pkg holds only the codes the core itself sends or decodes.)
  localparam logic [4:0] TypeMemLk    = 5'b00001;
  localparam logic [4:0] TypeIo       = 5'b00010;
  localparam logic [4:0] TypeFetchAdd = 5'b01100;
  localparam logic [4:0] TypeSwap     = 5'b01101;
  localparam logic [4:0] TypeCas      = 5'b01110;
  logic [2:0] raw_fmt;
  logic [4:0] raw_type;
  logic       raw_ok, raw_data;
  always_comb begin
    raw_ok   = 1'b1;
    raw_fmt  = tlp_pkg::Fmt3dwNoData;
    raw_type = tlp_pkg::TypeMem;
    case (cq_rtype)
      4'b0000: ;                                                        // MemRd
      4'b0001: raw_fmt = tlp_pkg::Fmt3dwData;                           // MemWr
      4'b0010: raw_type = TypeIo;                              // IORd
      4'b0011: begin raw_fmt = tlp_pkg::Fmt3dwData; raw_type = TypeIo; end
      4'b0100: begin raw_fmt = tlp_pkg::Fmt3dwData; raw_type = TypeFetchAdd; end
      4'b0101: begin raw_fmt = tlp_pkg::Fmt3dwData; raw_type = TypeSwap; end
      4'b0110: begin raw_fmt = tlp_pkg::Fmt3dwData; raw_type = TypeCas; end
      4'b0111: raw_type = TypeMemLk;                           // MemRdLk
      default: raw_ok = 1'b0;                                           // messages, vendor
    endcase
  end
  assign raw_data = raw_fmt[1];

  logic [31:0] ap_mask, cq_offset;
  assign ap_mask   = cq_aperture >= 6'd32 ? 32'hFFFF_FFFF : (32'h1 << cq_aperture) - 32'h1;
  assign cq_offset = cq_addr[31:0] & ap_mask;

  logic cq_take, req_hs;
  assign req_hs = m_axis_req_tvalid && m_axis_req_tready;

  always_comb begin
    cq_d     = cq_q;
    hidx_d   = hidx_q;
    left_d   = left_q;
    bidx_d   = bidx_q;
    cq_take  = 1'b0;
    cq_drop_o = 1'b0;
    m_axis_req_tvalid = 1'b0;
    m_axis_req_tdata  = 32'h0;
    m_axis_req_tlast  = 1'b0;
    case (cq_q)
      CqDesc: begin
        cq_take = s_axis_cq_tvalid;
        if (s_axis_cq_tvalid) begin
          hidx_d = 2'd0;
          left_d = raw_data ? cq_count : 11'd0;
          if (raw_ok) begin
            cq_d = CqHdr;
          end else begin
            cq_drop_o = 1'b1;
            cq_d      = s_axis_cq_tlast ? CqDesc : CqSkip;
          end
        end
      end
      CqHdr: begin
        m_axis_req_tvalid = 1'b1;
        m_axis_req_tdata  = hdr_q[hidx_q];
        m_axis_req_tlast  = hidx_q == 2'd2 && left_q == 11'd0;
        if (req_hs) begin
          hidx_d = hidx_q + 2'd1;
          if (hidx_q == 2'd2) cq_d = left_q == 11'd0 ? CqDesc : CqFetch;
        end
      end
      CqFetch: begin
        cq_take = s_axis_cq_tvalid;
        if (s_axis_cq_tvalid) begin
          bidx_d = 2'd0;
          cq_d   = CqPay;
        end
      end
      CqPay: begin
        m_axis_req_tvalid = 1'b1;
        m_axis_req_tdata  = beat_q[32*bidx_q +: 32];
        m_axis_req_tlast  = left_q == 11'd1;
        if (req_hs) begin
          left_d = left_q - 11'd1;
          bidx_d = bidx_q + 2'd1;
          if (left_q == 11'd1)      cq_d = CqDesc;
          else if (bidx_q == 2'd3)  cq_d = CqFetch;
        end
      end
      CqSkip: begin
        cq_take = s_axis_cq_tvalid;
        if (s_axis_cq_tvalid && s_axis_cq_tlast) cq_d = CqDesc;
      end
      default: cq_d = CqDesc;
    endcase
  end
  assign s_axis_cq_tready = cq_q == CqDesc || cq_q == CqFetch || cq_q == CqSkip;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cq_q   <= CqDesc;
      hidx_q <= 2'd0;
      left_q <= 11'd0;
      bidx_q <= 2'd0;
    end else begin
      cq_q   <= cq_d;
      hidx_q <= hidx_d;
      left_q <= left_d;
      bidx_q <= bidx_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (cq_take && cq_q == CqDesc) begin
      hdr_q[0] <= tlp_pkg::tlp_dw0(raw_fmt, raw_type, cq_tc, cq_attr[1:0], cq_count[9:0]);
      hdr_q[1] <= {cq_rid, cq_tag, cq_last_be, cq_first_be};
      hdr_q[2] <= {cq_offset[31:2], 2'b00};
    end
    if (cq_take && cq_q == CqFetch) beat_q <= s_axis_cq_tdata;
  end

  logic unused_cq;
  assign unused_cq = ^{s_axis_cq_tkeep, s_axis_cq_tuser[87:8], cq_addr[63:32], cq_addr[1:0], cq_offset[1:0],
                       cq_attr[2], cq_count[10]};

  // =============================================================================================
  // core -> CC / RQ: the header is collected, turned into a descriptor, payload DWs packed 4 to
  // a beat behind it. One TLP at a time; the core waits while a beat is offered.
  // =============================================================================================
  typedef enum logic [1:0] {
    TxHdr,   // collecting header DWs
    TxPay,   // packing payload DWs
    TxOut,   // a beat is offered to CC or RQ
    TxSkip   // dropping a TLP that is neither a completion nor a memory write
  } tx_state_e;

  tx_state_e    tx_q, tx_d;
  logic [31:0]  th_q [4];
  logic [2:0]   tn_q, tn_d;        // header DWs collected
  logic [127:0] ob_q, ob_d;        // output beat
  logic [2:0]   on_q, on_d;        // DWs in it
  logic         olast_q, olast_d;  // it ends the TLP
  logic         to_cc_q, to_cc_d;
  logic [7:0]   be_q, be_d;        // RQ: {last BE, first BE}

  logic        tlp_hs, hdr_done, is_4dw, is_cpl, is_memwr;
  logic [31:0] h0;
  assign tlp_hs   = s_axis_tlp_tvalid && s_axis_tlp_tready;
  assign h0       = tn_q == 3'd0 ? s_axis_tlp_tdata : th_q[0];
  assign is_4dw   = h0[29];
  assign is_cpl   = h0[28:24] == tlp_pkg::TypeCpl;
  assign is_memwr = h0[28:24] == tlp_pkg::TypeMem && h0[30];
  assign hdr_done = tn_q == (is_4dw ? 3'd3 : 3'd2);  // this DW completes the header

  // Descriptors from the header DWs (the last one is the DW arriving now).
  logic [31:0] hd [4];
  always_comb begin
    for (int i = 0; i < 4; i++) hd[i] = (3'(i) == tn_q) ? s_axis_tlp_tdata : th_q[i];
  end

  logic [9:0]   len;
  logic [10:0]  count;
  logic [12:0]  byte_count;
  logic [95:0]  cc_desc;
  logic [127:0] rq_desc;
  logic [63:0]  rq_addr;
  assign len        = hd[0][9:0];
  assign count      = len == 10'd0 ? 11'd1024 : {1'b0, len};
  assign byte_count = hd[1][11:0] == 12'd0 ? 13'h1000 : {1'b0, hd[1][11:0]};
  // PG213 "Completer Completion Descriptor": lower address, byte count, DW count, status,
  // requester ID, tag, TC, attributes; completer ID from the IP.
  assign cc_desc = {1'b0, 1'b0, hd[0][13:12], hd[0][22:20], 1'b0, 8'h00, 8'h00, hd[2][15:8],
                    hd[2][31:16], 1'b0, 1'b0, hd[1][15:13], hd[0][30] ? count : 11'd0,
                    2'b00, 1'b0, byte_count, 6'd0, 2'b00, 1'b0, hd[2][6:0]};
  assign rq_addr = is_4dw ? {hd[2], hd[3][31:2], 2'b00} : {32'h0, hd[2][31:2], 2'b00};
  // PG213 "Requester Request Descriptor": address, DW count, Memory Write, tag, TC, attributes.
  assign rq_desc = {1'b0, 1'b0, hd[0][13:12], hd[0][22:20], 1'b0, 8'h00, 8'h00, hd[1][15:8],
                    16'h0000, 1'b0, 4'b0001, count, rq_addr};

  always_comb begin
    tx_d       = tx_q;
    tn_d       = tn_q;
    ob_d       = ob_q;
    on_d       = on_q;
    olast_d    = olast_q;
    to_cc_d    = to_cc_q;
    be_d       = be_q;
    tlp_drop_o = 1'b0;
    case (tx_q)
      TxHdr: begin
        if (tlp_hs) begin
          tn_d = tn_q + 3'd1;
          if (hdr_done) begin
            tn_d = 3'd0;
            if (is_cpl) begin
              to_cc_d = 1'b1;
              ob_d    = {32'h0, cc_desc};
              on_d    = 3'd3;
              olast_d = s_axis_tlp_tlast;
              tx_d    = s_axis_tlp_tlast ? TxOut : TxPay;
            end else if (is_memwr) begin
              to_cc_d = 1'b0;
              ob_d    = rq_desc;
              on_d    = 3'd4;
              olast_d = 1'b0;
              be_d    = hd[1][7:0];
              tx_d    = TxOut;
            end else begin
              tlp_drop_o = 1'b1;
              tx_d       = s_axis_tlp_tlast ? TxHdr : TxSkip;
            end
          end
        end
      end
      TxPay: begin
        if (tlp_hs) begin
          ob_d[32*on_q[1:0] +: 32] = s_axis_tlp_tdata;
          on_d    = on_q + 3'd1;
          olast_d = s_axis_tlp_tlast;
          if (s_axis_tlp_tlast || on_q == 3'd3) tx_d = TxOut;
        end
      end
      TxOut: begin
        if ((to_cc_q && m_axis_cc_tready) || (!to_cc_q && m_axis_rq_tready)) begin
          ob_d = 128'h0;
          on_d = 3'd0;
          tx_d = olast_q ? TxHdr : TxPay;
        end
      end
      TxSkip: begin
        if (tlp_hs && s_axis_tlp_tlast) tx_d = TxHdr;
      end
      default: tx_d = TxHdr;
    endcase
  end
  assign s_axis_tlp_tready = tx_q != TxOut;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tx_q    <= TxHdr;
      tn_q    <= 3'd0;
      ob_q    <= 128'h0;
      on_q    <= 3'd0;
      olast_q <= 1'b0;
      to_cc_q <= 1'b0;
      be_q    <= 8'h0;
    end else begin
      tx_q    <= tx_d;
      tn_q    <= tn_d;
      ob_q    <= ob_d;
      on_q    <= on_d;
      olast_q <= olast_d;
      to_cc_q <= to_cc_d;
      be_q    <= be_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (tx_q == TxHdr && tlp_hs && !hdr_done) th_q[tn_q[1:0]] <= s_axis_tlp_tdata;
  end

  logic [3:0] keep;
  assign keep = on_q == 3'd4 ? 4'hF : on_q == 3'd3 ? 4'h7 : on_q == 3'd2 ? 4'h3 : 4'h1;

  assign m_axis_cc_tdata  = ob_q;
  assign m_axis_cc_tkeep  = keep;
  assign m_axis_cc_tlast  = olast_q;
  assign m_axis_cc_tuser  = 33'h0;
  assign m_axis_cc_tvalid = tx_q == TxOut && to_cc_q;
  assign m_axis_rq_tdata  = ob_q;
  assign m_axis_rq_tkeep  = keep;
  assign m_axis_rq_tlast  = olast_q;
  assign m_axis_rq_tuser  = {54'h0, be_q};  // last BE 7:4, first BE 3:0; no TPH, no parity
  assign m_axis_rq_tvalid = tx_q == TxOut && !to_cc_q;

  logic unused_tx;
  assign unused_tx = ^{hd[0][31], hd[0][23], hd[0][19:14], hd[0][11:10], hd[1][31:16], hd[1][12],
                       hd[2][7], hd[3][1:0], h0[31], h0[23:0]};

endmodule
