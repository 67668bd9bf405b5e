/* <initguid.h>: included before a header full of DEFINE_GUID, makes it define the GUIDs
 * instead of declaring them. */
#ifndef INITGUID
#define INITGUID
#endif

#include "irqrig/ddk.h"

#undef DEFINE_GUID
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
  IRQRIG_EXTERN_C_DEFINITION const GUID DECLSPEC_SELECTANY name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
