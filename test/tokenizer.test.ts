import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { native } from '../src/native';
import { seededRandom, temporaryDir } from './embed/helpers';

// The native tokenizers against independent references: @huggingface/tokenizers on the same
// tokenizer.json files (trained at test time by test/fixtures/make_tokenizers.mjs, plus the demo
// model's tokenizer from scripts/virnucpro_models), and the ESM-2 alphabet of docs/behaviour.md §4 by hand.

const root = path.resolve(__dirname, '..');
const fixtures = path.join(__dirname, 'fixtures');
const runFile = promisify(execFile);

interface Case {
  name: string;
  file: string;
  sequences: number;
}

/** Ids per sequence from @huggingface/tokenizers, run in a child process (the package is ESM-only). */
async function oracleIds(tokenizerFile: string, sequences: string[], dir: string): Promise<number[][]> {
  const input = path.join(dir, `${path.basename(tokenizerFile)}.sequences.json`);
  writeFileSync(input, JSON.stringify(sequences));
  const { stdout } = await runFile(
    process.execPath,
    [path.join(fixtures, 'hf_tokenizers_oracle.mjs'), tokenizerFile, input],
    { maxBuffer: 1 << 30 },
  );
  return JSON.parse(stdout) as number[][];
}

async function nativeIds(name: string, sequences: string[]): Promise<number[][]> {
  const { ids, offsets } = await native().tokenize(name, sequences);
  return sequences.map((_, i) => Array.from(ids.subarray(offsets[i], offsets[i + 1])));
}

/**
 * Reads of 100-1,500 nt: mostly upper-case ACGT with N and the other IUPAC codes; some carry a
 * lower-case stretch, and a few carry spaces, punctuation or a special token's text, which the
 * normalizers, pre-tokenizers and added-token matching must treat as the reference does.
 */
function randomReads(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  const pick = (letters: string) => letters[Math.floor(random() * letters.length)];
  const reads: string[] = [];
  for (let r = 0; r < count; r += 1) {
    const length = 100 + Math.floor(random() * 1401);
    const chars: string[] = [];
    for (let i = 0; i < length; i += 1) {
      const roll = random();
      chars.push(roll < 0.97 ? pick('ACGT') : roll < 0.985 ? 'N' : pick('RYKMSWBDHV'));
    }
    if (random() < 0.1) {
      const start = Math.floor(random() * length);
      const end = Math.min(length, start + 1 + Math.floor(random() * 80));
      for (let i = start; i < end; i += 1) chars[i] = chars[i].toLowerCase();
    }
    if (random() < 0.03) {
      const inserts = [' ', '  ', '-', '.', '\t', '[MASK]', '[CLS]', '[PAD]x', '0_9', ' [SEP] '];
      chars.splice(Math.floor(random() * length), 0, inserts[Math.floor(random() * inserts.length)]);
    }
    reads.push(chars.join(''));
  }
  return reads;
}

