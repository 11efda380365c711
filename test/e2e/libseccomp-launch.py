#!/usr/bin/python3
# An independent launcher for the end-to-end tests: applies a flat OCI seccomp profile with libseccomp's own
# Python binding (Debian's python3-seccomp), then execs the command. Usage: libseccomp-launch.py PROFILE CMD ARGS...
import json
import os
import sys

import seccomp

ACTIONS = {
    "SCMP_ACT_ALLOW": lambda errno: seccomp.ALLOW,
    "SCMP_ACT_LOG": lambda errno: seccomp.LOG,
    "SCMP_ACT_ERRNO": lambda errno: seccomp.ERRNO(errno if errno is not None else 1),
    "SCMP_ACT_KILL": lambda errno: seccomp.KILL,
    "SCMP_ACT_KILL_PROCESS": lambda errno: seccomp.KILL_PROCESS,
    "SCMP_ACT_TRAP": lambda errno: seccomp.TRAP,
}
OPS = {"SCMP_CMP_NE": seccomp.NE, "SCMP_CMP_LT": seccomp.LT, "SCMP_CMP_LE": seccomp.LE, "SCMP_CMP_EQ": seccomp.EQ,
       "SCMP_CMP_GE": seccomp.GE, "SCMP_CMP_GT": seccomp.GT, "SCMP_CMP_MASKED_EQ": seccomp.MASKED_EQ}
ARCHES = {"SCMP_ARCH_X86_64": "x86_64", "SCMP_ARCH_X86": "x86", "SCMP_ARCH_X32": "x32", "SCMP_ARCH_AARCH64": "aarch64", "SCMP_ARCH_ARM": "arm"}


def main():
    profile = json.load(open(sys.argv[1]))
    filt = seccomp.SyscallFilter(ACTIONS[profile["defaultAction"]](profile.get("defaultErrnoRet")))
    for arch in profile.get("architectures") or []:
        a = seccomp.Arch(ARCHES[arch])
        if not filt.exist_arch(a):
            filt.add_arch(a)
    for rule in profile.get("syscalls") or []:
        action = ACTIONS[rule["action"]](rule.get("errnoRet"))
        args = [seccomp.Arg(a["index"], OPS[a["op"]], a["value"], a.get("valueTwo", 0)) for a in rule.get("args") or []]
        for name in rule["names"]:
            filt.add_rule(action, name, *args)
    filt.load()
    os.execvp(sys.argv[2], sys.argv[2:])


main()
