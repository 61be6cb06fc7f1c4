"""Export from the released formats: fair-esm ESM-2 checkpoints, Hugging Face DNABERT-S folders,
VirNucPro classifier files. Each exported module is compared with the weights' own model."""

import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import unittest
from argparse import Namespace

import torch

from model_testing import EXPORT_SCRIPT, FP32_EXPORT_TOLERANCE, max_abs_diff, pad_batch, random_rows
from virnucpro_models import esm_alphabet
from virnucpro_models.bpe_tokenizer import write_dna_tokenizer
from virnucpro_models.dnabert_s import DnabertSConfig
from virnucpro_models.esm2 import Esm2Config
from virnucpro_models.export import (
    export_classifier_checkpoint,
    export_dnabert_s_folder,
    export_esm2_checkpoint,
    random_dnabert_s,
    random_esm2,
)


def run_export(*args):
    return subprocess.run([sys.executable, EXPORT_SCRIPT, *args], capture_output=True, text=True)


def export_one_way(test, through_command_line, in_process, *command_line):
    """Variants of one format go through export-models.py or the package function, to cover both."""
    if through_command_line:
        result = run_export(*command_line)
        test.assertEqual(result.returncode, 0, result.stderr)
    else:
        in_process()


def read_manifest(folder):
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as source:
        return json.load(source)