describe('Hugging Face BPE tokenizer.json', () => {
  const dir = temporaryDir('tokenizers');
  const cases: Case[] = [];

  beforeAll(() => {
    const names = execFileSync(process.execPath, [path.join(fixtures, 'make_tokenizers.mjs'), dir], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    // The DNABERT-S form gets the full 10,000 reads; each variant 1,000 (the reference is slow).
    for (const name of names) {
      cases.push({
        name,
        file: path.join(dir, `${name}.json`),
        sequences: name === 'dnabert-4096' ? 10000 : 1000,
      });
    }
    const demo = path.join(dir, 'demo-model.json');
    execFileSync('/usr/bin/python3', [
      '-c',
      'import sys; sys.path.insert(0, sys.argv[1]); ' +
        'from virnucpro_models.bpe_tokenizer import write_dna_tokenizer; write_dna_tokenizer(sys.argv[2], 512, 11)',
      path.join(root, 'scripts'),
      demo,
    ]);
    cases.push({ name: 'demo-model', file: demo, sequences: 1000 });
  }, 300000);

  test('token ids equal @huggingface/tokenizers on random reads for every tokenizer.json', async () => {
    let seed = 1;
    const checks = cases.map(async (c) => {
      const reads = randomReads((seed += 1), c.sequences);
      native().loadTokenizer(c.name, 'hf', c.file);
      const [expected, actual] = await Promise.all([oracleIds(c.file, reads, dir), nativeIds(c.name, reads)]);
      const mismatches = reads
        .map((read, i) => ({ read, expected: expected[i], actual: actual[i] }))
        .filter((m) => JSON.stringify(m.expected) !== JSON.stringify(m.actual));
      return { name: c.name, compared: reads.length, mismatches: mismatches.length, first: mismatches[0] };
    });
    const results = await Promise.all(checks);
    expect(results.reduce((sum, r) => sum + r.compared, 0)).toBeGreaterThanOrEqual(10000);
    for (const result of results) expect(result).toEqual({ ...result, mismatches: 0, first: undefined });
  }, 600000);

  test('tokenizerInfo takes the pad id and vocabulary size from the file', () => {
    for (const c of cases) {
      native().loadTokenizer(c.name, 'hf', c.file);
      const info = native().tokenizerInfo(c.name);
      expect(info.kind).toBe('hf');
      expect(info.padId).toBe(3);
    }
    expect(native().tokenizerInfo('dnabert-4096').vocabSize).toBe(4096);
  });
});

interface TokenizerJson {
  truncation: unknown;
  padding: unknown;
  normalizer: unknown;
  pre_tokenizer: unknown;
  post_processor: unknown;
  added_tokens: { id: number; content: string; lstrip: boolean; [option: string]: unknown }[];
  decoder: unknown;
  version: string;
  model: {
    type: string;
    unk_token: string | null;
    end_of_word_suffix: string | null;
    fuse_unk: boolean;
    dropout: number | null;
    byte_fallback: boolean;
    continuing_subword_prefix: string | null;
    vocab: Record<string, number>;
    merges: (string | string[])[];
  };
}

// DNABERT-2's specials (docs/behaviour.md §3).
const SPECIAL_IDS = { '[UNK]': 0, '[CLS]': 1, '[SEP]': 2, '[PAD]': 3, '[MASK]': 4 };

/** A hand-made tokenizer.json: vocabulary A C G T plus merges, DNABERT-2's specials and template. */
function smallTokenizer(): TokenizerJson {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: Object.entries(SPECIAL_IDS).map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [1], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [2], tokens: ['[SEP]'] },
      },
    },
    decoder: null,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '[UNK]',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab: {
        ...SPECIAL_IDS,
        A: 5,
        C: 6,
        G: 7,
        T: 8,
        AC: 9,
        GT: 10,
        ACGT: 11,
      },
      merges: ['A C', 'G T', 'AC GT'],
    },
  };
}

