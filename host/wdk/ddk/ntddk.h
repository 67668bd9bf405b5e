/* <ntddk.h> as driver sources include it: on Windows a superset of <wdm.h>; here the same
 * kernel surface, since irqrig models only what a driver's interrupt path calls. */
#pragma once

#include <wdm.h>
