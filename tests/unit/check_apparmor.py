#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""check_apparmor.py - the apparmor_profile meson option installs the
vdestack command's AppArmor profile, and only then.

Usage: check_apparmor.py MESON SRCDIR BUILDDIR OPTION_VALUE

- BUILDDIR (the build under test, whose option is OPTION_VALUE) lists
  /etc/apparmor.d/vdestack among its installed files exactly when the
  option is true;
- two throwaway builds of SRCDIR (configured only, with a prefix of their
  own and the optional backends off, so that nothing is compiled) install
  their "apparmor" tag into a DESTDIR: with -Dapparmor_profile=true the
  profile lands in DESTDIR/etc/apparmor.d/vdestack, in Ubuntu's form
  (abi 4.0, tunables, a profile named vdestack for the installed path of
  the command, unconfined, userns), and with false nothing does.
Debian 12's apparmor_parser predates "userns" and ABI 4.0, so the file is
checked here by its text, not by a parser.  Exit status 1 with the reasons.
"""
import json
import os
import subprocess
import sys
import tempfile

TARGET = "/etc/apparmor.d/vdestack"
PREFIX = "/opt/vdestack-apparmor-check"
OFF = ["-Dtests=false", "-Ddocs=disabled", "-Dcompat_test=disabled",
       "-Dslirp=disabled", "-Dvdeplug=disabled", "-Dfuzz=disabled"]
WANT = [
    "abi <abi/4.0>,",
    "include <tunables/global>",
    f"profile vdestack {PREFIX}/bin/vdestack flags=(unconfined) {{",
    "userns,",
    "include if exists <local/vdestack>",
    "}",
]


def installed(meson, builddir):
    """The install destinations of builddir, from meson introspect."""
    out = subprocess.run([meson, "introspect", builddir, "--installed"],
                         check=True, capture_output=True, text=True).stdout
    return set(json.loads(out).values())


def rules(path):
    """The lines of a profile that are not comments or blank."""
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f
                if l.strip() and not l.strip().startswith("#")]


def throwaway(meson, srcdir, tmp, value):
    """Configure a build with the option at value and install its
    "apparmor" tag into a DESTDIR.  Return: that DESTDIR."""
    b, dest = os.path.join(tmp, f"b-{value}"), os.path.join(tmp, f"d-{value}")
    subprocess.run([meson, "setup", f"-Dapparmor_profile={value}",
                    f"--prefix={PREFIX}", *OFF, b, srcdir], check=True,
                   capture_output=True, text=True)
    subprocess.run([meson, "install", "-C", b, "--no-rebuild", "--destdir",
                    dest, "--tags", "apparmor"], check=True,
                   capture_output=True, text=True)
    return dest


def main(meson, srcdir, builddir, value):
    bad = []
    on = value == "true"
    if (TARGET in installed(meson, builddir)) != on:
        bad.append(f"{builddir}: {TARGET} installed: "
                   f"{not on}, with apparmor_profile={value}")
    with tempfile.TemporaryDirectory() as tmp:
        dest = throwaway(meson, srcdir, tmp, "true")
        profile = dest + TARGET
        if not os.path.isfile(profile):
            bad.append(f"-Dapparmor_profile=true: no {TARGET} installed")
        elif rules(profile) != WANT:
            bad.append(f"{TARGET}: {rules(profile)}, want {WANT}")
        dest = throwaway(meson, srcdir, tmp, "false")
        if os.path.exists(dest + TARGET):
            bad.append(f"-Dapparmor_profile=false: {TARGET} installed")
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
