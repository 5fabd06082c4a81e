"""Upload memory benchmark: peak RSS of checking a photo and making its thumbnails, as an upload does.

The picture is the classic small bomb: an 8900 x 8900 PNG of zeros (about 231 kB on disk, 79 MP).
Each run happens in a fresh child process, so its peak resident size (ru_maxrss) is the decode's own.
``--concurrent N`` runs N uploads at once in threads of that one process; ``--max-pixels`` overrides
the pixel limit (the old default, 80 million, lets the bomb through to the decoder).

    PYTHONPATH=. python bench/upload_memory.py [--side 8900] [--concurrent 1] [--max-pixels N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

THUMBNAIL_SIDES = (320, 1280)


def child(side: int, mode: str, concurrent: int, max_pixels: int | None) -> dict[str, object]:
    from ecogrid.photos import images
    from ecogrid.settings import Settings
    from tests.photo_bombs import zero_png

    settings = Settings()
    limit = max_pixels or settings.max_image_pixels
    data = zero_png(side, side, mode)
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcomes: list[str] = []

    def upload() -> None:
        try:
            images.inspect_image(data, max_bytes=settings.max_upload_bytes, max_pixels=limit)
            for side_px in THUMBNAIL_SIDES:
                images.make_thumbnail(data, max_side=side_px)
            outcomes.append("accepted")
        except images.ImageRejected as rejected:
            outcomes.append(f"refused: {rejected.reason}")

    threads = [threading.Thread(target=upload) for _ in range(concurrent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"file_bytes": len(data), "pixels": side * side, "max_pixels": limit, "outcomes": sorted(set(outcomes)),
            "baseline_mb": round(baseline_kb / 1024, 1), "peak_mb": round(peak_kb / 1024, 1),
            "decode_mb": round((peak_kb - baseline_kb) / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=8900)
    parser.add_argument("--mode", default="RGB", help="Pillow mode of the zero picture (RGB, RGBA, L)")
    parser.add_argument("--concurrent", type=int, default=1)
    parser.add_argument("--max-pixels", type=int, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.side, args.mode, args.concurrent, args.max_pixels)))
        return
    command = [sys.executable, __file__, "--child", "--side", str(args.side), "--mode", args.mode,
               "--concurrent", str(args.concurrent)]
    if args.max_pixels:
        command += ["--max-pixels", str(args.max_pixels)]
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    print(f"{args.side} x {args.side} {args.mode} zero PNG ({result['file_bytes'] / 1000:.0f} kB, "
          f"{result['pixels'] / 1e6:.1f} MP), limit {result['max_pixels']:,} px, {args.concurrent} at once")
    print(f"  outcome: {'; '.join(result['outcomes'])}")
    print(f"  peak RSS {result['peak_mb']} MB (baseline {result['baseline_mb']} MB, "
          f"decoding added {result['decode_mb']} MB)")


if __name__ == "__main__":
    main()
