"""What runs on the machine, for tests that check nothing outlives a sandboxed kernel."""
import os


def command_lines():
    """The command line of every process on the machine, one per line (what `ps -eo args` shows)."""
    lines = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    lines.append(f.read().replace(b"\0", b" ").decode(errors="replace").strip())
            except OSError:
                continue
    return "\n".join(lines)
