"""Peak memory of decoding a large upload in Home Assistant: a plain Pillow decode against
``imaging.decode_image`` and ``imaging.prepare_image``.

Each measurement runs in a fresh Python subprocess that loads Pillow and ``imaging.py`` (from its
file: it imports no Home Assistant), reads the image, resets its peak RSS to its current RSS
(``/proc/self/clear_refs``), decodes, and reports the peak RSS (``VmHWM``) and its growth over the
RSS before. (``resource.getrusage``'s ``ru_maxrss`` is not used: it also counts the memory of the
process that started it, at the time it started it.) The images are written to a temporary
directory first:

* ``jpeg40``: a baseline 40 MP (7744x5164) JPEG of smooth content, under 1 MB, as a phone takes
  it (the upload of the finding was a 868 KB 40 MP JPEG);
* ``progressive40``: the same as a progressive JPEG (refused before decoding: libjpeg would hold
  the coefficients of all 40 MP whatever the scale);
* ``png16``: a 4000x4000 PNG, at the 16 MP decode budget (the most a PNG may cost);
* ``progressive16``: a 4000x4000 progressive JPEG with full-resolution colour (4:4:4), the most a
  JPEG libjpeg cannot decode reduced may cost.

Methods: ``plain`` is ``Image.open(BytesIO(data)).convert("RGB")``; ``decode`` is
``with decode_image(data): pass``; ``prepare`` is ``prepare_image(data)`` (decode, resize to
4096 px at most, JPEG under 5 MB). The parallel runs start N threads at once in one process, as N
uploads at once in Home Assistant's executor: the new way with the 40 MP JPEG and with the
costliest images within the budget (``--parallel``, default 20; ``--parallel-old``,
default 4, for the old ways, which cost hundreds of MB each). ``--compare-with REV`` also measures
``prepare_image`` as it was at git revision REV.

Prints one JSON document to stdout. Run from the repository root (Linux only):
``.venv/bin/python -m benchmarks.ha_decode_memory [--parallel 20] [--parallel-old 4]
[--compare-with REV]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import subprocess
import sys
import tempfile
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "custom_components" / "smartshop" / "imaging.py"

# Runs in the subprocess: argv = image path, method, threads, imaging.py to load. The module is
# loaded from its file (it imports no Home Assistant), so the process holds Pillow and it alone.
_CHILD = r"""
import importlib.util, io, json, sys, threading, time
from pathlib import Path
from PIL import Image

path, method, threads, module_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
spec = importlib.util.spec_from_file_location("imaging_under_test", module_file)
imaging = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = imaging
spec.loader.exec_module(imaging)
data = open(path, "rb").read()


def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def plain():
    Image.open(io.BytesIO(data)).convert("RGB").close()


def decode():
    with imaging.decode_image(data):
        pass


def prepare():
    imaging.prepare_image(data)


work = {"plain": plain, "decode": decode, "prepare": prepare}[method]
outcome = []


def run():
    try:
        work()
        outcome.append("decoded")
    except imaging.ImageError as err:
        outcome.append(f"refused: {err}")


Image.MAX_IMAGE_PIXELS = None  # the plain decode as such, without Pillow's own bomb warning
Path("/proc/self/clear_refs").write_text("5")  # peak RSS := RSS now (imports are not counted)
before = status("VmRSS")
start = time.perf_counter()
pool = [threading.Thread(target=run) for _ in range(threads)]
for thread in pool:
    thread.start()
for thread in pool:
    thread.join()
seconds = time.perf_counter() - start
print(json.dumps({
    "rss_before_mb": round(before, 1),
    "peak_rss_mb": round(status("VmHWM"), 1),
    "peak_growth_mb": round(status("VmHWM") - before, 1),
    "seconds": round(seconds, 2),
    "outcome": sorted(set(outcome)),
}))
"""


def _gradient(width: int, height: int) -> Image.Image:
    red = np.broadcast_to(np.linspace(0, 255, width).astype(np.uint8), (height, width))
    green = np.broadcast_to(np.linspace(0, 255, height).astype(np.uint8)[:, None], (height, width))
    bands = [Image.fromarray(np.ascontiguousarray(band)) for band in (red, green)]
    return Image.merge("RGB", (*bands, Image.new("L", (width, height), 128)))


def write_images(folder: Path) -> dict[str, Path]:
    """The test images (see the module's description), by name."""
    paths = {name: folder / name for name in ("jpeg40", "progressive40", "png16", "progressive16")}
    big = _gradient(7744, 5164)
    big.save(paths["jpeg40"], "JPEG", quality=90)
    big.save(paths["progressive40"], "JPEG", quality=90, progressive=True)
    del big
    budget = _gradient(4000, 4000)
    budget.save(paths["png16"], "PNG", compress_level=1)
    budget.save(paths["progressive16"], "JPEG", quality=90, progressive=True, subsampling=0)
    return paths


def measure(path: Path, method: str, threads: int, module: Path) -> dict[str, Any]:
    """One fresh subprocess: decode ``path`` with ``method`` in ``threads`` threads at once."""
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), method, str(threads), str(module)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    measured: dict[str, Any] = json.loads(result.stdout)
    return measured


def module_at(revision: str, folder: Path) -> Path:
    """``imaging.py`` as it was at a git revision, written to ``folder``."""
    text = subprocess.run(
        ["git", "show", f"{revision}:{MODULE.relative_to(ROOT)}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = folder / "imaging_before.py"
    path.write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parallel", type=int, default=20, help="uploads at once for prepare (0: skip)"
    )
    parser.add_argument(
        "--parallel-old", type=int, default=4, help="uploads at once, old ways (0: skip)"
    )
    parser.add_argument("--compare-with", metavar="REV", help="also prepare_image as of REV")
    args = parser.parse_args()
    report: dict[str, Any] = {"single": {}, "parallel": {}}
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_images(Path(tmp))
        report["file_kb"] = {
            name: round(path.stat().st_size / 1024) for name, path in paths.items()
        }
        modules = {"": MODULE}
        if args.compare_with:
            modules[f" ({args.compare_with})"] = module_at(args.compare_with, Path(tmp))
        runs = [("jpeg40", "plain", "", 1)]
        for suffix in modules:
            runs += [("jpeg40", "decode", suffix, 1)] if not suffix else []
            runs += [(name, "prepare", suffix, 1) for name in paths]
        for name, method, suffix, threads in runs:
            key = f"{name}/{method}{suffix}"
            report["single"][key] = measure(paths[name], method, threads, modules[suffix])
        parallel = [("jpeg40", "plain", args.parallel_old)]
        parallel += [
            (name, "prepare", args.parallel) for name in ("jpeg40", "png16", "progressive16")
        ]
        for name, method, threads in parallel:
            if threads > 0:
                report["parallel"][f"{name}/{method} x{threads}"] = measure(
                    paths[name], method, threads, MODULE
                )
        if args.compare_with and args.parallel_old > 0:
            key = f"jpeg40/prepare ({args.compare_with}) x{args.parallel_old}"
            report["parallel"][key] = measure(
                paths["jpeg40"], "prepare", args.parallel_old, modules[f" ({args.compare_with})"]
            )
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
