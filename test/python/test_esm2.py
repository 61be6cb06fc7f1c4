import math
import random
import unittest

import torch

from model_testing import (
    BATCHING_TOLERANCE,
    FP32_EXPORT_TOLERANCE,
    max_abs_diff,
    pad_batch,
    scripted_round_trip,
)
from virnucpro_models import esm_alphabet
from virnucpro_models.esm2 import Esm2Config
from virnucpro_models.export import random_esm2

RESIDUE_IDS = (4, 29)  # L .. O in the alphabet; 29 (.) and 30 (-) never occur in proteins


def protein_rows(rng, lengths):
    return [
        [esm_alphabet.CLS_ID] + [rng.randrange(*RESIDUE_IDS) for _ in range(length)] + [esm_alphabet.EOS_ID]
        for length in lengths
    ]


def residue_mean(hidden, row_length):
    """docs/behaviour.md §4: mean over positions 1..len, i.e. residues only."""
    return hidden[1 : row_length - 1].mean(0)


class AlphabetTest(unittest.TestCase):
    def test_ids_are_the_fair_esm_ones(self):
        self.assertEqual(esm_alphabet.TOKENS[:4], ["<cls>", "<pad>", "<eos>", "<unk>"])
        self.assertEqual("".join(esm_alphabet.TOKENS[4:31]), "LAGVSERTIDPKQNFYMHWCXBUZO.-")
        self.assertEqual((esm_alphabet.TOKENS.index("<null_1>"), esm_alphabet.MASK_ID), (31, 32))
        self.assertEqual(esm_alphabet.encode("MKX*"), [0, 20, 15, 24, 3, 2])


