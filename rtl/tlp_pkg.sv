// TLP header encodings (PCIe Base Spec 3.0, 2.2) and the completion arithmetic of 2.3.1.1, shared
// by the request, completion and DMA sides of the irqrig endpoint.
package tlp_pkg;

  // Fmt[2:0]
  localparam logic [2:0] Fmt3dwNoData = 3'b000;
  localparam logic [2:0] Fmt3dwData   = 3'b010;
  localparam logic [2:0] Fmt4dwData   = 3'b011;

  // Type[4:0]; messages are 10rrr, completions 0101x.
  localparam logic [4:0] TypeMem  = 5'b00000;
  localparam logic [4:0] TypeCfg0 = 5'b00100;
  localparam logic [4:0] TypeCpl  = 5'b01010;

  // Completion Status
  localparam logic [2:0] CplStatusSc = 3'b000;
  localparam logic [2:0] CplStatusUr = 3'b001;

  // Longest memory request payload the endpoint executes; longer ones are unsupported.
  localparam int unsigned MaxPayloadDw = 16;
  // A completion carries at most a 3-DW header and MaxPayloadDw data DWs.
  localparam int unsigned CplMaxDw = 3 + MaxPayloadDw;

  // Type-0 header, MSI and MSI-X capability offsets fixed by the PCI Local Bus Spec 3.0 (6.1, 6.8.2;
  // Linux pci_regs.h names). The register description carries only the offsets it chooses.
  localparam logic [11:0] PciVendorId      = 12'h000;  // Vendor ID, Device ID
  localparam logic [11:0] PciClassRevision = 12'h008;  // Revision ID, Class Code
  localparam logic [11:0] PciCacheLineSize = 12'h00C;  // Cache Line, Latency, Header Type, BIST
  localparam logic [11:0] PciMsixFlags     = 12'h000;  // +0: Cap ID, Next, Message Control
  localparam logic [11:0] PciMsixTable     = 12'h004;  // +4: Table Offset/BIR
  localparam logic [11:0] PciMsixPba       = 12'h008;  // +8: PBA Offset/BIR
  localparam logic [11:0] PciMsiFlags      = 12'h000;  // +0: Cap ID, Next, Message Control
  localparam logic [11:0] PciMsiAddrLo     = 12'h004;  // +4: Message Address
  localparam logic [11:0] PciMsiAddrHi     = 12'h008;  // +8: Message Upper Address (64-bit)
  localparam logic [11:0] PciMsiData64     = 12'h00C;  // +C: Message Data (64-bit layout)
  localparam logic [11:0] PciMsiMask64     = 12'h010;  // +10: Mask Bits (64-bit layout)
  localparam logic [11:0] PciMsiPending64  = 12'h014;  // +14: Pending Bits (64-bit layout)
  localparam logic [7:0]  PciCapIdMsi      = 8'h05;
  localparam logic [7:0]  PciCapIdMsix     = 8'h11;
  localparam logic [7:0]  PciHeaderType0   = 8'h00;
  localparam logic [15:0] PciStatusCapList = 16'h0010;
  localparam int unsigned PciCommandMemory = 1;        // Memory Space Enable
  localparam int unsigned PciCommandMaster = 2;        // Bus Master Enable
  localparam int unsigned PciCommandIntxDis = 10;      // Interrupt Disable
  localparam int unsigned PciMsixFlagsMask = 14;       // Function Mask (Message Control bit)
  localparam int unsigned PciMsixFlagsEnable = 15;     // MSI-X Enable (Message Control bit)
  // MSI Message Control bits (PCI 3.0 6.8.1.3; SEMANTICS A1)
  localparam int unsigned PciMsiFlagsEnable = 0;       // MSI Enable
  localparam int unsigned PciMsiFlagsQmask  = 1;       // Multiple Message Capable, bits 3:1
  localparam int unsigned PciMsiFlagsQsize  = 4;       // Multiple Message Enable, bits 6:4
  localparam int unsigned PciMsiFlags64bit  = 7;       // 64-bit address capable
  localparam int unsigned PciMsiFlagsMaskbit = 8;      // per-vector masking capable

  // Header DW0 of a TLP without TLP hints, address translation or extended tags.
  function automatic logic [31:0] tlp_dw0(input logic [2:0] fmt, input logic [4:0] typ,
                                          input logic [2:0] tc, input logic [1:0] attr,
                                          input logic [9:0] len);
    tlp_dw0 = {fmt, typ, 1'b0, tc, 4'b0000, 1'b0, 1'b0, attr, 2'b00, len};
  endfunction

  // Disabled bytes before the first enabled one of a First DW BE (0 when none is enabled).
  function automatic logic [1:0] first_be_skip(input logic [3:0] be);
    if (be[0] || be == 4'b0000) first_be_skip = 2'd0;
    else if (be[1])             first_be_skip = 2'd1;
    else if (be[2])             first_be_skip = 2'd2;
    else                        first_be_skip = 2'd3;
  endfunction

  // Disabled bytes after the last enabled one of a Last DW BE.
  function automatic logic [1:0] last_be_skip(input logic [3:0] be);
    if (be[3])      last_be_skip = 2'd0;
    else if (be[2]) last_be_skip = 2'd1;
    else if (be[1]) last_be_skip = 2'd2;
    else if (be[0]) last_be_skip = 2'd3;
    else            last_be_skip = 2'd3;  // no byte enabled: illegal for Length > 1
  endfunction

  // Byte Count of a read completion returning the whole request (PCIe 3.0 Table 2-38); len_dw is
  // the decoded length (1..1024). 4096 bytes encode as 0, which the 12-bit truncation gives.
  function automatic logic [11:0] cpl_byte_count(input logic [3:0] first_be,
                                                 input logic [3:0] last_be,
                                                 input logic [10:0] len_dw);
    if (len_dw == 11'd1) begin
      if (first_be == 4'b0000) cpl_byte_count = 12'd1;
      else if (first_be[3])    cpl_byte_count = 12'd4 - 12'(first_be_skip(first_be));
      else if (first_be[2])    cpl_byte_count = 12'd3 - 12'(first_be_skip(first_be));
      else if (first_be[1])    cpl_byte_count = 12'd2 - 12'(first_be_skip(first_be));
      else                     cpl_byte_count = 12'd1;
    end else begin
      cpl_byte_count = 12'({len_dw, 2'b00}) - 12'(first_be_skip(first_be)) -
                       12'(last_be_skip(last_be));
    end
  endfunction

  // Lower Address of a memory read completion: the byte address of the first enabled byte.
  function automatic logic [6:0] cpl_lower_addr(input logic [6:2] addr, input logic [3:0] first_be);
    cpl_lower_addr = {addr, first_be_skip(first_be)};
  endfunction

endpackage
