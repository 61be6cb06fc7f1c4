import random
import unittest

import torch

from model_testing import (
    BATCHING_TOLERANCE,
    FP32_EXPORT_TOLERANCE,
    max_abs_diff,
    pad_batch,
    random_rows,
    scripted_round_trip,
)
from virnucpro_models.alibi import alibi_slopes
from virnucpro_models.bpe_tokenizer import CLS_ID, PAD_ID, SEP_ID
from virnucpro_models.dnabert_s import DnabertSConfig
from virnucpro_models.export import random_dnabert_s


def dna_rows(rng, lengths, vocab_size):
    return random_rows(rng, lengths, CLS_ID, SEP_ID, 5, vocab_size)


def masked_mean(hidden, mask):
    """docs/behaviour.md §3: the mean over all non-pad tokens, [CLS] and [SEP] included."""
    weights = mask[:, :, None].to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1)


class AlibiSlopesTest(unittest.TestCase):
    def assert_slopes(self, heads, expected):
        got = alibi_slopes(heads)
        self.assertEqual(len(got), len(expected))
        for slope, want in zip(got, expected):
            self.assertAlmostEqual(slope, want, places=14)

    def test_power_of_two_head_counts_follow_the_geometric_sequence(self):
        self.assert_slopes(8, [2.0**-k for k in range(1, 9)])
        self.assert_slopes(4, [2.0**-k for k in (2, 4, 6, 8)])

    def test_other_head_counts_interleave_the_next_power_of_two(self):
        # 12 heads (DNABERT-S): the 8-head slopes, then every other 16-head slope, 4 of them.
        self.assert_slopes(12, [2.0**-k for k in range(1, 9)] + [2.0**-k for k in (0.5, 1.5, 2.5, 3.5)])
        self.assert_slopes(6, [2.0**-k for k in (2, 4, 6, 8)] + [2.0**-1, 2.0**-3])
        self.assertEqual(len(alibi_slopes(7)), 7)


class DnabertSTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.rng = random.Random(11)

    def test_exported_module_matches_eager_definition(self):
        for config in (
            DnabertSConfig(vocab_size=64, dim=48, layers=2, heads=4, intermediate=96),
            DnabertSConfig(vocab_size=50, dim=60, layers=3, heads=6, intermediate=120, layer_norm_eps=1e-5),
        ):
            eager = random_dnabert_s(config, seed=4).eval()
            exported = scripted_round_trip(eager)
            self.assertEqual((exported.vocab_size, exported.hidden_dim), (config.vocab_size, config.dim))
            for lengths in ([5, 1, 40, 12], [90], [0, 0]):
                tokens, mask = pad_batch(dna_rows(self.rng, lengths, config.vocab_size), PAD_ID)
                with torch.no_grad():
                    diff = max_abs_diff(exported(tokens, mask), eager(tokens, mask))
                self.assertLessEqual(diff, FP32_EXPORT_TOLERANCE, f"{config} lengths {lengths}")

    def test_padded_batch_matches_one_sequence_at_a_time(self):
        config = DnabertSConfig(vocab_size=80, dim=42, layers=3, heads=7, intermediate=64)
        model = scripted_round_trip(random_dnabert_s(config, seed=6))
        rows = dna_rows(self.rng, [0, 7, 150, 33, 2, 61], config.vocab_size)
        tokens, mask = pad_batch(rows, PAD_ID)
        with torch.no_grad():
            batched = model(tokens, mask)
            pooled = masked_mean(batched, mask)
            for index, row in enumerate(rows):
                alone = model(torch.tensor([row]), torch.ones(1, len(row), dtype=torch.long))
                self.assertLessEqual(max_abs_diff(batched[index, : len(row)], alone[0]), BATCHING_TOLERANCE)
                # The original pools one unpadded sequence with a plain mean.
                self.assertLessEqual(max_abs_diff(pooled[index], alone[0].mean(0)), BATCHING_TOLERANCE)
            self.assertEqual(batched[mask == 0].abs().max().item(), 0.0)

    def test_alibi_bias_covers_inputs_longer_than_the_starting_size(self):
        config = DnabertSConfig(vocab_size=30, dim=24, layers=1, heads=3, intermediate=32)
        model = random_dnabert_s(config, seed=8).eval()
        length = 700  # past the reference's alibi_starting_size of 512
        mask = torch.ones(2, length, dtype=torch.long)
        mask[1, 600:] = 0
        bias = model.attention_bias(mask)
        slopes = alibi_slopes(3)
        for head, slope in enumerate(slopes):
            self.assertAlmostEqual(bias[0, head, 0, 699].item(), -slope * 699, places=3)
            self.assertAlmostEqual(bias[0, head, 650, 10].item(), -slope * 640, places=3)
            self.assertAlmostEqual(bias[1, head, 3, 650].item(), -slope * 647 - 10000.0, places=2)
            self.assertEqual(bias[1, head, 3, 3].item(), 0.0)
        rows = dna_rows(self.rng, [length - 2, 598], config.vocab_size)
        tokens, mask = pad_batch(rows, PAD_ID)
        exported = scripted_round_trip(model)
        with torch.no_grad():
            batched = exported(tokens, mask)
            alone = exported(torch.tensor([rows[1]]), torch.ones(1, len(rows[1]), dtype=torch.long))
        self.assertLessEqual(max_abs_diff(batched[1, :600], alone[0]), BATCHING_TOLERANCE)


if __name__ == "__main__":
    unittest.main()