class Esm2Test(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.rng = random.Random(7)

    def test_exported_module_matches_eager_definition(self):
        for config in (Esm2Config(layers=2, dim=32, heads=4), Esm2Config(layers=3, dim=40, heads=5)):
            eager = random_esm2(config, seed=3).eval()
            exported = scripted_round_trip(eager)
            self.assertEqual((exported.vocab_size, exported.hidden_dim), (33, config.dim))
            for lengths in ([5, 1, 30, 12], [64], [3, 3, 3]):
                tokens, mask = pad_batch(protein_rows(self.rng, lengths), esm_alphabet.PAD_ID)
                with torch.no_grad():
                    diff = max_abs_diff(exported(tokens, mask), eager(tokens, mask))
                self.assertLessEqual(diff, FP32_EXPORT_TOLERANCE, f"{config} lengths {lengths}")

    def test_padded_batch_matches_one_sequence_at_a_time(self):
        model = scripted_round_trip(random_esm2(Esm2Config(layers=3, dim=48, heads=6), seed=5))
        rows = protein_rows(self.rng, [1, 9, 70, 33, 4, 120])
        tokens, mask = pad_batch(rows, esm_alphabet.PAD_ID)
        with torch.no_grad():
            batched = model(tokens, mask)
            for index, row in enumerate(rows):
                alone = model(torch.tensor([row]), torch.ones(1, len(row), dtype=torch.long))[0]
                self.assertLessEqual(max_abs_diff(batched[index, : len(row)], alone), BATCHING_TOLERANCE)
                pooled_diff = max_abs_diff(residue_mean(batched[index], len(row)), residue_mean(alone, len(row)))
                self.assertLessEqual(pooled_diff, BATCHING_TOLERANCE)

    def test_rotary_table_built_once_is_bit_identical_to_each_layers_own(self):
        # fair-esm builds cos/sin in every layer from that layer's inv_freq (einsum of positions and
        # inv_freq, duplicated, cos and sin); the module builds it once per forward from layer 0's.
        config = Esm2Config(layers=3, dim=48, heads=6)
        model = random_esm2(config, seed=4).eval()
        embedding = random_esm2(Esm2Config(layers=3, dim=48, heads=6, repr_layer=0), seed=0).eval()
        embedding.load_state_dict({k: v for k, v in model.state_dict().items() if k in embedding.state_dict()})
        exported, exported_embedding = scripted_round_trip(model), scripted_round_trip(embedding)
        for lengths in ([1, 9, 70, 33, 4, 120], [64], [3, 3, 3]):
            tokens, mask = pad_batch(protein_rows(self.rng, lengths), esm_alphabet.PAD_ID)
            with torch.no_grad():
                x = embedding(tokens, mask)
                self.assertEqual(max_abs_diff(exported_embedding(tokens, mask), x), 0.0)
                for layer in model.layers:
                    inv_freq = layer.self_attn.rot_emb.inv_freq
                    freqs = torch.einsum("i,j->ij", torch.arange(tokens.shape[1]).type_as(inv_freq), inv_freq)
                    angles = torch.cat((freqs, freqs), dim=-1)
                    x = layer(x, mask == 0, angles.cos()[None, :, :], angles.sin()[None, :, :])
                reference = model.emb_layer_norm_after(x)
                self.assertEqual(max_abs_diff(model(tokens, mask), reference), 0.0, f"lengths {lengths}")
                self.assertEqual(max_abs_diff(exported(tokens, mask), reference), 0.0, f"lengths {lengths}")

    def test_one_pass_gelu_keeps_vectors_within_1e_5_of_fair_esms_written_out_formula(self):
        # fair-esm's layer writes GELU out as x * 0.5 * (1 + erf(x / sqrt(2))); the module calls
        # libtorch's exact GELU: the same function, rounded differently. Pooled vectors of a 35M-wide
        # model must stay within 1e-5 of the written-out ones (and the last layer's states too).
        model = random_esm2(Esm2Config(layers=4, dim=480, heads=20), seed=6).eval()
        for lengths in ([1, 9, 70, 33, 4, 120], [200, 17]):
            tokens, mask = pad_batch(protein_rows(self.rng, lengths), esm_alphabet.PAD_ID)
            key_padding = mask == 0
            with torch.no_grad():
                x = model.embed_tokens(tokens) * (1 - key_padding.unsqueeze(-1).type_as(model.embed_tokens.weight))
                x = x * (1 - 0.15 * 0.8)
                inv_freq = model.layers[0].self_attn.rot_emb.inv_freq
                freqs = torch.einsum("i,j->ij", torch.arange(tokens.shape[1]).type_as(inv_freq), inv_freq)
                angles = torch.cat((freqs, freqs), dim=-1)
                cos, sin = angles.cos()[None, :, :], angles.sin()[None, :, :]
                for layer in model.layers:
                    x = x + layer.self_attn(layer.self_attn_layer_norm(x), key_padding, cos, sin)
                    h = layer.fc1(layer.final_layer_norm(x))
                    x = x + layer.fc2(h * 0.5 * (1.0 + torch.erf(h / math.sqrt(2.0))))
                written_out = model.emb_layer_norm_after(x)
                got = model(tokens, mask)
            self.assertLessEqual(max_abs_diff(got, written_out), 1e-5)
            for index, length in enumerate(lengths):
                pooled = max_abs_diff(residue_mean(got[index], length + 2), residue_mean(written_out[index], length + 2))
                self.assertLessEqual(pooled, 1e-5)

    def test_token_dropout_rescale_and_zeroed_padding_follow_the_spec_formula(self):
        # With the representation taken before the first layer, the output is the scaled embedding.
        model = random_esm2(Esm2Config(layers=2, dim=16, heads=2, repr_layer=0), seed=1).eval()
        rows = [[0, 5, 32, 6, 32, 2], [0, 7, 8, 2]]
        tokens, mask = pad_batch(rows, esm_alphabet.PAD_ID)
        weight = model.embed_tokens.weight.detach()
        with torch.no_grad():
            got = model(tokens, mask)
        masked_row = weight[torch.tensor(rows[0])].clone()
        masked_row[[2, 4]] = 0
        self.assertLessEqual(max_abs_diff(got[0], masked_row * 0.88 / (1 - 2 / 6)), 1e-6)
        plain = weight[torch.tensor(rows[1])] * 0.88
        self.assertLessEqual(max_abs_diff(got[1, :4], plain), 1e-6)
        self.assertEqual(got[1, 4:].abs().max().item(), 0.0)

    def test_earlier_representation_layer_skips_the_final_norm(self):
        full = random_esm2(Esm2Config(layers=3, dim=24, heads=3), seed=2).eval()
        early = random_esm2(Esm2Config(layers=3, dim=24, heads=3, repr_layer=2), seed=9).eval()
        early.load_state_dict({k: v for k, v in full.state_dict().items() if k in early.state_dict()})
        self.assertEqual(len(early.layers), 2)
        self.assertIsInstance(early.emb_layer_norm_after, torch.nn.Identity)
        tokens, mask = pad_batch(protein_rows(self.rng, [10, 4]), esm_alphabet.PAD_ID)
        with torch.no_grad():
            x = full.embed_tokens(tokens) * 0.88 * mask[:, :, None]
            cos, sin = full.layers[0].self_attn.rot_emb.table(x.shape[1])
            for layer in full.layers[:2]:
                x = layer(x, mask == 0, cos, sin)
            self.assertLessEqual(max_abs_diff(early(tokens, mask), x), 1e-6)
            self.assertLessEqual(max_abs_diff(scripted_round_trip(early)(tokens, mask), x), FP32_EXPORT_TOLERANCE)


if __name__ == "__main__":
    unittest.main()
