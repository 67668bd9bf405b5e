/* A WDM plug-in that leaks: StartDevice allocates two blocks of pool and frees one; StopDevice frees
 * nothing. Driver Verifier reports the block left when the driver stops. */
#include <irqrig/plugin.h>
#include <irqrig/rig.h>

typedef struct _LEAK_CONTEXT {
  PVOID Kept;
} LEAK_CONTEXT;

static NTSTATUS LeakStartDevice(const IRQRIG_RESOURCES* Resources, PVOID* DeviceContext) {
  LEAK_CONTEXT* ctx;
  PVOID scratch;
  (void)Resources;
  ctx = (LEAK_CONTEXT*)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *ctx, 'kaeL');
  if (!ctx) return STATUS_INSUFFICIENT_RESOURCES;
  scratch = ExAllocatePoolWithTag(PagedPool, 100, 'hctS');
  if (!scratch) return STATUS_INSUFFICIENT_RESOURCES;
  ExFreePoolWithTag(scratch, 'hctS');
  ctx->Kept = ctx;
  *DeviceContext = ctx;
  return STATUS_SUCCESS;
}

static VOID LeakStopDevice(PVOID DeviceContext) { (void)DeviceContext; }

static const IRQRIG_DRIVER LeakDriver = {"wdm_pool_leak", LeakStartDevice, LeakStopDevice};

const IRQRIG_DRIVER* IrqrigDriverEntry(void) { return &LeakDriver; }
