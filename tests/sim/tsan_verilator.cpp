// ThreadSanitizer suppressions for the tests that run Verilated models on more than one thread (a
// server in a thread of the test, or Verilator's own worker threads beside the test's).
//
// Verilator 5.006's runtime keeps the last context any thread adopted in a plain global
// (Verilated::lastContextp, verilated.h), written by every thread that sets its own context:
// core_model.cpp's adopt_context before each eval, and each VlWorkerThread as it starts. It is read
// only by a thread that never set a context of its own, which no irqrig thread is; the race is in
// Verilator's code, not the rig's, and nothing else is suppressed.
extern "C" const char* __tsan_default_suppressions() { return "race:Verilated::lastContextp\n"; }
