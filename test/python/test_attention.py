import random
import unittest

import torch

from model_testing import FP32_EXPORT_TOLERANCE, max_abs_diff, pad_batch, random_rows, scripted_round_trip
from virnucpro_models import esm_alphabet
from virnucpro_models.attention import sdpa_available, torch_release, uses_sdpa
from virnucpro_models.bpe_tokenizer import CLS_ID, PAD_ID, SEP_ID
from virnucpro_models.dnabert_s import DnabertSConfig
from virnucpro_models.esm2 import Esm2Config
from virnucpro_models.export import random_dnabert_s, random_esm2

ESM2 = Esm2Config(layers=3, dim=48, heads=6)
DNABERT_S = DnabertSConfig(vocab_size=80, dim=48, layers=3, heads=6, intermediate=96)
NO_SDPA = f"torch {torch.__version__} has no scaled_dot_product_attention with scale (needs 2.1)"


def esm2_batch(rng):
    rows = random_rows(rng, [5, 1, 70, 33], esm_alphabet.CLS_ID, esm_alphabet.EOS_ID, 4, 29)
    return pad_batch(rows, esm_alphabet.PAD_ID)


def dnabert_s_batch(rng):
    return pad_batch(random_rows(rng, [0, 7, 90, 33], CLS_ID, SEP_ID, 5, DNABERT_S.vocab_size), PAD_ID)


def scripted_code(module):
    return str(scripted_round_trip(module).inlined_graph)


class AttentionChoiceTest(unittest.TestCase):
    def test_torch_releases_parse_with_local_and_pre_release_tails(self):
        self.assertEqual(torch_release("1.13.0a0+git"), (1, 13))
        self.assertEqual(torch_release("2.1.0+cu121"), (2, 1))
        self.assertEqual(torch_release("2.10.1"), (2, 10))
        self.assertFalse(sdpa_available("2.0.1"))
        self.assertTrue(sdpa_available("2.1.0"))
        with self.assertRaises(ValueError):
            torch_release("nightly")

    def test_auto_follows_the_exporting_torch_and_unknown_choices_fail(self):
        self.assertEqual(uses_sdpa("auto"), sdpa_available())
        self.assertFalse(uses_sdpa("explicit"))
        with self.assertRaisesRegex(ValueError, "unknown attention 'flash'"):
            uses_sdpa("flash")

    @unittest.skipIf(sdpa_available(), "this torch has scaled_dot_product_attention")
    def test_sdpa_on_an_older_torch_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "needs torch >= 2.1"):
            random_esm2(ESM2, seed=1, attention="sdpa")

    def test_scripted_modules_hold_only_the_attention_chosen_at_export(self):
        builders = (lambda attention: random_esm2(ESM2, 1, attention), lambda a: random_dnabert_s(DNABERT_S, 2, a))
        for build in builders:
            self.assertEqual("scaled_dot_product_attention" in scripted_code(build("auto")), sdpa_available())
            self.assertNotIn("scaled_dot_product_attention", scripted_code(build("explicit")))


@unittest.skipUnless(sdpa_available(), NO_SDPA)
class SdpaMatchesExplicitTest(unittest.TestCase):
    """fp32 on the CPU; bench/cuda/run-cuda-bench.sh repeats the check with the real shapes on a GPU."""

    def setUp(self):
        self.rng = random.Random(5)

    def assert_same(self, build, batch):
        explicit = build("explicit").eval()
        sdpa = build("sdpa").eval()
        tokens, mask = batch
        with torch.no_grad():
            reference = explicit(tokens, mask)
            self.assertLessEqual(max_abs_diff(sdpa(tokens, mask), reference), FP32_EXPORT_TOLERANCE)
            exported = scripted_round_trip(sdpa)(tokens, mask)
            self.assertLessEqual(max_abs_diff(exported, reference), FP32_EXPORT_TOLERANCE)

    def test_esm2(self):
        self.assert_same(lambda attention: random_esm2(ESM2, 3, attention), esm2_batch(self.rng))

    def test_dnabert_s(self):
        self.assert_same(lambda attention: random_dnabert_s(DNABERT_S, 4, attention), dnabert_s_batch(self.rng))


if __name__ == "__main__":
    unittest.main()
