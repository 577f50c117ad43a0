"""Reads target/conformance/results/<client>.txt (RESULT lines) and prints the client x capability matrix, also to
target/conformance.md. Exits 1 when any cell failed or is missing."""
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "target", "conformance")
CELLS = [("presign_put", "presign PUT"), ("presign_get", "presign GET"), ("presign_mpu", "presign multipart"),
         ("put", "put"), ("put_stream", "put streamed"), ("multipart", "multipart"), ("get_range", "get range"),
         ("head", "head"), ("list_v2", "list v2 pages"), ("copy", "copy"), ("delete", "delete"),
         ("multi_delete", "multi-delete")]
MARK = {"PASS": "pass", "FAIL": "**FAIL**", "SKIP": "n/a"}


def main():
    meta = []  # clients.tsv, written by run.sh: name, label, seconds, exit code, note, not-testable reason
    for line in open(os.path.join(OUT, "clients.tsv"), encoding="utf-8"):
        f = (line.rstrip("\n").split("\t") + [""] * 6)[:6]
        meta.append({"name": f[0], "label": f[1], "seconds": float(f[2]) if f[2] else None, "rc": f[3],
                     "note": f[4], "not_testable": f[5]})
    lines = ["| client | " + " | ".join(c[1] for c in CELLS) + " | time |",
             "|---" * (len(CELLS) + 2) + "|"]
    notes, failed, counts = [], 0, {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for c in meta:
        results = {}
        path = os.path.join(OUT, "results", c["name"] + ".txt")
        if os.path.exists(path):
            for line in open(path, encoding="utf-8", errors="replace"):
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 3 and parts[0] == "RESULT":
                    results[parts[1]] = (parts[2], parts[3] if len(parts) > 3 else "")
        row, row_notes = [], {}  # (status, detail) -> cell titles, so a reason shared by cells is said once
        for key, title in CELLS:
            if c.get("not_testable"):
                status, detail = "SKIP", c["not_testable"]
            else:
                status, detail = results.get(key, ("FAIL", c.get("note") or
                                                   f"no result (program exit {c.get('rc')}; see target/conformance/logs/{c['name']}.log)"))
            counts[status] += 1
            failed += status == "FAIL"
            if status != "PASS" or detail:
                row_notes.setdefault((status, detail), []).append(title)
            row.append(MARK[status])
        for (status, detail), titles in row_notes.items():
            notes.append(f"- {c['label']} / {', '.join(titles)}: {MARK[status]}: {detail}".rstrip(": "))
        secs = c.get("seconds")
        lines.append(f"| {c['label']} | " + " | ".join(row) + f" | {'' if secs is None else f'{secs:.0f}s'} |")
    regressions = []  # single-client checks of behaviours outside clients found (run.sh REGRESSIONS)
    path = os.path.join(OUT, "results", "regressions.txt")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8", errors="replace"):
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3 and parts[0] == "RESULT" and parts[2] in counts:
                counts[parts[2]] += 1
                failed += parts[2] == "FAIL"
                detail = f": {parts[3]}" if len(parts) > 3 and parts[3] else ""
                regressions.append(f"- {parts[1]}: {MARK[parts[2]]}{detail}")
    text = "\n".join(["# Sluice client conformance matrix", "",
                      "pass = works against Sluice; **FAIL** = broken (see notes); n/a = the client cannot do it "
                      "(notes say why)", ""] + lines + ["", "## Notes", ""] + (notes or ["(none)"]) +
                     ["", "## Regression checks", ""] + (regressions or ["(none run)"]) +
                     ["", f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped"]) + "\n"
    with open(os.path.join(ROOT, "target", "conformance.md"), "w") as f:
        f.write(text)
    print(text)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
