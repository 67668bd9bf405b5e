/*++

Module Name:

    public.h

Abstract:

    What applications share with the irqrig KMDF sample driver: its device interface GUID and the
    control code of its one IOCTL.

Environment:

    user and kernel

--*/

#pragma once

//
// {6a4e1c52-3b9f-4f7e-9d2a-51c0f3a7e8b1}
//
DEFINE_GUID(GUID_DEVINTERFACE_IRQRIG_SAMPLE,
    0x6a4e1c52, 0x3b9f, 0x4f7e, 0x9d, 0x2a, 0x51, 0xc0, 0xf3, 0xa7, 0xe8, 0xb1);

#define FILE_DEVICE_IRQRIG_SAMPLE 0x8000

#define IOCTL_IRQRIG_SAMPLE_GET_STATISTICS \
    CTL_CODE(FILE_DEVICE_IRQRIG_SAMPLE, 0x800, METHOD_BUFFERED, FILE_READ_ACCESS)
