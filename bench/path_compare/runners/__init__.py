"""The tools compared, in table order; tern-cp first. Each has a name,
missing(ctx) (why it cannot run here, or None) and run(ctx, row, name) ->
Outcome."""

from types import SimpleNamespace

from runners import ngtcp2, srt, tern_cp
from runners.kernel_tcp import KernelTcp


def _module_tool(module):
    return SimpleNamespace(name=module.NAME, missing=module.missing, run=module.run)


def all_tools():
    return [_module_tool(tern_cp), _module_tool(ngtcp2), _module_tool(srt), KernelTcp("bbr"), KernelTcp("cubic")]


TOOL_NAMES = ["tern-cp", "ngtcp2", "srt", "tcp-bbr", "tcp-cubic"]
TERN = "tern-cp"
