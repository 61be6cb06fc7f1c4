"""The tiny demo set, random benchmark-shaped models, the demo tokenizer and the safetensors reader."""

import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import unittest

import torch

from model_testing import EXPORT_SCRIPT, pad_batch, random_rows
from virnucpro_models.bpe_tokenizer import SPECIAL_TOKENS, train_bpe, write_dna_tokenizer
from virnucpro_models.export import ESM2_ARCHS, write_random_esm2, write_tiny_set
from virnucpro_models.safetensors import load_safetensors


class TinySetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.scratch.name, "models")
        result = subprocess.run(
            [sys.executable, EXPORT_SCRIPT, "tiny", "--out", cls.out, "--seed", "3"], capture_output=True, text=True
        )
        if result.returncode != 0:
            raise AssertionError(result.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def manifest(self, kind):
        with open(os.path.join(self.out, kind, "manifest.json"), encoding="utf-8") as source:
            return json.load(source)

    def test_layout_and_manifests(self):
        self.assertEqual(sorted(os.listdir(self.out)), ["classifier", "dnabert-s", "esm2"])
        esm2, dnabert, classifier = self.manifest("esm2"), self.manifest("dnabert-s"), self.manifest("classifier")
        for written in (esm2, dnabert, classifier):
            self.assertEqual((written["format"], written["module"]), ("virnucpro-model/1", "model.pt"))
            self.assertEqual(written["torch_version"], torch.__version__)
        self.assertEqual(esm2["tokenizer"], {"type": "esm", "cls_id": 0, "pad_id": 1, "eos_id": 2, "unk_id": 3})
        self.assertEqual((esm2["pooling"], esm2["max_positions"], esm2["vocab_size"]), ("esm-mean", 1024, 33))
        self.assertEqual((dnabert["pooling"], dnabert["max_positions"]), ("masked-mean", None))
        self.assertEqual(dnabert["tokenizer"]["pad_id"], 3)
        features = [{"model": "dnabert-s", "dim": dnabert["dim"]}, {"model": "esm2", "dim": esm2["dim"]}]
        self.assertEqual(classifier["features"], features)
        self.assertEqual(classifier["input_dim"], dnabert["dim"] + esm2["dim"])
        self.assertEqual(classifier["chunk_size"], 300)
        with open(os.path.join(self.out, "dnabert-s", "tokenizer.json"), encoding="utf-8") as source:
            self.assertEqual(len(json.load(source)["model"]["vocab"]), dnabert["vocab_size"])

    def test_modules_run_with_the_declared_shapes(self):
        esm2 = torch.jit.load(os.path.join(self.out, "esm2", "model.pt"))
        dnabert = torch.jit.load(os.path.join(self.out, "dnabert-s", "model.pt"))
        classifier = torch.jit.load(os.path.join(self.out, "classifier", "model.pt"))
        rng = random.Random(1)
        with torch.no_grad():
            tokens, mask = pad_batch(random_rows(rng, [3, 9], 0, 2, 4, 29), 1)
            protein = esm2(tokens, mask)
            tokens, mask = pad_batch(random_rows(rng, [5, 2], 1, 2, 5, dnabert.vocab_size), 3)
            nucleotide = dnabert(tokens, mask)
            logits = classifier(torch.cat([nucleotide.mean(1), protein.mean(1)], dim=1))
        self.assertEqual(tuple(protein.shape[::2]), (2, esm2.hidden_dim))
        self.assertEqual(tuple(nucleotide.shape[::2]), (2, dnabert.hidden_dim))
        self.assertEqual(tuple(logits.shape), (2, 2))
        self.assertEqual(protein.dtype, torch.float32)


    def test_rewriting_replaces_the_set_but_never_a_foreign_folder(self):
        again = os.path.join(self.scratch.name, "again")
        for chunk_size in (500, 300):
            write_tiny_set(again, seed=4, chunk_size=chunk_size)
            with open(os.path.join(again, "classifier", "manifest.json"), encoding="utf-8") as source:
                self.assertEqual(json.load(source)["chunk_size"], chunk_size)
        foreign = os.path.join(self.scratch.name, "documents")
        os.makedirs(foreign)
        with open(os.path.join(foreign, "notes.txt"), "w", encoding="utf-8") as out:
            out.write("keep me")
        with self.assertRaisesRegex(ValueError, "not an exported model folder"):
            write_tiny_set(foreign, seed=0, chunk_size=300)
        self.assertEqual(os.listdir(foreign), ["notes.txt"])
        self.assertEqual(sorted(os.listdir(self.scratch.name)), ["again", "documents", "models"])


class RandomArchTest(unittest.TestCase):
    def test_smallest_esm2_has_the_real_shapes(self):
        with tempfile.TemporaryDirectory() as scratch:
            written = write_random_esm2(ESM2_ARCHS["esm2_t6_8M"], "esm2_t6_8M", os.path.join(scratch, "esm2"), seed=0)
            module = torch.jit.load(os.path.join(scratch, "esm2", "model.pt"))
        self.assertEqual((written["layers"], written["dim"], written["heads"]), (6, 320, 20))
        parameters = sum(parameter.numel() for parameter in module.parameters())
        self.assertTrue(7_000_000 < parameters < 9_000_000, parameters)

    def test_esm2_arch_table_matches_fair_esm(self):
        shapes = {name: (c.layers, c.dim, c.heads) for name, c in ESM2_ARCHS.items()}
        self.assertEqual(shapes["esm2_t36_3B"], (36, 2560, 40))
        self.assertEqual(shapes["esm2_t33_650M"], (33, 1280, 20))


class DnaTokenizerTest(unittest.TestCase):
    def test_merges_build_the_vocabulary_in_order(self):
        words = ["ACGTACGT", "ACGA", "TTTT", "ACGN"] * 3
        vocab, merges = train_bpe(words, 16)
        self.assertEqual(list(vocab)[:5], SPECIAL_TOKENS)
        self.assertEqual(len(vocab), 16)
        known = set(SPECIAL_TOKENS) | set("".join(words))
        for left, right in merges:
            self.assertIn(left, known)
            self.assertIn(right, known)
            known.add(left + right)
        self.assertEqual(set(vocab), known)

    def test_written_file_has_the_dnabert2_shape(self):
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "tokenizer.json")
            write_dna_tokenizer(path, 40, seed=2)
            with open(path, encoding="utf-8") as source:
                tokenizer = json.load(source)
        self.assertEqual([(t["id"], t["content"]) for t in tokenizer["added_tokens"]], list(enumerate(SPECIAL_TOKENS)))
        self.assertEqual(tokenizer["model"]["type"], "BPE")
        self.assertEqual(tokenizer["model"]["unk_token"], "[UNK]")
        self.assertEqual(len(tokenizer["model"]["vocab"]), 40)
        self.assertEqual(tokenizer["pre_tokenizer"], {"type": "Whitespace"})
        self.assertEqual(tokenizer["post_processor"]["special_tokens"]["[CLS]"]["ids"], [1])


