"""Write src/peatmoss/registries/data/torchvision_zoo.csv from a torchvision wheel, read with `ast`.

Usage: get a wheel with `pip download --no-deps torchvision -d <tmp>`, then
`python scripts/build_zoo_facts.py <tmp>/torchvision-*.whl [OUT]`. Commit the CSV, never the wheel.
"""

import sys
import zipfile
from pathlib import Path

from peatmoss.registries.zoo import read_wheel, write_facts

OUT = Path(__file__).resolve().parent.parent / "src/peatmoss/registries/data/torchvision_zoo.csv"


def main(argv: list[str]) -> int:
    if not argv or not Path(argv[0]).name.startswith("torchvision-") or not argv[0].endswith(".whl") \
            or not Path(argv[0]).is_file():
        print("usage: build_zoo_facts.py TORCHVISION_WHEEL [OUT]  (pip download --no-deps torchvision -d DIR)",
              file=sys.stderr)
        return 2
    wheel = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else OUT
    version = wheel.name.split("-")[1]
    try:
        models = read_wheel(wheel)
    except (zipfile.BadZipFile, SyntaxError, UnicodeDecodeError) as exc:
        print(f"cannot read {wheel}: {exc}; pass a torchvision wheel from `pip download`", file=sys.stderr)
        return 2
    if not models:
        print(f"no torchvision model builders in {wheel}; pass a torchvision wheel", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        f.write(f"# torchvision model builders and weight enums, read with ast from {wheel.name} "
                "(scripts/build_zoo_facts.py)\n")
        write_facts(models, f"torchvision=={version}", f)
    print(f"{len(models)} builders -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
