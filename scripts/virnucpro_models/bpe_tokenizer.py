"""A small byte-pair-encoding tokenizer for DNA, written as a tokenizer.json shaped like DNABERT-2's.

DNABERT-2 (and DNABERT-S, which reuses it) declares: specials [UNK]=0 [CLS]=1 [SEP]=2 [PAD]=3
[MASK]=4 as added tokens, a BPE model with unk_token [UNK] and string merges, no normalizer, the
Whitespace pre-tokenizer, and a template post-processor that wraps a sequence in [CLS] ... [SEP].
"""

import heapq
import json
import random
from collections import Counter, defaultdict
from typing import Dict, List, Sequence, Tuple

SPECIAL_TOKENS = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
UNK_ID, CLS_ID, SEP_ID, PAD_ID, MASK_ID = range(len(SPECIAL_TOKENS))
DNA_ALPHABET = "ACGTN"


def train_bpe(words: Sequence[str], vocab_size: int) -> Tuple[Dict[str, int], List[Tuple[str, str]]]:
    """Merge the most frequent adjacent pair until the vocabulary (specials included) is full.

    Ties go to the pair that sorts first, so a corpus always gives the same tokenizer."""
    vocab: Dict[str, int] = {token: index for index, token in enumerate(SPECIAL_TOKENS)}
    for symbol in sorted(set("".join(words))):
        vocab[symbol] = len(vocab)
    word_counts = Counter(words)
    pieces = [list(word) for word in word_counts]
    counts = list(word_counts.values())
    pair_counts: Counter = Counter()
    words_with_pair: Dict[Tuple[str, str], set] = defaultdict(set)
    for index, symbols in enumerate(pieces):
        for pair in zip(symbols, symbols[1:]):
            pair_counts[pair] += counts[index]
            words_with_pair[pair].add(index)
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)
    merges: List[Tuple[str, str]] = []
    while len(vocab) < vocab_size and heap:
        negative_count, best = heapq.heappop(heap)
        # Entries go stale when a merge changes a count; the current one was pushed again then.
        if pair_counts.get(best, 0) != -negative_count or negative_count == 0:
            continue
        merged = best[0] + best[1]
        merges.append(best)
        vocab.setdefault(merged, len(vocab))
        changed = set()
        for index in words_with_pair.pop(best):
            symbols = pieces[index]
            for pair in zip(symbols, symbols[1:]):
                pair_counts[pair] -= counts[index]
                changed.add(pair)
            rebuilt: List[str] = []
            position = 0
            while position < len(symbols):
                if position + 1 < len(symbols) and (symbols[position], symbols[position + 1]) == best:
                    rebuilt.append(merged)
                    position += 2
                else:
                    rebuilt.append(symbols[position])
                    position += 1
            pieces[index] = rebuilt
            for pair in zip(rebuilt, rebuilt[1:]):
                pair_counts[pair] += counts[index]
                words_with_pair[pair].add(index)
                changed.add(pair)
        for pair in changed:
            if pair_counts[pair] > 0:
                heapq.heappush(heap, (-pair_counts[pair], pair))
    return vocab, merges


def random_dna_corpus(rng: random.Random, words: int, min_length: int, max_length: int) -> List[str]:
    """Random A/C/G/T words with a sprinkle of N, as training text for a demo tokenizer."""
    weights = [0.245, 0.245, 0.245, 0.245, 0.02]
    return [
        "".join(rng.choices(DNA_ALPHABET, weights=weights, k=rng.randint(min_length, max_length)))
        for _ in range(words)
    ]


def _special_entry(token: str, token_id: int) -> dict:
    return {
        "id": token_id,
        "content": token,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": True,
    }


def tokenizer_json(vocab: Dict[str, int], merges: Sequence[Tuple[str, str]]) -> dict:
    def template_piece(token: str) -> dict:
        return {"SpecialToken": {"id": token, "type_id": 0}}

    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [_special_entry(token, vocab[token]) for token in SPECIAL_TOKENS],
        "normalizer": None,
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [template_piece("[CLS]"), {"Sequence": {"id": "A", "type_id": 0}}, template_piece("[SEP]")],
            "pair": [
                template_piece("[CLS]"),
                {"Sequence": {"id": "A", "type_id": 0}},
                template_piece("[SEP]"),
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 1}},
            ],
            "special_tokens": {
                token: {"id": token, "ids": [vocab[token]], "tokens": [token]} for token in ("[CLS]", "[SEP]")
            },
        },
        "decoder": None,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": "[UNK]",
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": vocab,
            "merges": [f"{left} {right}" for left, right in merges],
        },
    }


def write_dna_tokenizer(path: str, vocab_size: int, seed: int) -> Dict[str, int]:
    """Train on random DNA and write tokenizer.json; returns the vocabulary."""
    rng = random.Random(seed)
    # Enough text that every vocabulary size up to DNABERT-2's 4096 has pairs left to merge.
    corpus = random_dna_corpus(rng, words=max(200, vocab_size), min_length=20, max_length=60)
    vocab, merges = train_bpe(corpus, vocab_size)
    if len(vocab) != vocab_size:
        raise ValueError(f"random DNA text gave only {len(vocab)} tokens, {vocab_size} asked for")
    with open(path, "w", encoding="utf-8") as out:
        json.dump(tokenizer_json(vocab, merges), out, indent=1)
        out.write("\n")
    return vocab


def special_ids(tokenizer: dict) -> Dict[str, int]:
    """cls/sep/pad/unk ids as a tokenizer.json declares them (added tokens first, then the vocab)."""
    ids = {entry["content"]: entry["id"] for entry in tokenizer.get("added_tokens", [])}
    vocab = tokenizer.get("model", {}).get("vocab", {})
    found = {}
    for name, token in (("cls_id", "[CLS]"), ("sep_id", "[SEP]"), ("pad_id", "[PAD]"), ("unk_id", "[UNK]")):
        token_id = ids.get(token, vocab.get(token))
        if token_id is None:
            raise ValueError(f"tokenizer.json declares no {token} token")
        found[name] = int(token_id)
    return found
