// Debian's libsystemc carries a main() that calls sc_main; irqrig has its own main() and runs the
// kernel itself, but the library's reference must still resolve.
#include <cstdio>

extern "C" int sc_main(int, char**) {
  std::fputs("irqrig: sc_main is not an entry point of this program\n", stderr);
  return 2;
}
