/* <ntdef.h> as driver sources include it: the base types and status codes, from irqrig's headers. */
#pragma once

#include "irqrig/ddk.h"
