/* <wdf.h> as KMDF driver sources include it: forwards to irqrig's framework header, which carries
 * the subset of wdfdriver.h, wdfdevice.h, wdfinterrupt.h, wdfdpc.h ... the rig models. */
#pragma once

#include "irqrig/wdf.h"
