#!/usr/bin/env python3
"""Counts Boost.Test test cases for scripts/test.

  tally.py add TALLY NAME RC REPORT_XML LOG_XML [BINARY]
      Reads one Boost.Test run: the XML report (--report_format=XML
      --report_level=detailed) and the XML log at level test_suite (which
      records every test case actually entered, and survives a crash).
      Appends "NAME passed failed skipped" to TALLY. Every <TestCase> of
      the report counts once (a data-driven case counts once per sample):
        - "skipped" (disabled, or a dependency failed) is skipped;
        - "passed" is passed, unless the log shows it never ran (Boost.Test
          stops the whole module after a fatal signal yet reports the cases
          it did not run as passed): then failed;
        - anything else (failed, aborted, timed out...) is failed.
      If the report is missing or unreadable (crash, exit(), timeout, build
      failure) every test case BINARY lists (--list_content) counts as
      failed, at least 1. If RC != 0 but no test case failed, 1 failure is
      added, so a failing run never reads as all-passed.
  tally.py sum TALLY [TALLY...]
      Prints the per-binary table to stderr and then exactly one line,
      "N passed, N failed", to stdout.
"""
import subprocess
import sys
import xml.etree.ElementTree as ET


def listed_cases(binary: str) -> int:
    """Number of test cases in BINARY's test tree (leaves of --list_content)."""
    try:
        out = subprocess.run([binary, '--list_content=HRF'], capture_output=True,
                             text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return 0
    lines = [l for l in (out.stderr + out.stdout).splitlines() if l.strip()]
    indent = [len(l) - len(l.lstrip()) for l in lines]
    return sum(1 for i in range(len(lines))
               if i + 1 == len(lines) or indent[i + 1] <= indent[i])


def entered_cases(log: str) -> set[tuple[str, ...]] | None:
    """Paths of the test cases the XML log shows as entered, or None when
    there is no log. A truncated log (crash) is read up to where it stops."""
    try:
        with open(log, 'rb') as f:
            data = f.read()
    except OSError:
        return None
    parser = ET.XMLPullParser(events=('start', 'end'))
    stack: list[str] = []
    entered: set[tuple[str, ...]] = set()
    try:
        parser.feed(data)
        for event, elem in parser.read_events():
            if elem.tag not in ('TestSuite', 'TestCase'):
                continue
            if event == 'start':
                stack.append(elem.get('name', '?'))
                if elem.tag == 'TestCase':
                    entered.add(tuple(stack[1:]))
            else:
                stack.pop()
    except ET.ParseError:
        pass
    return entered


def add(tally: str, name: str, rc: int, report: str, log: str, binary: str | None) -> None:
    passed = failed = skipped = 0
    failed_names: list[str] = []
    notes: list[str] = []
    entered = entered_cases(log)
    try:
        root = ET.parse(report).getroot()
        not_run = 0

        def walk(node, path):
            nonlocal passed, failed, skipped, not_run
            for child in node:
                if child.tag == 'TestSuite':
                    walk(child, path + [child.get('name', '?')])
                elif child.tag == 'TestCase':
                    case = tuple(path[1:] + [child.get('name', '?')])
                    result = child.get('result', '')
                    if result == 'passed' and entered is not None and case not in entered:
                        result = 'not run'
                        not_run += 1
                    if result == 'passed':
                        passed += 1
                    elif result == 'skipped':
                        skipped += 1
                    else:
                        failed += 1
                        failed_names.append('/'.join(case) + f' ({result or "no result"})')
        walk(root, [])
        if not_run:
            notes.append(f'{not_run} test case(s) never ran (the module stopped after a fatal error)')
    except (OSError, ET.ParseError) as e:
        n = listed_cases(binary) if binary else 0
        failed = max(1, n)
        notes.append(f'no usable report ({e.__class__.__name__}); '
                     f'counting {failed} listed test case(s) as failed')
    if rc != 0 and failed == 0:
        failed = 1
        notes.append(f'exit status {rc} but no failed test case in the report; counting 1 failure')
    with open(tally, 'a') as f:
        f.write(f'{name} {passed} {failed} {skipped}\n')
    status = 'OK' if failed == 0 else 'FAILED'
    print(f'[{name}] {status}: {passed} passed, {failed} failed, {skipped} skipped (exit {rc})',
          file=sys.stderr)
    for n in failed_names:
        print(f'[{name}]   failed: {n}', file=sys.stderr)
    for n in notes:
        print(f'[{name}]   {n}', file=sys.stderr)


def total(tallies: list[str]) -> None:
    passed = failed = 0
    rows = []
    for t in tallies:
        try:
            with open(t) as f:
                rows += [l.split() for l in f if l.strip()]
        except OSError:
            rows.append([t, '0', '1', '0'])  # a run that produced no tally at all
    for name, p, fl, s in rows:
        passed += int(p)
        failed += int(fl)
        print(f'  {name:<28} {p:>6} passed {fl:>5} failed {s:>5} skipped', file=sys.stderr)
    sys.stderr.flush()
    print(f'{passed} passed, {failed} failed', flush=True)


def main(argv: list[str]) -> int:
    if len(argv) >= 6 and argv[0] == 'add':
        add(argv[1], argv[2], int(argv[3]), argv[4], argv[5], argv[6] if len(argv) > 6 else None)
        return 0
    if len(argv) >= 2 and argv[0] == 'sum':
        total(argv[1:])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