def write_safetensors(path, state):
    """Written here from the format description, independently of the package's reader."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, tensor in state.items():
        blob = tensor.contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header).encode()
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


class Esm2CheckpointTest(unittest.TestCase):
    config = Esm2Config(layers=3, dim=40, heads=5)

    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()
        self.addCleanup(self.scratch.cleanup)
        self.model = random_esm2(self.config, seed=21).eval()
        rows = random_rows(random.Random(3), [4, 25, 11], esm_alphabet.CLS_ID, esm_alphabet.EOS_ID, 4, 29)
        self.tokens, self.mask = pad_batch(rows, esm_alphabet.PAD_ID)

    def official_file(self, name, model_config, config_key="cfg"):
        """The layout fair-esm publishes: sentence-encoder prefixes, an lm_head, contact-head weights."""
        state = {f"encoder.sentence_encoder.{key}": value for key, value in self.model.state_dict().items()}
        dim = self.config.dim
        state.update(
            {
                "encoder.lm_head.dense.weight": torch.randn(dim, dim),
                "encoder.lm_head.layer_norm.weight": torch.ones(dim),
                "encoder.lm_head.weight": torch.randn(33, dim),
                "encoder.lm_head.bias": torch.zeros(33),
                "encoder.sentence_encoder.contact_head.regression.weight": torch.randn(1, 15),
            }
        )
        data = {"model": state}
        data[config_key] = {"model": model_config} if config_key == "cfg" else model_config
        path = os.path.join(self.scratch.name, name)
        torch.save(data, path)
        return path

    def model_config(self):
        return dict(encoder_layers=3, encoder_embed_dim=40, encoder_attention_heads=5, token_dropout=True, dropout=0.0)

    def assert_exported_matches(self, folder, reference):
        exported = torch.jit.load(os.path.join(folder, "model.pt"))
        with torch.no_grad():
            self.assertLessEqual(max_abs_diff(exported(self.tokens, self.mask), reference), FP32_EXPORT_TOLERANCE)

    def test_namespace_dict_and_args_configs(self):
        with torch.no_grad():
            reference = self.model(self.tokens, self.mask)
        variants = {
            "namespace": self.official_file("esm2_t3_ns.pt", Namespace(**self.model_config())),
            "dict": self.official_file("esm2_t3_dict.pt", self.model_config()),
            "args": self.official_file("esm2_t3_args.pt", Namespace(**self.model_config()), config_key="args"),
        }
        for variant, checkpoint in variants.items():
            out = os.path.join(self.scratch.name, f"out-{variant}")
            export_one_way(
                self,
                variant == "namespace",
                lambda: export_esm2_checkpoint(checkpoint, out),
                *("esm2", "--checkpoint", checkpoint, "--out", out),
            )
            self.assert_exported_matches(out, reference)
            written = read_manifest(out)
            self.assertEqual((written["kind"], written["dim"], written["layers"], written["heads"]), ("esm2", 40, 3, 5))
            self.assertEqual(written["arch"], os.path.splitext(os.path.basename(checkpoint))[0])
            self.assertEqual(len(written["source_sha256"]), 64)

    def test_earlier_representation_layer(self):
        checkpoint = self.official_file("esm2_t3.pt", Namespace(**self.model_config()))
        out = os.path.join(self.scratch.name, "layer2")
        written = export_esm2_checkpoint(checkpoint, out, repr_layer=2)
        early = random_esm2(Esm2Config(layers=3, dim=40, heads=5, repr_layer=2), seed=0).eval()
        early.load_state_dict({k: v for k, v in self.model.state_dict().items() if k in early.state_dict()})
        with torch.no_grad():
            self.assert_exported_matches(out, early(self.tokens, self.mask))
        self.assertEqual(written["layers"], 2)

    def test_a_file_that_is_not_a_checkpoint_fails_without_output(self):
        bogus = os.path.join(self.scratch.name, "bogus.pt")
        torch.save({"weights": torch.zeros(2)}, bogus)
        out = os.path.join(self.scratch.name, "never")
        result = run_export("esm2", "--checkpoint", bogus, "--out", out)
        self.assertEqual(result.returncode, 1)
        self.assertIn("bogus.pt", result.stderr)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(sorted(os.listdir(self.scratch.name)), ["bogus.pt"])

    def test_wrong_shapes_are_reported(self):
        config = self.model_config()
        config["encoder_embed_dim"] = 48
        config["encoder_attention_heads"] = 6
        checkpoint = self.official_file("esm2_t3_wrong.pt", Namespace(**config))
        with self.assertRaisesRegex(ValueError, "esm2_t3_wrong.pt: weights do not fit"):
            export_esm2_checkpoint(checkpoint, os.path.join(self.scratch.name, "out"))

    def test_layers_with_different_rotary_frequencies_are_refused(self):
        # The export applies layer 0's rotary table in every layer; fair-esm's layers all carry the same.
        with torch.no_grad():
            self.model.layers[1].self_attn.rot_emb.inv_freq.mul_(2)
        checkpoint = self.official_file("esm2_t3_rotary.pt", Namespace(**self.model_config()))
        out = os.path.join(self.scratch.name, "out")
        with self.assertRaisesRegex(ValueError, r"esm2_t3_rotary.pt: layers.1.self_attn.rot_emb.inv_freq differs"):
            export_esm2_checkpoint(checkpoint, out)
        self.assertFalse(os.path.exists(out))


class DnabertSFolderTest(unittest.TestCase):
    config = DnabertSConfig(vocab_size=40, dim=36, layers=2, heads=3, intermediate=50)

    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()
        self.addCleanup(self.scratch.cleanup)
        self.model = random_dnabert_s(self.config, seed=5).eval()
        rows = random_rows(random.Random(4), [3, 30, 0], 1, 2, 5, self.config.vocab_size)
        self.tokens, self.mask = pad_batch(rows, 3)
        with torch.no_grad():
            self.reference = self.model(self.tokens, self.mask)

    def hf_folder(self, name, weights_file, prefix, extra_heads):
        folder = os.path.join(self.scratch.name, name)
        os.makedirs(folder)
        with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as out:
            json.dump(self.config.to_hf(), out)
        write_dna_tokenizer(os.path.join(folder, "tokenizer.json"), self.config.vocab_size, seed=1)
        state = {f"{prefix}{key}": value for key, value in self.model.state_dict().items()}
        if extra_heads:
            dim = self.config.dim
            state.update(
                {
                    f"{prefix}pooler.dense.weight": torch.randn(dim, dim),
                    f"{prefix}pooler.dense.bias": torch.randn(dim),
                    "cls.predictions.transform.dense.weight": torch.randn(dim, dim),
                    "cls.predictions.decoder.bias": torch.randn(self.config.vocab_size),
                }
            )
        if weights_file.endswith(".safetensors"):
            write_safetensors(os.path.join(folder, weights_file), state)
        else:
            torch.save(state, os.path.join(folder, weights_file))
        return folder

    def test_bin_and_safetensors_with_and_without_bert_prefix(self):
        variants = [
            ("bin-plain", "pytorch_model.bin", "", False),
            ("bin-mlm", "pytorch_model.bin", "bert.", True),
            ("st-plain", "model.safetensors", "", True),
            ("st-mlm", "model.safetensors", "bert.", True),
        ]
        for name, weights_file, prefix, extra_heads in variants:
            folder = self.hf_folder(name, weights_file, prefix, extra_heads)
            out = os.path.join(self.scratch.name, f"out-{name}")
            export_one_way(
                self,
                name == "st-mlm",
                lambda: export_dnabert_s_folder(folder, out),
                *("dnabert-s", "--model-dir", folder, "--out", out),
            )
            exported = torch.jit.load(os.path.join(out, "model.pt"))
            with torch.no_grad():
                diff = max_abs_diff(exported(self.tokens, self.mask), self.reference)
            self.assertLessEqual(diff, FP32_EXPORT_TOLERANCE)
            written = read_manifest(out)
            # Special ids come from tokenizer.json ([PAD]=3), not from config.json's pad_token_id 0.
            special_ids = {"cls_id": 1, "sep_id": 2, "pad_id": 3, "unk_id": 0}
            self.assertEqual(written["tokenizer"], {"type": "hf", "file": "tokenizer.json", **special_ids})
            with open(os.path.join(folder, "tokenizer.json"), "rb") as given:
                with open(os.path.join(out, "tokenizer.json"), "rb") as copied:
                    self.assertEqual(given.read(), copied.read())

    def test_missing_tokenizer_is_an_error(self):
        folder = self.hf_folder("no-tokenizer", "pytorch_model.bin", "", False)
        os.remove(os.path.join(folder, "tokenizer.json"))
        with self.assertRaisesRegex(ValueError, "no tokenizer.json"):
            export_dnabert_s_folder(folder, os.path.join(self.scratch.name, "out"))


# The class as the released training script defines it; pickling from __main__ gives the
# `__main__.MLPClassifier` the released 300_model.pth / 500_model.pth files refer to.
RELEASED_CLASSIFIER_WRITER = """
import sys
import torch
from torch import nn
import torch.nn.functional as F

