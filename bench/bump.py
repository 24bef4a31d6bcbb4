#!/usr/bin/env python3
"""Apply a seeded "dependency bump" to a tree made by gentree.py, in place.

    bump.py DIR [--seed 1] [--fraction 0.01]

A lock-file bump replaces whole packages, so this does: it picks node_modules packages
(node_modules/pkg-NNNNN/) at random (seeded) and replaces each one by a "new version" until about
`fraction` of all files of the tree are touched:
  - ~70 % of the package's files keep their names and get new content (new version header, new
    text of about the same size),
  - ~15 % are removed,
  - as many new files as removed (and a few more) are added under new names;
plus one brand-new package (as many files as an average package) and one package removed
completely. Everything else (src/, .gradle/, target/, the other packages) is untouched, so the
changes sit at random places of the archive stream, not at its end. The same seed on the same tree
gives the same bytes (names, contents, modes, mtimes). Prints what it did as one JSON line.
"""

import argparse
import json
import os
import random
import shutil
import sys

WORDS = ("bump version release patch minor major feature fix refactor export import default function "
         "return const let var class extends async await promise resolve reject module require index "
         "options config value key map filter reduce push error warning debug stream buffer event").split()


def new_text(rng, size, header):
    out = [header]
    total = len(header)
    while total < size:
        line = "  " * rng.randrange(4) + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 10)))
        line += f" // {rng.randrange(1_000_000)}\n" if rng.random() < 0.2 else ";\n"
        out.append(line)
        total += len(line)
    return "".join(out).encode()[:max(1, size)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fraction", type=float, default=0.01)
    args = parser.parse_args()
    rng = random.Random(f"bump-{args.seed}")
    root = os.path.abspath(args.dir)
    nm = os.path.join(root, "node_modules")

    total_files = 0
    for dirpath, _, filenames in os.walk(root):
        total_files += sum(1 for f in filenames if not os.path.islink(os.path.join(dirpath, f)))
    packages = sorted(p for p in os.listdir(nm) if p.startswith("pkg-") and os.path.isdir(os.path.join(nm, p)))
    rng.shuffle(packages)
    budget = max(1, int(total_files * args.fraction))
    base_mtime = 1_710_000_000
    changed = added = removed = 0
    replaced = []

    def write(path, data, mode=0o644):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.remove(path)  # a new file, never written through an existing inode
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        t = base_mtime + rng.randrange(1_000_000)
        os.utime(path, (t, t))

    def package_files(pkg):
        out = []
        for dirpath, _, filenames in os.walk(os.path.join(nm, pkg)):
            out += [os.path.join(dirpath, f) for f in sorted(filenames)]
        return sorted(out)

    # One package removed completely, one added (a dependency swapped for another).
    gone = packages.pop()
    removed += len(package_files(gone))
    shutil.rmtree(os.path.join(nm, gone))
    sizes = [os.path.getsize(f) for p in packages[:20] for f in package_files(p)]
    mean_files = max(1, len(sizes) // 20)
    mean_size = max(16, sum(sizes) // max(1, len(sizes)))
    fresh = f"pkg-new-{args.seed:03d}"
    for i in range(mean_files):
        size = max(10, int(rng.lognormvariate(0, 1.0) * mean_size))
        write(os.path.join(nm, fresh, rng.choice(["", "lib/", "dist/"]), f"n{i:05d}.js"),
              new_text(rng, size, f"// {fresh} {i} seed {args.seed}\n"))
        added += 1

    # Whole packages replaced by new versions until the budget is spent.
    while changed + added + removed < budget and packages:
        pkg = packages.pop()
        files = package_files(pkg)
        replaced.append(pkg)
        version = f"{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}"
        for path in files:
            roll = rng.random()
            if roll < 0.15:
                os.remove(path)
                removed += 1
                continue
            if roll < 0.85:
                size = max(10, int(os.path.getsize(path) * rng.uniform(0.8, 1.25)))
                write(path, new_text(rng, size, f"// {os.path.relpath(path, root)} v{version}\n"))
                changed += 1
        for i in range(max(1, len(files) // 6)):
            write(os.path.join(nm, pkg, rng.choice(["", "lib/", "esm/"]), f"added{i:04d}.js"),
                  new_text(rng, max(10, int(rng.lognormvariate(0, 1.0) * mean_size)), f"// {pkg} v{version} +{i}\n"))
            added += 1
    # Directories the bump touched get its time; every other directory keeps its own.
    os.utime(nm, (base_mtime, base_mtime))
    for pkg in replaced + [fresh]:
        for dirpath, _, _ in os.walk(os.path.join(nm, pkg)):
            os.utime(dirpath, (base_mtime, base_mtime))
    print(json.dumps({"files_before": total_files, "changed": changed, "added": added, "removed": removed,
                      "touched_share": round((changed + added + removed) / total_files, 4),
                      "packages_replaced": len(replaced), "package_removed": gone, "package_added": fresh}))


if __name__ == "__main__":
    sys.exit(main())
