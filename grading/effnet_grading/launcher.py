"""Inside the sandbox, just before the kernel: set resource limits, give up root, become the kernel.

The sandbox runs this file by path with the isolated interpreter (``python -I -S launcher.py``),
so it imports only the standard library and none of the code being graded.

    launcher.py --data BYTES --address-space BYTES --processes N --file-size BYTES --open-files N --cwd DIR [--uid N] -- COMMAND...

Resource limits are inherited by everything the kernel starts and cannot be raised again
without privileges. Linux does not apply the process limit to root (uid 0 in the first user
namespace), so when the grader runs as root the kernel is moved to ``--uid``, an otherwise
unused user id given to this sandbox alone: the limit then counts this kernel's processes only.
"""

import os
import resource
import sys

LIMITS = {
    "--data": resource.RLIMIT_DATA,  # private writable memory: heap, arrays, tensors
    "--address-space": resource.RLIMIT_AS,  # also bounds shared anonymous mappings
    "--processes": resource.RLIMIT_NPROC,  # processes and threads of this user
    "--file-size": resource.RLIMIT_FSIZE,  # the largest file it may write
    "--open-files": resource.RLIMIT_NOFILE,  # file descriptors open at once, per process
}


def main(argv: list) -> None:
    if "--" not in argv:
        sys.exit("launcher.py: expected OPTIONS -- COMMAND")
    split = argv.index("--")
    options = dict(zip(argv[:split:2], argv[1:split:2]))
    command = argv[split + 1:]
    for option, limit in LIMITS.items():
        value = int(options[option])
        resource.setrlimit(limit, (value, value))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core dumps of a student's crash
    if "--uid" in options:
        uid = int(options["--uid"])
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)  # all user ids at once: root's capabilities are gone for good
        try:
            os.setuid(0)
        except PermissionError:
            pass
        else:
            sys.exit("launcher.py: could not give up root; refusing to start the kernel")
    os.chdir(options["--cwd"])  # after giving up root: only the sandbox's user may enter it
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
