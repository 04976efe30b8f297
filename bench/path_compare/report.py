"""From the transfers of a run to its result: per cell (row x tool) the
median time over the repetitions that delivered the file intact, the
goodput it stands for, and the failures; per row, whether tern-cp was at
least as fast as the best other tool. Then the same as a Markdown table.

A cell with any failed repetition says so; tern-cp counts as at least as
fast only if none of its repetitions failed and its median is no slower
than every other tool's median (other tools are judged by their successful
repetitions alone, the generous reading for them)."""

import statistics

OK, FAILED, UNAVAILABLE = "ok", "failed", "unavailable"


def cell(outcomes, size):
    """Summary of one tool on one row from its repetitions' outcomes (dicts
    with status, seconds, reason)."""
    times = [o["seconds"] for o in outcomes if o["status"] == OK]
    failed = [o["reason"] for o in outcomes if o["status"] == FAILED]
    unavailable = [o["reason"] for o in outcomes if o["status"] == UNAVAILABLE]
    summary = {"runs": len(outcomes), "ok": len(times), "failed": len(failed), "failures": failed}
    if unavailable and not times and not failed:
        summary["unavailable"] = unavailable[0]
    if times:
        median = statistics.median(times)
        summary["median_s"] = round(median, 3)
        summary["mbit_per_s"] = round(size * 8 / median / 1e6, 1)
        summary["seconds"] = [round(t, 3) for t in times]
    return summary


def verdict(cells, tern, others):
    """(tern at least as fast as the best other: True, False or None when
    nothing compares, one line saying so)."""
    t = cells.get(tern, {})
    rivals = [(cells[n]["median_s"], n) for n in others if "median_s" in cells.get(n, {})]
    if not rivals:
        return None, "no other tool delivered"
    best_time, best = min(rivals)
    if t.get("failed") or "median_s" not in t:
        return False, "no: tern-cp failed %d/%d; best %s %.2f s" % (t.get("failed", 0), t.get("runs", 0), best,
                                                                    best_time)
    if t["median_s"] <= best_time:
        return True, "yes (next: %s, %.2fx tern's time)" % (best, best_time / t["median_s"])
    return False, "**no**: %s %.2f s, tern-cp %.2fx slower" % (best, best_time, t["median_s"] / best_time)


def summarize(transfers, rows, tools, tern, size):
    """transfers: dicts with row, tool, repetition, status, seconds, reason.
    Returns one dict per row in row order."""
    result = []
    for row in rows:
        cells = {}
        for tool in tools:
            mine = [t for t in transfers if t["row"] == row["name"] and t["tool"] == tool]
            if mine:
                cells[tool] = cell(mine, size)
        ok, text = verdict(cells, tern, [t for t in tools if t != tern])
        result.append({"row": row["name"], "spec": row["spec"], "udp_relay_spec": row.get("udp_relay_spec"),
                       "cells": cells, "tern_at_least_as_fast": ok, "verdict": text})
    return result


def cell_text(c):
    if c is None:
        return "not run"
    if "unavailable" in c:
        return "unavailable"
    if "median_s" not in c:
        return "**failed %d/%d**" % (c["failed"], c["runs"])
    text = "%.2f s, %.0f Mbit/s" % (c["median_s"], c["mbit_per_s"])
    if c["failed"]:
        text += " (**%d/%d failed**)" % (c["failed"], c["runs"])
    return text


def markdown(summary, tools):
    lines = ["| path | " + " | ".join(tools) + " | tern-cp at least as fast as the best other? |",
             "|---|" + "---|" * len(tools) + "---|"]
    for r in summary:
        lines.append("| %s | %s | %s |" % (r["row"], " | ".join(cell_text(r["cells"].get(t)) for t in tools),
                                         r["verdict"]))
    return "\n".join(lines)


def failure_notes(summary):
    """One line per failed or unavailable cell and reason, saying why (and
    how many times)."""
    notes = []
    for r in summary:
        for tool, c in r["cells"].items():
            if "unavailable" in c:
                notes.append("- %s, %s: unavailable: %s" % (r["row"], tool, c["unavailable"]))
            for reason in dict.fromkeys(c["failures"]):
                times = c["failures"].count(reason)
                notes.append("- %s, %s: failed%s: %s" % (r["row"], tool, " %d times" % times if times > 1 else "",
                                                        reason))
    return notes
