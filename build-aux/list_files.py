#!/usr/bin/env python3
"""Configure-time file lister for meson.build (meson has no globbing).

Prints the files under ROOT whose names end with --suffix, one per line,
as POSIX paths relative to ROOT (optionally prefixed with --prefix), sorted.

  --exclude-dir NAME   skip any directory with this name (at any depth)
  --exclude-path REL   skip this path (relative to ROOT) and everything below
"""
import argparse
import os
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument('root')
    ap.add_argument('--suffix', required=True)
    ap.add_argument('--prefix', default='')
    ap.add_argument('--exclude-dir', action='append', default=[])
    ap.add_argument('--exclude-path', action='append', default=[])
    args = ap.parse_args()

    root = os.path.abspath(args.root)
    excluded_paths = {p.strip('/') for p in args.exclude_path}
    found = []
    if os.path.isdir(root):
        for dirpath, dirnames, filenames in os.walk(root):
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, '/')
            rel_dir = '' if rel_dir == '.' else rel_dir
            keep = []
            for d in dirnames:
                rel = f'{rel_dir}/{d}' if rel_dir else d
                if d in args.exclude_dir or rel in excluded_paths or d.startswith('.'):
                    continue
                keep.append(d)
            dirnames[:] = keep
            for f in filenames:
                if f.endswith(args.suffix) and not f.startswith('.'):
                    rel = f'{rel_dir}/{f}' if rel_dir else f
                    if rel not in excluded_paths:
                        found.append(args.prefix + rel)
    sys.stdout.write(''.join(f + '\n' for f in sorted(found)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
