"""``python -m course <command>``: the instructor's tools."""
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="generate release/ from source/")
    build.add_argument("assignments", nargs="*", help="assignment names (default: all)")

    args = parser.parse_args(argv)
    if args.command == "build":
        from .grading.build import build as run_build
        for name in run_build(args.assignments):
            print(f"released {name} -> release/{name}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
