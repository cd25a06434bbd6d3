#!/usr/bin/env python3
"""Generate a Promela model of mapihang's machinery AS IMPLEMENTED, for one scenario and variant.

Usage: gen.py SCENARIO.json VARIANT > model.pml      (VARIANT: original | fixed)

What is modelled, and where it comes from (read docs/performance.md, "SPIN on the same model"):

- core/src/mapi.rs: logon (logon_arming, Arming::AtCreation), release_store, logoff (two
  critical sections: disconnect+remove, then request_stop), poll (wake_event lock, then per poll:
  see_stop, search, wait on the wake event), search_locked (find_own_list, take_work, signal the
  work's events after the lock is dropped, or quit).
- core/src/mapi/table.rs: each critical section's effect; wakes() sets the wake event of every
  poller record that has not exited (every poller is armed at creation).
- core/src/sim/mod.rs: a poller's wake event is auto-reset (create_event(false)), a release's
  event is manual-reset (create_event(true)); a wait on a set event is no scheduling point, a
  wait on an unset one blocks until a set; a stall is every model thread blocked.
- core/src/engine/app.rs: a thread's ops in order, then its implicit cleanup (release its open
  stores newest first, then log off its sessions newest first); logoff releases the session's open
  stores first. Ops with no Shm lock (impersonate, revert, open_store) are no scheduling point and
  are folded into the thread's local (static) state here. `repeat` is expanded inline. `spawn`
  (a thread declared "spawned": true; not started by init) is `run` at that point: shuttle's
  thread spawn takes no scheduling point, so the run is placed inside the atomic of the thread's
  current step (its last Shm step, or a start step of its own when nothing came before). `join`
  is a wait on the joined thread's manual-reset done event, which that thread sets in its last
  step (ThreadDone after the implicit cleanup): a guard `tdone[w]` in the same atomic, so a
  finished thread is joined in the same step and an unfinished one ends the step there (the
  joiner goes on when it is set, through the ops up to its next scheduling point).
- core/src/variant/: original keys lists by CRC32(binary SID) and a poller takes the only list
  when there is exactly one, else the list keyed by its own thread user's key (the process user:
  PollerToken::Process); fixed keys by the full SID and a poller takes its bound list (and quits
  when the table no longer has it). Both: QuitSilently, ReleaseWait::Infinite, OnDeadPoller::Wait.

Every Shm lock (mapi.table()) is one `atomic { }` (one scheduling point, then the critical
section and the code after it up to the next scheduling point). A wait is a blocking guard; a
poller's wait closes the atomic of its search, so a wake event already set is consumed in the same
step, as in shuttle (no scheduling point when the event is set).

Invariant poller-signals: no end state with an application thread blocked in a release (SPIN's
invalid end states; the poller's idle wait carries an `end` label, as mapihang judges a stall of
idle pollers alone as no-leak, not poller-signals). With -DCHK_OWNS, poller-owns-list as
monitor.rs judge_ownership; with -DCHK_ISO, list-isolation as judge_isolation; with -DCHK_LEAK,
the idle wait loses its end label, so an end state with a poller left idle is invalid too (the
leak half of no-leak: with every thread finished, no list can remain). With -DBUDGET,
the poll budget (polls_max = 4 * total ops + 16, engine/app.rs) is modelled exactly (a per-poller
poll counter and the `exhausted` critical section); without it, it is left out (never reached:
see the argument in docs/performance.md, and the BUDGET run's assertion).

-DCOARSE is NOT mapihang's machinery: a coarser model for comparison only (a poller sees its stop
request and searches in one step, logoff removes the list and requests the stop in one step, no
separate wake_event step), to measure what this granularity costs SPIN.
"""

import json
import sys
import zlib


def sid_bytes(text):
    parts = text.split("-")
    assert parts[0] == "S"
    rev = int(parts[1])
    auth = int(parts[2])
    subs = [int(x) for x in parts[3:]]
    out = bytes([rev, len(subs)]) + auth.to_bytes(8, "big")[2:]
    for s in subs:
        out += s.to_bytes(4, "little")
    return out


