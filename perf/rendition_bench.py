"""How long the picture desk takes to make a large upload's standard renditions (issue 14's target:
under 2 s for a 4,000 x 3,000 picture), on a scratch SQLite database and media folder.

    python -m perf.rendition_bench [--runs 5] [--work-dir build/rendition-bench]

The picture is the sample coverage's (content/pictures/arrival.jpg) scaled to 4,000 x 3,000 with a
camera's grain added, so it compresses like a photograph; each run stores it anew (a new checksum)
and makes all 24 renditions, as an editor's upload does.
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work-dir", type=Path, default=PROJECT / "build" / "rendition-bench")
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DJANGO_DEBUG="1",
        DATABASE_URL=f"sqlite:///{args.work_dir / 'db.sqlite3'}",
        NEWSROOM_MEDIA_ROOT=str(args.work_dir / "media"),
    )
    import django

    django.setup()
    from django.core.management import call_command
    from PIL import Image, ImageChops

    from photos.checks import check_upload
    from photos.library import store_photo
    from photos.renditions import FORMATS, STANDARD

    call_command("migrate", verbosity=0)
    base = Image.open(PROJECT / "content" / "pictures" / "arrival.jpg").convert("RGB").resize((4000, 3000))
    timings = []
    for run in range(args.runs):
        grain = Image.effect_noise((4000, 3000), 12 + run).convert("RGB")
        upload = io.BytesIO()
        ImageChops.add(base, grain, scale=2.0, offset=-60).save(upload, format="JPEG", quality=90)
        upload.seek(0)
        started = time.perf_counter()
        photo = store_photo(check_upload(upload), alt_text="Benchmark picture", credit="perf")
        timings.append(time.perf_counter() - started)
        made = photo.renditions.count()
        print(f"run {run + 1}: {upload.getbuffer().nbytes / 1e6:.1f} MB upload, {made} renditions, "
              f"{timings[-1]:.2f} s", flush=True)  # fmt: skip
        assert made == len(STANDARD) * len(FORMATS)
    median = statistics.median(timings)
    print(
        f"4000x3000 upload to {len(STANDARD) * len(FORMATS)} renditions: median {median:.2f} s "
        f"(min {min(timings):.2f}, max {max(timings):.2f}) over {args.runs} runs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
