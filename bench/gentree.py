#!/usr/bin/env python3
"""Generate a deterministic, cache-like tree for the benchmarks.

    gentree.py DIR --size 500M [--seed 7]

The same seed and size always give the same bytes, names, modes and mtimes. At 500 MiB the tree
holds about 20,000 small text/source files, a few hundred medium files and a few incompressible
binaries; every count scales linearly with --size, so the 2 GiB variant is four of those.

Layout (the mounts the benchmark caches):
  node_modules/  ~75 % of the small files: js/json/md/d.ts text, many small directories
  src/           ~25 % of the small files: C++/Java-like sources
  .gradle/       medium files (jar-like: low-entropy binary with text mixed in) + some binaries
  target/        medium text files (logs, maps, generated sources) + incompressible binaries
Byte mix at 500 MiB: ~130 MiB small text, ~310 MiB medium, ~60 MiB random; zstd -3 makes ~3.5x.
"""

import argparse
import os
import random
import sys

MiB = 1024 * 1024
WORDS = ("the of and to in is it for on that with as this function return const var let import export "
         "from default class public private static void int string number boolean null undefined true false "
         "if else while for switch case break continue new delete typeof instanceof module require exports "
         "package lodash react webpack babel config options value key index length push map filter reduce "
         "error warning debug info log console process env path fs http server client request response "
         "promise async await then catch finally object array buffer stream event emitter listener").split()
PUNCT = [" ", " ", " ", " ", ", ", ".\n", ";\n", "(", ")", " = ", " {\n  ", "\n}\n", ": ", "\n"]


def parse_size(text):
    text = text.strip().upper().rstrip("B").rstrip("I")
    factor = 1
    if text and text[-1] in "KMGT":
        factor = 1024 ** ("KMGT".index(text[-1]) + 1)
        text = text[:-1]
    return int(float(text) * factor)


def text_pool(rng, size):
    """A pool of pseudo-source text; files are slices of it with their own header.

    Lines are drawn from a vocabulary of a few thousand lines with small edits, so the text
    compresses about like real sources do (zstd -3 ~4-5x), not like random words (~2x)."""
    lines = []
    for _ in range(3000):
        indent = "  " * rng.randrange(4)
        n = rng.randint(2, 10)
        body = "".join(rng.choice(WORDS) + rng.choice(PUNCT[:6]) for _ in range(n)).rstrip("\n")
        lines.append(indent + body + "\n")
    parts = []
    total = 0
    while total < size:
        line = lines[int(rng.paretovariate(0.9)) % len(lines)] if rng.random() < 0.7 else rng.choice(lines)
        if rng.random() < 0.08:
            line = line.rstrip("\n") + " // " + str(rng.randrange(100000)) + "\n"
        parts.append(line)
        total += len(line)
    return "".join(parts).encode()[:size]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir")
    parser.add_argument("--size", default="500M")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    target = parse_size(args.size)
    scale = target / (500 * MiB)
    rng = random.Random(args.seed)
    root = args.dir
    os.makedirs(root, exist_ok=True)

    pool = text_pool(rng, 24 * MiB)
    base_mtime = 1_700_000_000
    stats = {"files": 0, "bytes": 0, "dirs": 0}

    def write(path, data, mode=0o644):
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        os.chmod(full, mode)
        t = base_mtime + rng.randrange(10_000_000)
        os.utime(full, (t, t))
        stats["files"] += 1
        stats["bytes"] += len(data)

    def text_slice(n, header):
        off = rng.randrange(0, len(pool) - n) if n < len(pool) else 0
        body = pool[off:off + n]
        return (header.encode() + body)[:n] if n > len(header) else header.encode()[:n]

    # Small files: ~20,000 at 500 MiB, ~6.5 KiB mean (log-normal-ish: many tiny, a few 100 KiB).
    n_small = max(50, int(20_000 * scale))
    small_budget = int(130 * MiB * scale)
    sizes = [min(200_000, max(10, int(rng.lognormvariate(8.0, 1.3)))) for _ in range(n_small)]
    factor = small_budget / max(1, sum(sizes))
    sizes = [max(1, int(s * factor)) for s in sizes]
    n_pkgs = max(5, n_small // 60)
    for i, size in enumerate(sizes):
        if i % 4 == 3:
            path = f"src/main/module{i % 97:02d}/pkg{(i // 97) % 23:02d}/File{i:06d}." + rng.choice(["cpp", "h", "java", "kt"])
        else:
            pkg = rng.randrange(n_pkgs)
            sub = rng.choice(["", "lib/", "dist/", "lib/internal/", "src/", "types/"])
            ext = rng.choice(["js", "js", "js", "json", "md", "d.ts", "map"])
            path = f"node_modules/pkg-{pkg:05d}/{sub}f{i:06d}.{ext}"
        write(path, text_slice(size, f"// {path} seed {args.seed}\n"), 0o755 if i % 50 == 0 else 0o644)

    # Medium files: a few hundred, 200 KiB-2 MiB; half text (logs, maps), half jar-like binary.
    n_medium = max(4, int(300 * scale))
    medium_budget = int(310 * MiB * scale)
    msizes = [rng.randint(200 * 1024, 2 * MiB) for _ in range(n_medium)]
    factor = medium_budget / sum(msizes)
    msizes = [int(s * factor) for s in msizes]
    for i, size in enumerate(msizes):
        if i % 2 == 0:
            # Text: concatenated slices of the pool (compresses like real generated sources).
            out = bytearray()
            while len(out) < size:
                n = min(size - len(out), rng.randint(4096, 65536))
                out += text_slice(n, f"/* chunk {i}:{len(out)} */\n")
            write(f"target/generated/part{i // 40:02d}/gen{i:04d}.txt", bytes(out))
        else:
            # Jar-like: runs of low-entropy bytes, text and a little randomness (~3x compressible).
            out = bytearray()
            while len(out) < size:
                kind = rng.random()
                n = min(size - len(out), rng.randint(1024, 32768))
                if kind < 0.2:
                    out += rng.randbytes(n)
                elif kind < 0.7:
                    out += text_slice(n, "")
                else:
                    alphabet = rng.randbytes(8)
                    out += bytes(alphabet[b & 7] for b in rng.randbytes(n))
            write(f".gradle/caches/modules-2/files-2.1/g{i % 31:02d}/art{i:04d}.jar", bytes(out))

    # Incompressible binaries: ~60 MiB in a few files (native libs, images, pre-compressed data).
    random_budget = int(60 * MiB * scale)
    n_bin = max(2, int(10 * scale))
    for i in range(n_bin):
        size = random_budget // n_bin
        write(f"target/bin/blob{i:03d}.bin" if i % 2 else f".gradle/native/lib{i:03d}.so", rng.randbytes(size),
              0o755)

    # A few symlinks and empty directories, like node_modules/.bin.
    for i in range(min(50, n_pkgs)):
        link = os.path.join(root, f"node_modules/.bin/tool{i:03d}")
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if not os.path.lexists(link):
            os.symlink(f"../pkg-{i:05d}/lib", link)
    for i in range(20):
        os.makedirs(os.path.join(root, f"target/empty/e{i:02d}"), exist_ok=True)

    # Directory mtimes last, so they are deterministic too.
    for dirpath, dirnames, _ in os.walk(root):
        os.utime(dirpath, (base_mtime, base_mtime))
        stats["dirs"] += 1
    print(f"generated {stats['files']} files, {stats['dirs']} directories, "
          f"{stats['bytes'] / MiB:.1f} MiB in {root}", file=sys.stderr)


if __name__ == "__main__":
    main()
