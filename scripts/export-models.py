#!/usr/bin/env python3
"""Export VirNucPro's models as TorchScript folders (model.pt + manifest.json) for the addon.

Needs Python with torch only. The torch that runs this writes the TorchScript archives, and a
libtorch reads archives from its own version and older ones, not newer: export with the same
version as the addon's libtorch or an older one (Debian 12's python3-torch for its libtorch 1.13).
Precision is not an export choice: modules are float32 and the addon converts at load time.

  esm2        an official fair-esm ESM-2 checkpoint (e.g. esm2_t36_3B_UR50D.pt)
  dnabert-s   a Hugging Face DNABERT-S folder (config.json, weights, tokenizer.json)
  classifier  a released VirNucPro classifier (300_model.pth / 500_model.pth) or a state dict
  tiny        a small random demo set: OUT/esm2, OUT/dnabert-s, OUT/classifier
  random      random weights with the real shapes of a named architecture, for benchmarks
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from virnucpro_models import export  # noqa: E402


def parse_args(argv):
    # `virnucpro export` sets VIRNUCPRO_EXPORT_PROG so that usage lines name it; run directly, the script's name
    parser = argparse.ArgumentParser(
        prog=os.environ.get("VIRNUCPRO_EXPORT_PROG"),
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    esm2 = commands.add_parser("esm2", help="export an official fair-esm ESM-2 checkpoint")
    esm2.add_argument("--checkpoint", required=True, help="the .pt file as downloaded from fair-esm")
    esm2.add_argument("--out", required=True, help="folder to write")
    esm2.add_argument(
        "--repr-layer", type=int, default=-1, help="layer whose output is the representation (default: the last)"
    )

    dnabert = commands.add_parser("dnabert-s", help="export a Hugging Face DNABERT-S folder")
    dnabert.add_argument(
        "--model-dir", required=True, help="config.json, model.safetensors or pytorch_model.bin, tokenizer.json"
    )
    dnabert.add_argument("--out", required=True, help="folder to write")

    classifier = commands.add_parser("classifier", help="export a VirNucPro classifier")
    classifier.add_argument("--checkpoint", required=True, help="300_model.pth, 500_model.pth or a state dict file")
    classifier.add_argument("--out", required=True, help="folder to write")
    classifier.add_argument("--chunk-size", type=int, help="chunk size it was trained on (default: from NNN_model.pth)")
    classifier.add_argument(
        "--dnabert-s-dim",
        type=int,
        default=export.DNABERT_S_DIM,
        help="width of the DNABERT-S block at the front of the input (default: %(default)s)",
    )

    tiny = commands.add_parser("tiny", help="write the small random demo set")
    tiny.add_argument("--out", required=True, help="folder to write (esm2/, dnabert-s/, classifier/ inside)")
    tiny.add_argument("--seed", type=int, default=0)
    tiny.add_argument("--chunk-size", type=int, default=300, help="chunk size recorded for the classifier")

    random_arch = commands.add_parser("random", help="random weights with a real architecture's shapes")
    random_arch.add_argument("--arch", required=True, choices=sorted([*export.ESM2_ARCHS, *export.DNABERT_S_ARCHS]))
    random_arch.add_argument("--out", required=True, help="folder to write")
    random_arch.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def run(args) -> None:
    if args.command == "esm2":
        export.export_esm2_checkpoint(args.checkpoint, args.out, args.repr_layer)
    elif args.command == "dnabert-s":
        export.export_dnabert_s_folder(args.model_dir, args.out)
    elif args.command == "classifier":
        export.export_classifier_checkpoint(args.checkpoint, args.out, args.chunk_size, args.dnabert_s_dim)
    elif args.command == "tiny":
        export.write_tiny_set(args.out, args.seed, args.chunk_size)
    elif args.arch in export.ESM2_ARCHS:
        export.write_random_esm2(export.ESM2_ARCHS[args.arch], args.arch, args.out, args.seed)
    else:
        export.write_random_dnabert_s(export.DNABERT_S_ARCHS[args.arch], args.arch, args.out, args.seed)


def main(argv) -> int:
    args = parse_args(argv)
    try:
        run(args)
    except (ValueError, OSError) as error:
        print(f"export-models {args.command}: {error}", file=sys.stderr)
        return 1
    print(f"export-models {args.command}: wrote {os.path.abspath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
