// Event-ring DMA writer. Per event, in this order: check for ring space, the 16-byte record MemWr
// to RING_BASE + (prod mod entries) * 16, RING_PROD += 1 once it is on the wire, the producer-index
// MemWr (when RING_PROD_ADDR != 0), then the event's vector goes to moderation, which decides when
// its message is sent. A full ring either stalls the event (default) or drops it and counts it
// (RING_CTRL.DROP_ON_FULL); a record is never written over an unconsumed one. Nothing starts
// without Bus Master Enable; a TLP once offered to the transmitter always completes.
module ring_writer (
  input  logic                                clk_i,
  input  logic                                rst_ni,
  // events from the burst generator
  input  logic                                ev_valid_i,
  output logic                                ev_ready_o,
  input  logic [31:0]                         ev_seq_i,
  input  logic [15:0]                         ev_vector_i,
  input  logic [63:0]                         ev_time_i,
  input  logic                                abort_i,     // drop an event not yet on the wire
  // configuration
  input  logic                                bme_i,
  input  logic [7:0]                          bus_i,
  input  logic [4:0]                          dev_i,
  input  logic [63:0]                         ring_base_i,
  input  logic [4:0]                          ring_log2_i,
  input  logic [63:0]                         ring_prod_addr_i,
  input  logic [31:0]                         ring_cons_i,
  input  logic                                drop_on_full_i,
  output logic [31:0]                         ring_prod_o,
  // the written event's vector, to moderation
  output logic                                note_valid_o,
  output logic [15:0]                         note_vector_o,
  input  logic                                note_ready_i,
  // TLP to the transmitter, held until sent; DW tx_rd_idx_i on tx_rd_dw_o (combinational)
  output logic                                tx_valid_o,
  output logic [3:0]                          tx_ndw_o,
  input  logic [4:0]                          tx_rd_idx_i,
  output logic [31:0]                         tx_rd_dw_o,
  input  logic                                tx_done_i,
  // status and counter pulses
  output logic                                busy_o,       // an event is being written out
  output logic                                ring_full_o,  // stalled for ring space
  output logic                                cnt_ring_full_o,
  output logic                                cnt_overflow_o,
  output logic                                cnt_aborted_o,
  output logic                                cnt_dma_o
);

  typedef enum logic [2:0] {
    StIdle,
    StRingWait,
    StRecord,
    StProd,
    StNote
  } state_e;

  state_e      state_q, state_d;
  logic [31:0] seq_q, prod_q;
  logic [15:0] vec_q;
  logic        tx_valid_q;

  // ---------------------------------------------------------------------------------------------
  // Ring arithmetic (free-running indices)
  // ---------------------------------------------------------------------------------------------
  logic [31:0] entries, fill;
  logic        ring_full;
  logic [63:0] rec_addr;

  assign entries   = 32'h1 << ring_log2_i;
  assign fill      = prod_q - ring_cons_i;
  // Full when every slot holds an unconsumed record. A consumer index ahead of the producer (a
  // host bug) makes fill wrap past entries: that counts as full too, so nothing is overwritten.
  assign ring_full = fill >= entries;
  assign rec_addr  = ring_base_i + {28'h0, prod_q & (entries - 32'h1), 4'h0};

  // ---------------------------------------------------------------------------------------------
  // The TLPs: a MemWr, 3DW header below 4 GiB and 4DW above. The record is assembled when the
  // event is taken; address and requester ID are latched when a TLP is handed over, and the
  // transmitter reads it one DW at a time, each computed from those registers.
  // ---------------------------------------------------------------------------------------------
  // Fields placed at the byte offsets the description gives (little-endian).
  localparam int unsigned RecW = irqrig_reg_pkg::RecordBytes * 8;
  function automatic logic [RecW-1:0] make_record(input logic [31:0] seq, input logic [15:0] vec,
                                                  input logic [63:0] stamp);
    make_record = (RecW'(seq) << (8 * irqrig_reg_pkg::REC_SEQ_BYTE)) |
                  (RecW'(vec) << (8 * irqrig_reg_pkg::REC_VECTOR_BYTE)) |
                  (RecW'(16'h0001) << (8 * irqrig_reg_pkg::REC_FLAGS_BYTE)) |  // valid
                  (RecW'(stamp) << (8 * irqrig_reg_pkg::REC_TIMESTAMP_BYTE));
  endfunction

  logic        is_rec;
  logic [63:0] wr_addr;
  assign is_rec  = state_q == StRecord;
  assign wr_addr = is_rec ? rec_addr : {ring_prod_addr_i[63:2], 2'b00};

  // The TLP handed over: record (4 DW) or producer index (1 DW)
  logic        tx_rec_q, tx_4dw_q;
  logic [61:0] tx_addr_q;  // DW address
  logic [12:0] tx_rid_q;   // {bus, device}
  logic [31:0] rec_q [4];  // the record's payload

  logic [2:0]  tx_len;
  logic [31:0] tx_pay [4];
  logic [4:0]  pay_k;
  assign tx_len    = tx_rec_q ? 3'd4 : 3'd1;
  assign tx_pay[0] = tx_rec_q ? rec_q[0] : prod_q;
  for (genvar k = 1; k < 4; k++) begin : gen_tx_pay
    assign tx_pay[k] = tx_rec_q ? rec_q[k] : 32'h0;
  end
  assign pay_k = tx_rd_idx_i - (tx_4dw_q ? 5'd4 : 5'd3);

  always_comb begin
    case (tx_rd_idx_i)
      5'd0: tx_rd_dw_o = tlp_pkg::tlp_dw0(tx_4dw_q ? tlp_pkg::Fmt4dwData : tlp_pkg::Fmt3dwData,
                                          tlp_pkg::TypeMem, 3'd0, 2'd0, {7'd0, tx_len});
      // Posted requests carry no meaningful tag; Last DW BE is 0 for a 1-DW write.
      5'd1: tx_rd_dw_o = {tx_rid_q, 3'b000, 8'h00, tx_rec_q ? 4'hF : 4'h0, 4'hF};
      5'd2: tx_rd_dw_o = tx_4dw_q ? tx_addr_q[61:30] : {tx_addr_q[29:0], 2'b00};
      5'd3: tx_rd_dw_o = tx_4dw_q ? {tx_addr_q[29:0], 2'b00} : tx_pay[0];
      default: tx_rd_dw_o = (pay_k < 5'd4) ? tx_pay[pay_k[1:0]] : 32'h0;
    endcase
  end

  // ---------------------------------------------------------------------------------------------
  // Sequencer
  // ---------------------------------------------------------------------------------------------
  logic take_ev, tx_load;

  assign ev_ready_o = state_q == StIdle;
  assign take_ev    = ev_ready_o && ev_valid_i;

  always_comb begin
    state_d         = state_q;
    tx_load         = 1'b0;
    cnt_ring_full_o = 1'b0;
    cnt_overflow_o  = 1'b0;
    cnt_aborted_o   = 1'b0;
    cnt_dma_o       = 1'b0;
    case (state_q)
      StIdle: begin
        if (take_ev) begin
          if (!ring_full) begin
            state_d = StRecord;
          end else if (drop_on_full_i) begin
            // Dropped, never silently: no record, no message, counted and STATUS.RING_OVERFLOW.
            cnt_overflow_o = 1'b1;
          end else begin
            cnt_ring_full_o = 1'b1;
            state_d         = StRingWait;
          end
        end
      end
      StRingWait: begin
        if (abort_i) begin
          cnt_aborted_o = 1'b1;
          state_d       = StIdle;
        end else if (!ring_full) begin
          state_d = StRecord;
        end
      end
      StRecord, StProd: begin
        if (!tx_valid_q) begin
          // ABORT drops an event only while its record is not offered: once the record is on
          // its way, the producer write and the message follow, so no record loses its message.
          if (is_rec && abort_i) begin
            cnt_aborted_o = 1'b1;
            state_d       = StIdle;
          end else if (is_rec && ring_full) begin
            // The host moved RING_CONS back while the record waited for Bus Master Enable.
            state_d = StRingWait;
          end else if (bme_i) begin
            tx_load = 1'b1;
          end
        end else if (tx_done_i) begin
          cnt_dma_o = 1'b1;
          if (is_rec && ring_prod_addr_i != '0) state_d = StProd;
          else                                  state_d = StNote;
        end
      end
      StNote: begin
        if (note_ready_i) state_d = StIdle;
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= StIdle;
      seq_q      <= 32'h0;
      vec_q      <= 16'h0;
      prod_q     <= 32'h0;
      tx_valid_q <= 1'b0;
    end else begin
      state_q <= state_d;
      if (take_ev) begin
        seq_q <= ev_seq_i;
        vec_q <= ev_vector_i;
      end
      if (tx_load) begin
        tx_valid_q <= 1'b1;
      end else if (tx_done_i) begin
        tx_valid_q <= 1'b0;
      end
      // RING_PROD moves once the record is on the wire, so a host that reads it sees records only.
      if (is_rec && tx_valid_q && tx_done_i) prod_q <= prod_q + 32'd1;
    end
  end

  // Data path, no reset.
  always_ff @(posedge clk_i) begin
    if (take_ev) begin
      for (int k = 0; k < 4; k++) begin
        rec_q[k] <= 32'(make_record(ev_seq_i, ev_vector_i, ev_time_i) >> (32 * k));
      end
    end
    if (tx_load) begin
      tx_rec_q  <= is_rec;
      tx_4dw_q  <= wr_addr[63:32] != 32'h0;
      tx_addr_q <= wr_addr[63:2];
      tx_rid_q  <= {bus_i, dev_i};
    end
  end

  assign tx_valid_o    = tx_valid_q;
  assign tx_ndw_o      = (tx_4dw_q ? 4'd4 : 4'd3) + {1'b0, tx_len};
  assign ring_prod_o   = prod_q;
  assign note_valid_o  = state_q == StNote;
  assign note_vector_o = vec_q;
  assign busy_o        = state_q != StIdle;
  assign ring_full_o   = state_q == StRingWait;

  logic unused_addr;
  assign unused_addr = ^{ring_prod_addr_i[1:0], wr_addr[1:0]};

`ifndef SYNTHESIS
  always @(posedge clk_i) begin
    if (rst_ni && tx_done_i) begin
      assert (tx_valid_q) else $error("ring_writer: done without a TLP");
    end
    // The ring is never overwritten: a record goes out only into a free slot.
    if (rst_ni && tx_load && is_rec) begin
      assert (!ring_full) else $error("ring_writer: record %0d written into a full ring", seq_q);
    end
  end
`endif

endmodule
