#!/usr/bin/env python3
"""The module import graph of each crate, and every cycle in it.

`scripts/module-cycles.py [--strict] [CRATE_SRC ...]` (default: `src core/src`): for each crate,
every non-test module's references to other modules of the same crate (`crate::a::b`,
`super::x`, `self::x`, and a child module named by its bare name) are imports. A module's
children are parts of it (they see its private items, and it declares them), so an import between
a module and one inside it closes no cycle; the rule is checked at every level of the module tree
instead: the sibling modules under one parent, each taken with everything inside it, import each
other without a cycle. Prints every cycle (a strongly connected component of siblings) with the
lines that close it and exits 1 when there is any; `--strict` also counts imports between a
module and those inside it. Test code (`#[cfg(test)]` items, the files of test modules) is left
out: it may import what it tests.
"""

import os
import re
import sys


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    # String literals (plain ones; raw strings are rare here and hold no paths).
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def strip_cfg_test(text):
    """Drop every item that follows `#[cfg(test)]` (a `mod x;` line or a braced block)."""
    out = []
    i = 0
    marker = re.compile(r"#\[cfg\(test\)\]")
    while True:
        m = marker.search(text, i)
        if not m:
            out.append(text[i:])
            break
        out.append(text[i : m.start()])
        j = m.end()
        # The item ends at its `;` when that comes before any `{`, else at its matching `}`.
        semi = text.find(";", j)
        brace = text.find("{", j)
        if brace == -1 or (semi != -1 and semi < brace):
            i = semi + 1
            continue
        depth = 0
        k = brace
        while k < len(text):
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        i = k + 1
    return "".join(out)


def modules(root):
    """Module path (tuple) -> file, following `mod x;` declarations from lib.rs/main.rs."""
    found = {}
    test_mods = set()

    def visit(path, file, dir_for_children):
        found[path] = file
        raw = open(file, encoding="utf-8").read()
        text = strip_comments(raw)
        # Test-only children are skipped entirely.
        for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", text):
            test_mods.add(path + (m.group(1),))
        for m in re.finditer(r"(?:#\[path\s*=\s*\"([^\"]+)\"\]\s*)?(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", raw):
            name = m.group(2)
            child = path + (name,)
            if child in test_mods:
                continue
            candidates = [
                os.path.join(dir_for_children, name + ".rs"),
                os.path.join(dir_for_children, name, "mod.rs"),
            ]
            for c in candidates:
                if os.path.exists(c):
                    sub_dir = (
                        os.path.dirname(c)
                        if c.endswith("mod.rs")
                        else os.path.join(dir_for_children, name)
                    )
                    visit(child, c, sub_dir)
                    break

    for top in ("lib.rs", "main.rs"):
        f = os.path.join(root, top)
        if os.path.exists(f) and () not in found:
            visit((), f, root)
    return found


def edges_of(found):
    edges = {m: {} for m in found}
    names = set(found)
    for mod, file in found.items():
        text = strip_cfg_test(strip_comments(open(file, encoding="utf-8").read()))
        children = {p[-1] for p in names if len(p) == len(mod) + 1 and p[: len(mod)] == mod}
        for lineno, line in enumerate(text.splitlines(), 1):
            targets = []
            for m in re.finditer(r"\bcrate((?:::\w+)+)", line):
                targets.append(tuple(m.group(1).split("::")[1:]))
            for m in re.finditer(r"\b((?:super::)+)((?:\w+::)*\w+)", line):
                ups = m.group(1).count("super::")
                base = mod[: len(mod) - ups] if ups <= len(mod) else ()
                targets.append(base + tuple(m.group(2).split("::")))
            for m in re.finditer(r"(?<![\w:])(?:self::)?(\w+)::", line):
                if m.group(1) in children:
                    targets.append(mod + (m.group(1),))
            # `use x::{a, b}` groups: `use crate::{a, b::c}` names several modules.
            for m in re.finditer(r"\bcrate::\{([^}]*)\}", line):
                for part in m.group(1).split(","):
                    part = part.strip()
                    if part:
                        targets.append(tuple(part.split("::")))
            for t in targets:
                # The longest prefix of the path that is a module.
                best = None
                for n in range(len(t), 0, -1):
                    if t[:n] in names:
                        best = t[:n]
                        break
                if best is None or best == mod:
                    continue
                # A module naming its own ancestor's item through `super` is an import of the
                # ancestor; naming a descendant is an import of that descendant.
                edges[mod].setdefault(best, (file, lineno, line.strip()))
    return edges


def sccs(edges):
    index = {}
    low = {}
    stack = []
    on = set()
    out = []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
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

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            strong(v)
    return out


def name(path):
    return "::".join(path) or "crate"


def inside(a, b):
    """`a` is `b` or lies inside it."""
    return a[: len(b)] == b


def sibling_graphs(found, edges):
    """Per parent: its children, each with its subtree, and the imports between them."""
    parents = {m[:-1] for m in found if m}
    for parent in sorted(parents):
        kids = sorted(m for m in found if len(m) == len(parent) + 1 and m[:-1] == parent)
        graph = {k: {} for k in kids}
        for a, targets in edges.items():
            ka = next((k for k in kids if inside(a, k)), None)
            if ka is None:
                continue
            for b, where in targets.items():
                kb = next((k for k in kids if inside(b, k)), None)
                if kb is not None and kb != ka:
                    graph[ka].setdefault(kb, (name(a), name(b)) + where)
        yield parent, graph


def main(args):
    strict = "--strict" in args
    roots = [a for a in args if a != "--strict"] or ["src", "core/src"]
    bad = 0
    for root in roots:
        found = modules(root)
        edges = edges_of(found)
        if strict:
            graphs = [((), {m: {b: (name(m), name(b)) + w for b, w in t.items()} for m, t in edges.items()})]
        else:
            graphs = list(sibling_graphs(found, edges))
        for parent, graph in graphs:
            for comp in sccs(graph):
                if len(comp) < 2:
                    continue
                bad += 1
                members = set(comp)
                print(f"{root}: cycle among {', '.join(sorted(name(m) for m in comp))}")
                for a in sorted(comp):
                    for b, (src, dst, file, lineno, line) in sorted(graph[a].items()):
                        if b in members:
                            print(f"  {src} -> {dst}  ({file}:{lineno}: {line[:80]})")
        print(f"{root}: {len(found)} modules, {sum(len(e) for e in edges.values())} imports")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
