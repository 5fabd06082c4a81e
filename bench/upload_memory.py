"""Upload memory benchmark: peak RSS of checking a photo and making its thumbnails, as an upload does.

The picture is the classic small bomb: an 8900 x 8900 PNG of zeros (about 231 kB on disk, 79 MP).
Each run happens in a fresh child process, so its peak resident size (ru_maxrss) is the decode's own.
``--concurrent N`` runs N uploads at once in threads of that one process, ``--slots`` sets
max_concurrent_decodes, and ``--max-pixels`` overrides the pixel limit (80 million, the former
default, lets the bomb through to the decoder). ``--json`` prints the child's figures as JSON.

    PYTHONPATH=. python bench/upload_memory.py [--side 8900] [--mode RGB] [--concurrent 1] [--max-pixels N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

THUMBNAIL_SIDES = (320, 1280)


def child(side: int, mode: str, concurrent: int, max_pixels: int | None, slots: int | None) -> dict[str, object]:
    from ecogrid.core.settings import Settings
    from ecogrid.inspections.photos import images
    from tests.photo_bombs import zero_png

    settings = Settings()
    limit = max_pixels or settings.max_image_pixels
    decodes = slots or settings.max_concurrent_decodes
    data = zero_png(side, side, mode)
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcomes: list[str] = []
    most_at_once = 0
    done = threading.Event()

    def upload() -> None:
        try:
            images.inspect_image(data, max_bytes=settings.max_upload_bytes, max_pixels=limit,
                                 max_concurrent_decodes=decodes)
            images.make_thumbnails(data, sides=THUMBNAIL_SIDES, max_concurrent_decodes=decodes)
            outcomes.append("accepted")
        except images.ImageRejected as rejected:
            outcomes.append(f"refused: {rejected.reason}")

    def watch() -> None:
        nonlocal most_at_once
        while not done.is_set():
            most_at_once = max(most_at_once, images.decode_slots.busy)
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=upload) for _ in range(concurrent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"file_bytes": len(data), "pixels": side * side, "max_pixels": limit, "slots": decodes,
            "outcomes": sorted(set(outcomes)), "most_at_once": most_at_once,
            "baseline_mb": round(baseline_kb / 1024, 1), "peak_mb": round(peak_kb / 1024, 1),
            "decode_mb": round((peak_kb - baseline_kb) / 1024, 1)}


def measure(*, side: int = 8900, mode: str = "RGB", concurrent: int = 1, max_pixels: int | None = None,
            slots: int | None = None) -> dict[str, object]:
    """Run one measurement in a fresh interpreter and return its figures."""
    command = [sys.executable, __file__, "--child", "--side", str(side), "--mode", mode,
               "--concurrent", str(concurrent)]
    if max_pixels:
        command += ["--max-pixels", str(max_pixels)]
    if slots:
        command += ["--slots", str(slots)]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=8900)
    parser.add_argument("--mode", default="RGB", help="Pillow mode of the zero picture (RGB, RGBA, L)")
    parser.add_argument("--concurrent", type=int, default=1)
    parser.add_argument("--max-pixels", type=int, default=None)
    parser.add_argument("--slots", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.side, args.mode, args.concurrent, args.max_pixels, args.slots)))
        return
    result = measure(side=args.side, mode=args.mode, concurrent=args.concurrent, max_pixels=args.max_pixels,
                     slots=args.slots)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.side} x {args.side} {args.mode} zero PNG ({result['file_bytes'] / 1000:.0f} kB, "
          f"{result['pixels'] / 1e6:.1f} MP), limit {result['max_pixels']:,} px, {args.concurrent} at once, "
          f"{result['slots']} decode slot(s)")
    print(f"  outcome: {'; '.join(result['outcomes'])}; at most {result['most_at_once']} decoding at once")
    print(f"  peak RSS {result['peak_mb']} MB (baseline {result['baseline_mb']} MB, "
          f"decoding added {result['decode_mb']} MB)")


if __name__ == "__main__":
    main()
