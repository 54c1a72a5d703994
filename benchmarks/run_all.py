"""Run every benchmark script in this folder and print their tables (`make bench`)."""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> None:
    sys.path[:0] = [str(ROOT), str(HERE)]
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in {"run_all.py", "__init__.py"})
    if not scripts:
        print("No benchmarks yet.")
    for script in scripts:
        print(f"\n## {script.stem}\n", flush=True)
        runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