class SafetensorsTest(unittest.TestCase):
    def test_reads_hand_built_file(self):
        payload = struct.pack("<3f", 1.5, -2.0, 0.25) + struct.pack("<2q", 7, -9) + struct.pack("<2e", 0.5, 3.0)
        header = {
            "__metadata__": {"format": "pt"},
            "a.weight": {"dtype": "F32", "shape": [3, 1], "data_offsets": [0, 12]},
            "ids": {"dtype": "I64", "shape": [2], "data_offsets": [12, 28]},
            "half": {"dtype": "F16", "shape": [2], "data_offsets": [28, 32]},
        }
        encoded = json.dumps(header).encode()
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "model.safetensors")
            with open(path, "wb") as out:
                out.write(struct.pack("<Q", len(encoded)) + encoded + payload)
            tensors = load_safetensors(path)
        self.assertEqual(sorted(tensors), ["a.weight", "half", "ids"])
        self.assertEqual(tensors["a.weight"].tolist(), [[1.5], [-2.0], [0.25]])
        self.assertEqual(tensors["ids"].tolist(), [7, -9])
        self.assertEqual(tensors["half"].dtype, torch.float16)
        self.assertEqual(tensors["half"].tolist(), [0.5, 3.0])


if __name__ == "__main__":
    unittest.main()