class MLPClassifier(nn.Module):
    def __init__(self, input_dim, hidden_dim, num_class):
        super().__init__()
        self.hidden_layer = nn.Linear(input_dim, hidden_dim)
        self.bn1 = nn.BatchNorm1d(hidden_dim)
        self.output_layer = nn.Linear(hidden_dim, num_class)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x):
        return self.output_layer(self.dropout(F.relu(self.bn1(self.hidden_layer(x)))))

torch.manual_seed(1)
model = MLPClassifier(int(sys.argv[3]), 512, 2)
model.bn1.running_mean.normal_()
model.bn1.running_var.uniform_(0.5, 2.0)
x = torch.randn(16, int(sys.argv[3]))
torch.save(model, sys.argv[1])
model.eval()
with torch.no_grad():
    torch.save({"x": x, "logits": model(x), "state": model.state_dict()}, sys.argv[2])
"""


class ClassifierCheckpointTest(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.TemporaryDirectory()
        self.addCleanup(self.scratch.cleanup)

    def released(self, name, input_dim=3328):
        path = os.path.join(self.scratch.name, name)
        expected = os.path.join(self.scratch.name, f"{name}.expected")
        subprocess.run([sys.executable, "-c", RELEASED_CLASSIFIER_WRITER, path, expected, str(input_dim)], check=True)
        return path, torch.load(expected)

    def assert_logits(self, out, expected):
        exported = torch.jit.load(os.path.join(out, "model.pt"))
        with torch.no_grad():
            self.assertLessEqual(max_abs_diff(exported(expected["x"]), expected["logits"]), FP32_EXPORT_TOLERANCE)

    def test_pickled_released_module(self):
        path, expected = self.released("300_model.pth")
        out = os.path.join(self.scratch.name, "out")
        result = run_export("classifier", "--checkpoint", path, "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_logits(out, expected)
        written = read_manifest(out)
        self.assertEqual(written["chunk_size"], 300)
        self.assertEqual(written["input_dim"], 3328)
        self.assertEqual(written["features"], [{"model": "dnabert-s", "dim": 768}, {"model": "esm2", "dim": 2560}])
        self.assertEqual(written["classes"], ["others", "virus"])

    def test_plain_state_dict_with_explicit_chunk_size_and_widths(self):
        _, expected = self.released("500_model.pth", input_dim=80)
        path = os.path.join(self.scratch.name, "weights.pt")
        torch.save(expected["state"], path)
        out = os.path.join(self.scratch.name, "out")
        written = export_classifier_checkpoint(path, out, chunk_size=500, dnabert_s_dim=48)
        self.assert_logits(out, expected)
        self.assertEqual(written["features"], [{"model": "dnabert-s", "dim": 48}, {"model": "esm2", "dim": 32}])

    def test_chunk_size_must_be_known(self):
        path, _ = self.released("classifier.pth")
        result = run_export("classifier", "--checkpoint", path, "--out", os.path.join(self.scratch.name, "out"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("--chunk-size", result.stderr)


if __name__ == "__main__":
    unittest.main()
