#!/usr/bin/env python3
"""Checks that a board's hard-IP configuration (its create_ip Tcl) agrees with the one register
description, rtl/regs/irqrig_regs.json: IDs, class code, BAR0 size, MSI-X table and PBA offsets
and the table size. The IP owns the config space on a board, so a value that drifts here would
give the host a device the core does not match.

usage: check_ip_config.py <irqrig_regs.json> <pcie4_uscale_plus_0.tcl> [num_vectors]
"""
import json
import re
import sys


def ip_properties(tcl_text):
    """CONFIG.<name> {<value>} pairs of a set_property -dict list."""
    return {m.group(1): m.group(2) for m in re.finditer(r"CONFIG\.(\w+)\s+\{([^}]*)\}", tcl_text)}


def expected(regs, num_vectors):
    cfg = regs["config"]
    windows = {w["name"]: int(w["offset"], 16) for w in regs["bar0"]["windows"]}
    size_kib = (1 << int(cfg["bar0_size_log2"])) // 1024
    return {
        "vendor_id": f"{int(cfg['vendor_id'], 16):04X}",
        "PF0_DEVICE_ID": f"{int(cfg['device_id'], 16):04X}",
        "PF0_REVISION_ID": f"{int(cfg['revision_id'], 16):02X}",
        "PF0_CLASS_CODE": f"{int(cfg['class_code'], 16):06X}",
        "pf0_bar0_scale": "Kilobytes",
        "pf0_bar0_size": str(size_kib),
        "pf0_bar0_64bit": "false",
        "PF0_MSIX_CAP_TABLE_BIR": "BAR_0",
        "PF0_MSIX_CAP_PBA_BIR": "BAR_0",
        "PF0_MSIX_CAP_TABLE_OFFSET": f"{windows['MSIX_TABLE']:08X}",
        "PF0_MSIX_CAP_PBA_OFFSET": f"{windows['MSIX_PBA']:08X}",
        "PF0_MSIX_CAP_TABLE_SIZE": f"{num_vectors - 1:03X}",
        "MSI_X_OPTIONS": "MSI-X_External",
        "pf0_msi_enabled": "true",
        "pf0_msix_enabled": "true",
        "PF0_INTERRUPT_PIN": "NONE",
    }


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        regs = json.load(f)
    with open(argv[2], encoding="utf-8") as f:
        props = ip_properties(f.read())
    num_vectors = int(argv[3]) if len(argv) == 4 else 2048
    bad = []
    for name, want in expected(regs, num_vectors).items():
        have = props.get(name)
        if have is None or have.upper() != want.upper():
            bad.append(f"CONFIG.{name} is {have!r}, the register description needs {want!r}")
    for line in bad:
        print(f"{argv[2]}: {line}", file=sys.stderr)
    if not bad:
        print(f"{argv[2]}: agrees with {argv[1]} ({len(expected(regs, num_vectors))} properties)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