def main():
    scenario = json.load(open(sys.argv[1], encoding="utf-8-sig"))
    variant = sys.argv[2]
    assert variant in ("original", "fixed")
    names = scenario.get("users", {})
    process = scenario.get("process_user", "S-1-5-18")
    threads = scenario["threads"]

    def resolve(u):
        return names.get(u, u)

    users = [process]  # interned like sim: process first

    def intern(sid):
        if sid not in users:
            users.append(sid)
        return users.index(sid)

    def expand(ops):
        out = []
        for op in ops:
            if isinstance(op, dict) and "repeat" in op:
                for _ in range(op["repeat"]):
                    out.extend(expand(op["ops"]))
            else:
                out.append(op)
        return out

    expanded = [expand(t["ops"]) for t in threads]
    spawned = [bool(t.get("spawned", False)) for t in threads]
    tnames = [t.get("name", f"T{i+1}") for i, t in enumerate(threads)]

    def thread_of(name):  # scenario.thread_index: by display name
        assert name in tnames, f"no thread named {name}"
        return tnames.index(name)

    joined = set()  # threads some thread joins: only they need a done flag
    for ops in expanded:
        for op in ops:
            if isinstance(op, dict):
                assert len(op) == 1 and list(op)[0] in ("impersonate", "spawn", "join"), f"unsupported op {op}"
                if "impersonate" in op:
                    intern(resolve(op["impersonate"]))
                elif "spawn" in op:
                    assert spawned[thread_of(op["spawn"])], f"spawn of a thread not marked spawned: {op}"
                else:
                    joined.add(thread_of(op["join"]))
            else:
                assert op in ("logon", "open_store", "release_store", "logoff", "revert"), op
    ops_total = sum(len(o) for o in expanded)
    polls_max = 4 * ops_total + 16

    # List keys as small integers: equal keys, equal integers.
    def key_of(u):
        sid = users[u]
        return ("crc", zlib.crc32(sid_bytes(sid))) if variant == "original" else ("sid", sid)

    keys = []

    def key_id(u):
        k = key_of(u)
        if k not in keys:
            keys.append(k)
        return keys.index(k) + 1

    kproc = key_id(0)

    nthreads = len(threads)
    nlogons = sum(1 for ops in expanded for op in ops if op == "logon")
    NL = max(nlogons, 1)  # list ids are never reused: at most one list per logon
    NP = NL  # one poller per list created (no respawn in these variants)

    body = {}  # thread index -> list of Promela lines
    maxslots = 1
    label = [0]

    def fresh(prefix):
        label[0] += 1
        return f"{prefix}_{label[0]}"

    class Step:
        """One scheduling step of a thread as emitted: the code that follows it up to the next
        scheduling point with no scheduling point of its own (spawn, a join whose thread has
        finished, the done flag at the thread's end) is its tail, placed inside its atomic."""

        def __init__(self):
            self.tail = []

    def tailed(step, render):
        # a line that depends on its step's tail: render(None) when it has none
        return (step, render)

    for t, ops in enumerate(expanded):
        lines = []
        user = 0
        sessions = []  # stack of slot numbers (open sessions, newest last)
        stores = []  # stack of session slots (open stores, newest last)
        nslot = [0]
        # The thread's start is a step of its own only when it has a tail (a spawn or join
        # before its first Shm lock); otherwise it is folded in, as before.
        cur = [Step()]
        lines.append(tailed(cur[0], lambda tl: None if tl is None else f"  atomic {{ {tl} }};"))

        def release(slot):
            step = cur[0] = Step()
            a = f"RELEASE(s{slot}, {t})"
            # a tail goes after the release returns: RELEASE's two atomics nested in one (its
            # wait's guard is never true right after its queue step, so no state changes)
            lines.append(tailed(step, lambda tl, a=a: f"  {a};" if tl is None else f"  atomic {{ {a}; {tl} }};"))

        def logoff(slot):
            # release this session's own open stores first, newest first
            for i in range(len(stores) - 1, -1, -1):
                if stores[i] == slot:
                    release(slot)
                    del stores[i]
            after = fresh("off")
            l = f"s{slot}"
            step = cur[0] = Step()
            lines.append("  atomic {  /* logoff, step 1: disconnect; an empty list is removed (+ wakes); else return */")
            lines.append(f"    lconn[{l}]--;")
            lines.append("    if")
            lines.append(f"    :: lconn[{l}] == 0 ->")
            lines.append(f"       lex[{l}] = false; lkey[{l}] = 0; lwork[{l}] = 0; stopp = lown[{l}]; lown[{l}] = 0;")
            lines.append("       WAKES; H(stopp);")
            lines.append(f"       printf(\"MSC: T{t+1} logoff: list %d removed\\n\", {l})")
            lines.append("#ifdef COARSE")
            lines.append(tailed(step, lambda tl, after=after: f"       ; pstop[stopp] = true; WAKES; stopp = 0; {'' if tl is None else tl + '; '}goto {after}"))
            lines.append("#endif")
            lines.append(tailed(step, lambda tl, after=after, l=l: f"    :: else -> printf(\"MSC: T{t+1} logoff: list %d keeps connections\\n\", {l}); {l} = 0; {'' if tl is None else tl + '; '}goto {after}"))
            lines.append("    fi")
            lines.append("  };")
            lines.append(tailed(step, lambda tl: f"  LOGOFF2({t});" if tl is None else f"  atomic {{ LOGOFF2({t}); {tl} }};"))
            lines.append(f"{after}: s{slot} = 0;")

        for op in ops:
            if isinstance(op, dict) and "spawn" in op:
                # no scheduling point (shuttle's spawn takes none): part of the current step
                w_ = thread_of(op["spawn"])
                cur[0].tail.append(f"run T{w_}(); printf(\"MSC: T{t+1} spawns T{w_+1}\\n\")")
            elif isinstance(op, dict) and "join" in op:
                # a wait on the joined thread's manual-reset done event: no scheduling point when
                # set, else the step ends here and the thread goes on when it is set
                j_ = thread_of(op["join"])
                cur[0].tail.append(f"tdone[{j_}]; printf(\"MSC: T{t+1} joined T{j_+1}\\n\")")
            elif isinstance(op, dict):
                user = intern(resolve(op["impersonate"]))
            elif op == "revert":
                user = 0
            elif op == "logon":
                slot = nslot[0]
                nslot[0] += 1
                sessions.append(slot)
                step = cur[0] = Step()
                a = f"LOGON(s{slot}, {key_id(user)}, {user}, {t})"
                lines.append(tailed(step, lambda tl, a=a: f"  {a};" if tl is None else f"  atomic {{ {a}; {tl} }};"))
            elif op == "open_store":
                if sessions:
                    stores.append(sessions[-1])
            elif op == "release_store":
                if stores:
                    release(stores.pop())
            elif op == "logoff":
                if sessions:
                    logoff(sessions.pop())
        # implicit cleanup
        while stores:
            release(stores.pop())
        while sessions:
            logoff(sessions.pop())
        if t in joined:
            # ThreadDone, then set_event(done): in the thread's last step
            cur[0].tail.append(f"tdone[{t}] = true")
        rendered = []
        for item in lines:
            if isinstance(item, tuple):
                step, render = item
                item = render("; ".join(step.tail) if step.tail else None)
                if item is None:
                    continue
            rendered.append(item)
        lines = rendered
        maxslots = max(maxslots, nslot[0])
        body[t] = (lines, nslot[0])

    out = []
    w = out.append
    w(f"/* Generated by scripts/spin/gen.py from examples/scenarios/{sys.argv[1].rsplit('/', 1)[-1]}, variant {variant}. */")
    w(f"/* users (0 = process): {users} */")
    w(f"/* list keys: {[k[0] + ':' + (hex(k[1]) if k[0] == 'crc' else k[1]) for k in keys]} */")
    w(f"#define NT {nthreads}")
    w(f"#define NL {NL}")
    w(f"#define NP {NP}")
    w(f"#define KPROC {kproc}")
    w(f"#define POLLS_MAX {polls_max}")
    w("")
    w("/* the table: lists (ids 1..NL, in creation order, never reused) */")
    w("bool lex[NL+1];  /* in the table */")
    w("byte lkey[NL+1];")
    w("byte lconn[NL+1]; /* connections */")
    w("byte lwork[NL+1]; /* pending releases: bit t = thread t's release */")
    w("byte lown[NL+1];  /* owner poller */")
    w("byte nlists;      /* lists_created */")
    w("/* the poller records (ids 1..NP) */")
    w("byte npollers;")
    w("bool pstop[NP+1];")
    w("bool pexit[NP+1];")
    w("bool pwake[NP+1]; /* each poller's wake event: auto-reset */")
    w("/* each application thread's current release event: manual-reset, fresh per release */")
    w("bool rel[NT];")
    if joined:
        w("/* each joined thread's finished event (manual-reset): set in its last step, after its cleanup */")
        w("bool tdone[NT];")
    w("#if defined(CHK_OWNS) || defined(CHK_ISO)")
    w("byte luser[NL+1];  /* ghost: the user whose logon created the list (the log's list-created) */")
    w("#endif")
    w("#ifdef HIST")
    w("/* -DHIST, an estimate of what the log and the ids add to a fingerprint (not for verdicts):")
    w("   ids of events, sessions and stores in creation order, each actor's log as a hash */")
    w("byte nev; byte nses; byte nsto; byte pwid[NP+1]; byte stid[NT];")
    w("#define H(x) hh = (hh * 31 + (x)) % 65521")
    w("#define HL(x) H(x)")
    w("#else")
    w("#define H(x) skip")
    w("#define HL(x) skip")
    w("#endif")
    w("#ifdef CHK_OWNS")
    w("byte waited[NT];   /* ghost: the poller the release waits for (the log's release-wait) */")
    w("#endif")
    w("")
    # WAKES: every poller record that has not exited.
    wakes = " ".join(
        f"if :: (npollers >= {q} && !pexit[{q}]) -> pwake[{q}] = true :: else -> skip fi;"
        for q in range(1, NP + 1)
    )
    w(f"#define WAKES {wakes}")
    w("")
    # find_by_key, first match in filing order
    find = " ".join(
        f"if :: (l == 0 && lex[{i}] && lkey[{i}] == k) -> l = {i} :: else -> skip fi;"
        for i in range(1, NL + 1)
    )
    w("/* logon: find_by_key; create_list_with_poller (+ wakes, start_poller) when none; connect */")
    w("inline LOGON(l, k, u, t) {")
    w("  atomic {")
    w(f"    {find}")
    w("    if")
    w("    :: l == 0 ->")
    w("       npollers++; nlists++; l = nlists;")
    w("       lex[l] = true; lkey[l] = k; lown[l] = npollers;")
    w("#if defined(CHK_OWNS) || defined(CHK_ISO)")
    w("       luser[l] = u;")
    w("#endif")
    w("       lconn[l]++;")
    w("       WAKES;")
    w("#ifdef HIST")
    w("       nev++; pwid[npollers] = nev; H(npollers);")
    w("#endif")
    w("       run poller(npollers, l);")
    w("       printf(\"MSC: T%d logon (user %d): list %d created, poller P%d started\\n\", t+1, u, l, npollers)")
    w("    :: else ->")
    w("#ifdef CHK_ISO")
    w("       assert(luser[l] == u); /* list-isolation */")
    w("#endif")
    w("       lconn[l]++;")
    w("       printf(\"MSC: T%d logon (user %d): joins list %d\\n\", t+1, u, l)")
    w("    fi;")
    w("#ifdef HIST")
    w("    nses++; H(nses); H(l);")
    w("#endif")
    w("    skip")
    w("  }")
    w("}")
    w("")
    w("/* release_store: queue_release (+ wakes); wait INFINITE on a fresh manual-reset event */")
    w("inline RELEASE(l, t) {")
    w("  atomic {")
    w("    lwork[l] = lwork[l] | (1 << t);")
    w("#ifdef HIST")
    w("    nsto++; stid[t] = nsto; nev++; H(nsto); H(nev); H(lown[l]);")
    w("#endif")
    w("#ifdef CHK_OWNS")
    w("    waited[t] = lown[l];")
    w("#endif")
    w("    WAKES;")
    w("    printf(\"MSC: T%d release: queued on list %d (poller P%d), waits\\n\", t+1, l, lown[l])")
    w("  };")
    w("  atomic { rel[t] -> rel[t] = false;   /* returns; the event is dead from here */")
    w("    printf(\"MSC: T%d release returns\\n\", t+1);")
    w("    H(stid[t]);")
    w("#ifdef CHK_OWNS")
    w("    waited[t] = 0")
    w("#endif")
    w("  }")
    w("}")
    w("")
    w("/* logoff, step 2: request_stop of the removed list's poller (+ wakes) */")
    w("inline LOGOFF2(t) {")
    w("  atomic { pstop[stopp] = true; WAKES; printf(\"MSC: T%d logoff: stop requested for P%d\\n\", t+1, stopp); stopp = 0 }")
    w("}")
    w("")
    # poller
    cnt_all = " + ".join(f"lex[{i}]" for i in range(1, NL + 1))
    if variant == "original":
        cnt = " + ".join(f"lex[{i}]" for i in range(1, NL + 1))
        only = " ".join(f"if :: lex[{i}] -> l = {i} :: else -> skip fi;" for i in range(1, NL + 1))
        keyed = " ".join(
            f"if :: (l == 0 && lex[{i}] && lkey[{i}] == KPROC) -> l = {i} :: else -> skip fi;"
            for i in range(1, NL + 1)
        )
        w("/* original find_own_list: the only list when there is exactly one, else the list keyed by")
        w("   the poller's own thread user (the process user: PollerToken::Process) */")
        w(f"#define FIND if :: ({cnt}) == 1 -> {only} :: else -> {keyed} fi")
    else:
        w("/* fixed find_own_list: the bound list (then filtered by has_list) */")
        w("#define FIND if :: lex[bl] -> l = bl :: else -> skip fi")
    signal = " ".join(
        f"if :: (lwork[l] & {1 << t}) -> OWNS({t}); H(stid[{t}]); rel[{t}] = true :: else -> skip fi;"
        for t in range(nthreads)
    )
    w("#ifdef CHK_OWNS")
    w("/* judge_ownership: a poller's work on another user's list, unless the release waited for it */")
    w("#define OWNS(t) assert(luser[bl] == luser[l] || waited[t] == p)")
    w("#else")
    w("#define OWNS(t) skip")
    w("#endif")
    w("")
    w("proctype poller(byte p; byte bl) {")
    w("  byte l;")
    w("#ifdef HIST")
    w("  int hh; byte lf;")
    w("#endif")
    w("#ifdef BUDGET")
    w("  byte polls;")
    w("#endif")
    w("#ifndef COARSE")
    w("  skip;  /* mapi.table().wake_event(me): a Shm lock that touches nothing */")
    w("#endif")
    w("  do")
    w("  :: atomic {")
    w("#ifdef BUDGET")
    w("       if")
    w("       :: polls == POLLS_MAX -> printf(\"MSC: P%d exhausted\\n\", p); pexit[p] = true; pwake[p] = false; goto done  /* exhausted */")
    w("       :: else -> skip")
    w("       fi;")
    w("#endif")
    w("       if  /* see_stop */")
    w("       :: pstop[p] -> printf(\"MSC: P%d stopped\\n\", p); pexit[p] = true; pwake[p] = false; goto done  /* poller-stopped */")
    w("       :: else -> skip")
    w("       fi;")
    w("#ifndef COARSE")
    w("     };")
    w("     atomic {  /* search */")
    w("#endif")
    w("       FIND;")
    w("       if")
    w("       :: l != 0 ->  /* take_work, then (lock dropped, same step) signal each release */")
    w(f"          {signal}")
    w("          printf(\"MSC: P%d search: takes list %d, work %d\\n\", p, l, lwork[l]);")
    w("#ifdef HIST")
    w(f"          if :: lf != l -> lf = l; H(l * 8 + {cnt_all}) :: else -> skip fi;")
    w("#endif")
    w("          lwork[l] = 0; l = 0")
    w("       :: else -> printf(\"MSC: P%d search: no list of its own, quits\\n\", p); pexit[p] = true; pwake[p] = false; goto done  /* poller-quit, silently */")
    w("       fi;")
    w("#ifdef BUDGET")
    w("       polls++;")
    w("       assert(polls < POLLS_MAX);  /* the budget is never what ends a poller */")
    w("#endif")
    w("#ifdef CHK_LEAK")
    w("idle:      /* no end label: a poller left idle at the end is an invalid end state (no-leak) */")
    w("#else")
    w("end_idle:")
    w("#endif")
    w("       pwake[p];  /* wait for a table change: consumed at once when set, else blocks */")
    w("       pwake[p] = false")
    w("     }")
    w("  od;")
    w("done: skip")
    w("}")
    w("")
    for t in range(nthreads):
        lines, nslots = body[t]
        w(f"proctype T{t}() {{  /* {threads[t].get('name', f'T{t+1}')}: {json.dumps(expanded[t])} */")
        for k in range(nslots):
            w(f"  byte s{k};  /* session {k}: its list */")
        w("#ifdef HIST")
        w("  int hh;")
        w("#endif")
        w("  byte stopp;  /* logoff: the removed list's poller, between its two steps */")
        w("\n".join(lines) if lines else "  skip;")
        w("}")
        w("")
    w("init {")
    w("  atomic { " + " ".join(f"run T{t}();" for t in range(nthreads) if not spawned[t]) + " }")
    w("}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
