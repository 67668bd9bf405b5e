/* <wdm.h> as driver sources include it: forwards to irqrig's kernel headers.
 * This directory goes on a driver's include path; the irqrig names stay under irqrig/. */
#pragma once

#include "irqrig/ddk.h"
#include "irqrig/wdm.h"
