#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""check_structure.py - the layering rules of src/, checked on the source.

Usage: check_structure.py SRCDIR

- each folder includes only folders below it (base <- helper <- core <-
  backends; conf and fwd above core), never one above or beside it;
- a file of src/backends/ includes only core/backend.h, headers of its own
  folder and system headers;
- no backend or src/conf file includes a header of src/helper/;
- one file (base/rtnl.c) sends netlink requests and reads the kernel's
  answers;
- no function in src/ is longer than 80 lines (tools/long-functions).
Exit status 1 with one line per broken rule.
"""
import os
import re
import subprocess
import sys

# folder -> the folders whose headers it may include (besides its own)
ALLOWED = {
    "base": set(),
    "helper": {"base"},
    "core": {"base", "helper"},
    "backends": {"core"},
    "conf": {"base", "core"},
    "fwd": {"base", "core"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
NETLINK_IO = re.compile(r"\bmnl_socket_(sendto|recvfrom)\b|\bmnl_cb_run\b")


def main(src):
    bad = []
    for folder in sorted(os.listdir(src)):
        path = os.path.join(src, folder)
        if not os.path.isdir(path):
            continue
        for name in sorted(os.listdir(path)):
            if not name.endswith((".c", ".h")):
                continue
            rel = f"{folder}/{name}"
            text = open(os.path.join(path, name), encoding="utf-8").read()
            for inc in INCLUDE.findall(text):
                if "/" not in inc:
                    if not os.path.exists(os.path.join(path, inc)) and \
                            inc != "config.h":
                        bad.append(f"{rel}: includes \"{inc}\", which is "
                                   "not in its folder")
                    elif inc == "config.h" and folder == "backends":
                        bad.append(f"{rel}: includes config.h")
                    continue
                dest = inc.split("/")[0]
                if folder not in ALLOWED:
                    bad.append(f"{rel}: folder {folder} has no rule here")
                elif dest != folder and dest not in ALLOWED[folder]:
                    bad.append(f"{rel}: includes \"{inc}\" ({folder} may "
                               f"include only {sorted(ALLOWED[folder])})")
                if folder == "backends" and inc != "core/backend.h":
                    bad.append(f"{rel}: a backend includes only "
                               f"core/backend.h and its own headers, not "
                               f"\"{inc}\"")
            if NETLINK_IO.search(text) and rel != "base/rtnl.c":
                bad.append(f"{rel}: netlink I/O outside base/rtnl.c")
    tool = os.path.join(src, "..", "tools", "long-functions")
    r = subprocess.run([sys.executable, tool, src], capture_output=True,
                       text=True)
    bad += [line for line in r.stdout.splitlines() if line]
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