function loadError(name: string, file: string): { code?: string; message: string } {
  try {
    native().loadTokenizer(name, 'hf', file);
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error(`${file} was accepted`);
}

describe('tokenizer.json files the native tokenizer refuses', () => {
  const dir = temporaryDir('tokenizer-refusals');
  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  };
  const variant = (name: string, change: (json: TokenizerJson) => unknown) => {
    const json = smallTokenizer();
    change(json);
    return write(`${name}.json`, JSON.stringify(json));
  };

  test('the hand-made file itself loads and tokenizes as worked by hand', async () => {
    native().loadTokenizer(
      'small',
      'hf',
      variant('small', () => undefined),
    );
    // ACGT -> A C G T -> AC G T -> AC GT -> ACGT; ACGA -> AC G A; N is unknown; a space splits words.
    expect(await nativeIds('small', ['ACGT', 'ACGA', 'ANT', 'AC GT', ''])).toEqual([
      [1, 11, 2],
      [1, 9, 7, 5, 2],
      [1, 5, 0, 8, 2],
      [1, 9, 10, 2],
      [1, 2],
    ]);
  });

  test.each([
    [
      'pre_tokenizer Metaspace',
      (j: TokenizerJson) => (j.pre_tokenizer = { type: 'Metaspace' }),
      /pre_tokenizer type "Metaspace"/,
    ],
    [
      'pre_tokenizer ByteLevel',
      (j: TokenizerJson) => (j.pre_tokenizer = { type: 'ByteLevel' }),
      /pre_tokenizer type "ByteLevel"/,
    ],
    [
      'normalizer BertNormalizer',
      (j: TokenizerJson) => (j.normalizer = { type: 'BertNormalizer' }),
      /normalizer type "BertNormalizer"/,
    ],
    ['model WordPiece', (j: TokenizerJson) => (j.model.type = 'WordPiece'), /model type "WordPiece"/],
    ['byte_fallback', (j: TokenizerJson) => (j.model.byte_fallback = true), /byte_fallback/],
    ['dropout', (j: TokenizerJson) => (j.model.dropout = 0.1), /dropout/],
    ['truncation', (j: TokenizerJson) => (j.truncation = { max_length: 512 }), /truncation/],
    ['fixed padding', (j: TokenizerJson) => (j.padding = { strategy: { Fixed: 512 }, pad_id: 3 }), /padding/],
    [
      'post_processor ByteLevel',
      (j: TokenizerJson) => (j.post_processor = { type: 'ByteLevel' }),
      /post_processor type "ByteLevel"/,
    ],
    ['added token lstrip', (j: TokenizerJson) => (j.added_tokens[4].lstrip = true), /lstrip/],
    [
      'merge outside the vocabulary',
      (j: TokenizerJson) => j.model.merges.push('T T'),
      /"TT".*not in model.vocab/,
    ],
  ])('%s is refused with ERR_TOKENIZER naming it', (name, change, message) => {
    const file = variant(name.replace(/\W+/g, '-'), change);
    const error = loadError('refused', file);
    expect(error.code).toBe('ERR_TOKENIZER');
    expect(error.message).toMatch(message);
    expect(error.message).toContain(file);
  });

  test('malformed JSON is refused naming the file and the line', () => {
    const file = write('broken.json', '{\n  "model": {\n    "type": "BPE",\n  }\n');
    const error = loadError('broken', file);
    expect(error.code).toBe('ERR_TOKENIZER');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/line 4/);
  });

  test('a missing file is refused naming it', () => {
    const error = loadError('missing', path.join(dir, 'absent.json'));
    expect(error.code).toBe('ERR_TOKENIZER');
    expect(error.message).toContain('absent.json');
  });

  test('non-ASCII text is refused naming the sequence, not tokenized differently', async () => {
    native().loadTokenizer(
      'small',
      'hf',
      variant('small', () => undefined),
    );
    await expect(native().tokenize('small', ['ACGT', 'AC\u00e9GT'])).rejects.toMatchObject({
      code: 'ERR_TOKENIZER',
      message: expect.stringMatching(/sequence 1: non-ASCII character at position 2/),
    });
  });

  test('continuing_subword_prefix follows the Rust crate: prefixed inner symbols, merged as a + b[prefix:]', async () => {
    // Not covered by @huggingface/tokenizers (it ignores the prefix), so worked by hand:
    // "ACAC" starts as A ##C ##A ##C; merge (A, ##C) -> AC and (##A, ##C) -> ##AC give AC ##AC.
    const file = variant('prefix', (j: TokenizerJson) => {
      j.model.continuing_subword_prefix = '##';
      j.model.vocab = {
        ...SPECIAL_IDS,
        A: 5,
        '##A': 6,
        '##C': 7,
        AC: 8,
        '##AC': 9,
      };
      j.model.merges = [
        ['A', '##C'],
        ['##A', '##C'],
      ];
    });
    native().loadTokenizer('prefix', 'hf', file);
    expect(await nativeIds('prefix', ['ACAC', 'CA'])).toEqual([
      [1, 8, 9, 2],
      [1, 0, 6, 2],
    ]);
  });

  test('an unknown tokenizer name is ERR_TOKENIZER', async () => {
    await expect(native().tokenize('never-loaded', ['ACGT'])).rejects.toMatchObject({
      code: 'ERR_TOKENIZER',
    });
    expect(() => native().tokenizerInfo('never-loaded')).toThrow(
      expect.objectContaining({ code: 'ERR_TOKENIZER' }),
    );
  });
});

describe('ESM-2 alphabet', () => {
  beforeAll(() => native().loadTokenizer('esm', 'esm', ''));

  test('each residue maps to its docs/behaviour.md id between <cls>=0 and <eos>=2', async () => {
    // L A G V S E R T I D P K Q N F Y M H W C X B U Z O . - are ids 4..30, in that order.
    expect(await nativeIds('esm', ['LAGVSERTIDPKQNFYMHWCXBUZO.-'])).toEqual([
      [0, ...Array.from({ length: 27 }, (_, i) => 4 + i), 2],
    ]);
    // M=20 K=15 V=7; a translated frame as VirNucPro feeds it.
    expect(await nativeIds('esm', ['MKV', ''])).toEqual([
      [0, 20, 15, 7, 2],
      [0, 2],
    ]);
  });

  test('characters outside the alphabet are <unk>=3, one per character', async () => {
    // J, *, lower case, a space and a two-byte character are not in the alphabet.
    expect(await nativeIds('esm', ['MJ*a L\u00e9'])).toEqual([[0, 20, 3, 3, 3, 3, 4, 3, 2]]);
  });

  test('tokenizerInfo gives <pad>=1 and the 33-token vocabulary', () => {
    expect(native().tokenizerInfo('esm')).toEqual({ padId: 1, vocabSize: 33, kind: 'esm' });
  });
});
