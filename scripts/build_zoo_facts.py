"""Write src/peatmoss/registries/data/<library>_zoo.csv from a torchvision, torchaudio or torchtext wheel,
read with `ast` (the wheel is never installed or imported).

Usage: get a wheel with `pip download --no-deps torchvision torchaudio torchtext -d <tmp>`, then
`python scripts/build_zoo_facts.py <tmp>/<library>-*.whl [OUT]`. Commit the CSV, never the wheel.
"""

import sys
import zipfile
from pathlib import Path

from peatmoss.registries.zoo import LIBRARIES, read_library_wheel, read_wheel, write_facts, write_library_facts

DATA = Path(__file__).resolve().parent.parent / "src/peatmoss/registries/data"
KNOWN = ("torchvision", *LIBRARIES)


def main(argv: list[str]) -> int:
    wheel = Path(argv[0]) if argv else None
    library = wheel.name.split("-")[0] if wheel else ""
    if wheel is None or library not in KNOWN or wheel.suffix != ".whl" or not wheel.is_file():
        print(f"usage: build_zoo_facts.py WHEEL [OUT]  (a {', '.join(KNOWN)} wheel from "
              "`pip download --no-deps NAME -d DIR`)", file=sys.stderr)
        return 2
    out = Path(argv[1]) if len(argv) > 1 else DATA / f"{library}_zoo.csv"
    version = wheel.name.split("-")[1]
    try:
        models = read_wheel(wheel) if library == "torchvision" else read_library_wheel(library, wheel)
    except (zipfile.BadZipFile, SyntaxError, UnicodeDecodeError) as exc:
        print(f"cannot read {wheel}: {exc}; pass a wheel from `pip download`", file=sys.stderr)
        return 2
    if not models:
        print(f"no {library} models in {wheel}; pass a {library} wheel", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        if library == "torchvision":
            f.write(f"# torchvision model builders and weight enums, read with ast from {wheel.name} "
                    "(scripts/build_zoo_facts.py)\n")
            write_facts(models, f"torchvision=={version}", f)
        else:
            f.write(f"# {library} public model names (pipelines/models __all__), read with ast from {wheel.name} "
                    "(scripts/build_zoo_facts.py)\n")
            write_library_facts(library, models, f"{library}=={version}", f)
    print(f"{len(models)} {library} models -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
