import {
  countNonAcgt,
  identifyFrames,
  reverseComplement,
  translateFrame,
} from '../../src/pipeline/translate';

describe('translateFrame', () => {
  it('uses the standard code with * for stops', () => {
    expect(translateFrame('ATGGCCTAAGGG', 0)).toBe('MA*G');
    expect(translateFrame('TTTTTCTTATTGTGGTGA', 0)).toBe('FFLLW*');
  });

  it('translates only complete codons from the offset', () => {
    expect(translateFrame('ATGGCCA', 1)).toBe('WP');
    expect(translateFrame('ATGGC', 0)).toBe('M');
  });

  it('drops codons with N or IUPAC codes silently (no X)', () => {
    expect(translateFrame('ATGNNNGCCRTAGGG', 0)).toBe('MAG');
  });
});

describe('reverseComplement', () => {
  it('swaps A/T and C/G, leaves other characters, reverses', () => {
    expect(reverseComplement('AACGTN-R')).toBe('R-NACGTT');
  });
});

describe('identifyFrames (docs/behaviour.md §2)', () => {
  it('keeps stop-free frames in order F1..F3, R1..R3 with the extra base and id suffixes', () => {
    // F1: ATG GCC ATT GCC C -> MAIA; F2: TGG CCA TTG CCC -> WPLP; F3: GGC CAT TGC CC -> GHC
    // reverse complement GGGCAATGGCCAT: R1 GGG CAA TGG CCA T -> GQWP; R2 GGC AAT GGC CAT -> GNGH;
    // R3 GCA ATG GCC AT -> AMA
    const frames = identifyFrames('read7_chunk_1', 'atggccattgccc');
    expect(frames).toEqual([
      { id: 'read7_chunk_1F1', protein: 'MAIA', nucleotide: 'ATGGCCATTGCCC' },
      { id: 'read7_chunk_1F2', protein: 'WPLP', nucleotide: 'TGGCCATTGCCC' },
      { id: 'read7_chunk_1F3', protein: 'GHC', nucleotide: 'GGCCATTGCC' },
      { id: 'read7_chunk_1R1', protein: 'GQWP', nucleotide: 'GGGCAATGGCCAT' },
      { id: 'read7_chunk_1R2', protein: 'GNGH', nucleotide: 'GGCAATGGCCAT' },
      { id: 'read7_chunk_1R3', protein: 'AMA', nucleotide: 'GCAATGGCCA' },
    ]);
  });

  it('drops every frame with a stop anywhere', () => {
    // F1 ATG TAA GGG -> M*G dropped; F2 TGT AAG GG -> CK; F3 GTA AGG G -> VR
    // RC CCCTTACAT: R1 CCC TTA CAT -> PLH; R2 CCT TAC AT -> PY; R3 CTT ACA T -> LT
    const ids = identifyFrames('x', 'ATGTAAGGG').map((f) => f.id);
    expect(ids).toEqual(['xF2', 'xF3', 'xR1', 'xR2', 'xR3']);
    const stops = identifyFrames('y', 'TAATAATAATAA'); // forward TAA..., reverse TTA TTA...
    expect(stops.map((f) => f.id)).toEqual(['yF2', 'yF3', 'yR1', 'yR2', 'yR3']);
  });

  it('takes 3*len(protein)+1 bases, so a frame shortened by N codons ends early', () => {
    // F1: ATG NNN GCC GGG -> MAG (NNN dropped); nucleotide = first 3*3+1 = 10 bases
    const [f1] = identifyFrames('n', 'ATGNNNGCCGGG');
    expect(f1).toEqual({ id: 'nF1', protein: 'MAG', nucleotide: 'ATGNNNGCCG' });
  });

  it('clips the extra base at the end of the chunk', () => {
    const [f1] = identifyFrames('c', 'ATGGCC');
    expect(f1).toEqual({ id: 'cF1', protein: 'MA', nucleotide: 'ATGGCC' });
  });

  it('drops empty proteins (too short or all ambiguous)', () => {
    expect(identifyFrames('s', 'AT')).toEqual([]);
    expect(identifyFrames('s', 'NNNNNNNN')).toEqual([]);
  });

  it('upper-cases the chunk first', () => {
    expect(identifyFrames('u', 'atggcc')).toEqual(identifyFrames('u', 'ATGGCC'));
  });
});

describe('countNonAcgt', () => {
  it('counts every character whose codons translation drops: N, IUPAC codes, gaps, U, in either case', () => {
    expect(countNonAcgt('ACGTacgt')).toBe(0);
    expect(countNonAcgt('ACNTrY-.u')).toBe(6);
    expect(countNonAcgt('')).toBe(0);
  });
});
