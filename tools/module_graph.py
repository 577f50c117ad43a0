#!/usr/bin/env python3
"""Module graph of a crate: which source files name which (through `crate::`, `super::` and `self::` paths), the
import cycles (strongly connected components of more than one file), and the largest functions.

    python3 tools/module_graph.py crates/server/src [--functions N] [--edges]

Development aid for docs/architecture.md; approximate (a text scan, not a compiler), but the same scan before and
after a change.
"""
import os
import re
import sys


def module_files(root):
    """Maps module paths (tuples) to files."""
    mods = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), root)
            parts = rel[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            mods[tuple(parts)] = os.path.join(root, rel)
    return mods


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def expand_use_groups(text):
    """`crate::a::{b, c::d}` -> paths `crate::a::b`, `crate::a::c::d` (one level of nesting at a time)."""
    paths = []
    for m in re.finditer(r"\b((?:crate|super|self)(?:::\w+)*)::\{", text):
        start = m.end()
        depth, i = 1, start
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        inner = text[start : i - 1]
        for item in split_top(inner):
            item = item.strip()
            if item:
                paths.extend(expand_use_groups(m.group(1) + "::" + item) or [m.group(1) + "::" + item])
    return paths


def split_top(s):
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def resolve(path, here, mods):
    segs = re.findall(r"\w+", path)
    if not segs:
        return None
    if segs[0] == "crate":
        base, rest = (), segs[1:]
    else:
        base = list(here)
        rest = segs
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super" and base:
                base.pop()
            rest = rest[1:]
        base = tuple(base)
    best = None
    for n in range(len(rest), -1, -1):
        cand = tuple(base) + tuple(rest[:n])
        if cand in mods:
            best = cand
            break
    return best


def graph(root):
    mods = module_files(root)
    edges = {m: set() for m in mods}
    for mod, path in mods.items():
        text = strip_comments(open(path, encoding="utf-8").read())
        # a file `a/b.rs` is module (a, b); its `super` is (a,); for `a/mod.rs` it is ().
        here = mod if os.path.basename(path) in ("mod.rs", "lib.rs") else mod[:-1]
        here_self = mod
        refs = expand_use_groups(text)
        refs += re.findall(r"\b(?:crate|super)(?:::\w+)+", text)
        # relative paths to child modules: `child::item` inside the parent
        for cand in mods:
            if len(cand) == len(mod) + 1 and cand[: len(mod)] == mod and os.path.basename(path) in ("mod.rs", "lib.rs"):
                if re.search(r"(?<![:\w])" + cand[-1] + r"::", text):
                    edges[mod].add(cand)
        for r in refs:
            if r.startswith("self"):
                target = resolve(r, here_self, mods)
            elif r.startswith("super"):
                target = resolve(r, here, mods)
            else:
                target = resolve(r, (), mods)
            if target is not None and target != mod and target != ():
                edges[mod].add(target)
    return mods, edges


def sccs(edges):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    for v in edges:
        if v not in index:
            visit(v)
    return [c for c in out if len(c) > 1]


def functions(mods):
    """(lines, name, file) of every fn body, found by brace matching."""
    found = []
    for path in mods.values():
        lines = open(path, encoding="utf-8").read().split("\n")
        text = "\n".join(lines)
        for m in re.finditer(r"\bfn\s+(\w+)", text):
            i = text.find("{", m.end())
            semi = text.find(";", m.end())
            if i < 0 or (0 <= semi < i):
                continue
            depth, j = 0, i
            while j < len(text):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            start_line = text.count("\n", 0, m.start()) + 1
            end_line = text.count("\n", 0, j) + 1
            found.append((end_line - start_line + 1, m.group(1), path))
    return sorted(found, reverse=True)


def name(mod):
    return "::".join(mod) or "crate"


def main():
    root = sys.argv[1]
    nfun = int(sys.argv[sys.argv.index("--functions") + 1]) if "--functions" in sys.argv else 10
    mods, edges = graph(root)
    cycles = sccs(edges)
    print(f"{root}: {len(mods)} files, {sum(len(e) for e in edges.values())} module edges, "
          f"{len(cycles)} import cycle(s)")
    for c in sorted(cycles, key=len, reverse=True):
        print(f"  cycle of {len(c)} files: " + ", ".join(sorted(name(m) for m in c)))
    if "--edges" in sys.argv:
        for m in sorted(edges):
            for t in sorted(edges[m]):
                print(f"  {name(m)} -> {name(t)}")
    print(f"largest functions:")
    for n, f, p in functions(mods)[:nfun]:
        print(f"  {n:4d}  {f}  ({os.path.relpath(p, root)})")


if __name__ == "__main__":
    main()
