// Small helpers shared by the irqrig RTL: bit-word updates and a priority encoder, written so
// that Verilator evaluates them in a handful of operations (no 32-way unrolled loops per cycle).
package irqrig_pkg;

  // `w` with bit `b` set to `val`: per-vector flags live in 32-bit words written whole.
  function automatic logic [31:0] with_bit(input logic [31:0] w, input logic [4:0] b,
                                           input logic val);
    with_bit = val ? (w | (32'h1 << b)) : (w & ~(32'h1 << b));
  endfunction

  // Index of the lowest set bit of `x` (0 when none is set), by halving.
  function automatic logic [4:0] lowest_set(input logic [31:0] x);
    logic [31:0] y;
    logic [4:0]  r;
    y = x;
    r = 5'd0;
    if (y[15:0] == 16'h0) begin
      r = r | 5'd16;
      y = y >> 16;
    end
    if (y[7:0] == 8'h0) begin
      r = r | 5'd8;
      y = y >> 8;
    end
    if (y[3:0] == 4'h0) begin
      r = r | 5'd4;
      y = y >> 4;
    end
    if (y[1:0] == 2'h0) begin
      r = r | 5'd2;
      y = y >> 2;
    end
    if (y[0] == 1'b0 && x != 32'h0) r = r | 5'd1;
    lowest_set = r;
  endfunction

endpackage
