"""Client-side figures: preparation cost, bytes on the wire, round trips.

Run: .venv/bin/python benchmarks/bench_client.py
Prints a table; asserts nothing (tests check behaviour, this measures it).
The round trips go to the project's local server on 127.0.0.1.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inpaint import ModelsLabClient  # noqa: E402
from inpaint import images as imgs  # noqa: E402
from inpaint.server import ServerConfig, serve_in_background  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    client = ModelsLabClient(api_key="bench", base_url="http://127.0.0.1:9/api")
    print("== prepare + encode (median of 5) ==")
    print(f"{'input':<28}{'sent size':>12}{'ms':>8}{'image KB':>10}{'type':>12}{'mask KB':>9}")
    for name in ("chelsea", "coffee", "astronaut"):
        photo = Image.open(EXAMPLES / f"{name}.png")
        for scale in (1, 4):
            src = photo.resize((photo.width * scale, photo.height * scale))
            mask = Image.new("L", src.size, 0)
            mask.paste(255, (src.width // 3, src.height // 3, src.width // 2, src.height // 2))

            def prep(src=src, mask=mask):
                img, msk, w, h = client.prepare(src, mask)
                data, mime = imgs.encode_for_upload(img)
                return w, h, data, mime, imgs.encode_mask(msk)

            secs, (w, h, data, mime, mdata) = timed(prep)
            label = f"{name} {src.width}x{src.height}"
            print(f"{label:<28}{f'{w}x{h}':>12}{secs * 1000:>8.0f}{len(data) / 1024:>10.0f}"
                  f"{mime:>12}{len(mdata) / 1024:>9.1f}")

    print("\n== round trip against the local server, coffee 600x400 (median of 5) ==")
    photo = Image.open(EXAMPLES / "coffee.png")
    mask = Image.new("L", photo.size, 0)
    mask.paste(255, (250, 150, 350, 250))
    with serve_in_background(ServerConfig()) as srv:
        live = ModelsLabClient(api_key="bench", base_url=srv.base_url)
        live.inpaint(photo, mask, prompt="warm-up", transport="base64")
        for transport in ("upload", "base64"):
            for samples in (1, 4):
                tracemalloc.start()
                secs, result = timed(lambda t=transport, s=samples: live.inpaint(
                    photo, mask, prompt="x", transport=t, samples=s, seed=1))
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                print(f"transport={transport:<7} samples={samples}: {secs * 1000:6.0f} ms "
                      f"(server generationTime {result.generation_time:.3f} s, "
                      f"client peak Python alloc {peak / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
