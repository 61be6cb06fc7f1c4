// The whole native surface of the addon. Every options object is validated with zod in src/ before it
// gets here; C++ still checks shapes, dtypes and ranges and throws NativeError.
// Requiring the binding throws an Error with code 'ERR_ADDON_LOAD' when the addon cannot be loaded (no
// binary for the platform, libtorch missing or of another release than libtorch.json beside the binary
// records, CUDA libraries missing); its message lists what was tried and the fixes that apply.

/** Stable error codes carried by every Error the addon throws or rejects with. */
export type NativeErrorCode =
  | 'ERR_MODEL_FILE_MISSING' // the model path does not exist or is not readable
  | 'ERR_MODEL_FORMAT' // the file is not a loadable TorchScript archive
  | 'ERR_MODEL_NOT_LOADED' // no model registered under that name
  | 'ERR_INPUT_DTYPE' // tokens/mask/features of the wrong typed-array kind
  | 'ERR_INPUT_SHAPE' // wrong rank, or element count not equal to the product of the shape
  | 'ERR_TOKEN_RANGE' // a token id < 0 or >= the model's vocabulary size
  | 'ERR_OUT_OF_MEMORY' // device (or host) allocation failed; the caller may split the batch
  | 'ERR_DEVICE' // unknown device string or a CUDA device that is not present
  | 'ERR_TOKENIZER' // tokenizer file unreadable, malformed, or uses an unsupported feature
  | 'ERR_INTERNAL'; // any other libtorch or C++ failure

export interface NativeError extends Error {
  code: NativeErrorCode;
}

export type Dtype = 'fp32' | 'fp16' | 'bf16';

/** How hidden states [B,L,D] are reduced on the device before they cross to JS. */
export type Pooling =
  | 'none' // full hidden states, [B,L,D]
  | 'esm-mean' // mean over positions 1..min(len,1024), len = real tokens - 2 (no BOS, EOS, padding)
  | 'masked-mean'; // mean over every position whose mask is 1 (DNABERT-S: [CLS] and [SEP] included)

export interface DeviceInfo {
  index: number;
  name: string;
  totalMemoryBytes: number;
  freeMemoryBytes: number;
}

export interface AllocatorStats {
  allocatedBytes: number;
  reservedBytes: number;
  peakAllocatedBytes: number;
  peakReservedBytes: number;
  numAllocRetries: number;
  numOoms: number;
}

export interface BuildInfo {
  torchVersion: string;
  variant: 'cpu' | 'cuda';
  cudaVersion: string | null;
  cudaDeviceCount: number;
  devices: DeviceInfo[];
  /** PYTORCH_CUDA_ALLOC_CONF as the addon left it at initialisation (null: unset). */
  allocConf: string | null;
  /** Why the addon did not add expandable_segments:True (libtorch before 2.1 rejects it); null when it did. */
  allocConfNote: string | null;
  interopThreads: number;
  intraopThreads: number;
  /** Present on CUDA builds with a device, per device index. */
  allocator: AllocatorStats[] | null;
}

export interface LoadOptions {
  /** 'cpu' or 'cuda:N'. */
  device: string;
  dtype: Dtype;
}

export interface ModelInfo {
  name: string;
  path: string;
  device: string;
  dtype: Dtype;
  /** true when the name was already registered with the same path/device/dtype and nothing was read. */
  reused: boolean;
  loadSeconds: number;
  /** the module's int attribute vocab_size when it has one, else -1 */
  vocabSize: number;
  /** the module's int attribute hidden_dim when it has one, else -1 */
  hiddenDim: number;
}

export interface ForwardInput {
  /** row-major token ids, rows*cols of them */
  tokens: Int32Array | BigInt64Array;
  /** 1 for a real token, 0 for padding; same length as tokens */
  mask: Int32Array | Uint8Array;
  /** [rows, cols]; any other rank is ERR_INPUT_SHAPE */
  shape: number[];
  pooling: Pooling;
}

export interface ForwardOutput {
  data: Float32Array;
  /** [rows, D] when pooled, [rows, cols, D] for 'none' */
  shape: number[];
  forwardSeconds: number;
}

export interface FeaturesInput {
  features: Float32Array;
  /** [rows, dim] */
  shape: number[];
}

export interface TokenizedBatch {
  /** all sequences' ids concatenated */
  ids: Int32Array;
  /** offsets[i]..offsets[i+1] are sequence i's ids; length n+1 */
  offsets: Uint32Array;
}

export interface RegistryStats {
  /** TorchScript files actually read by this process (a reuse does not count) */
  modelLoads: number;
  cacheClears: number;
  forwardCalls: number;
  forwardSeconds: number;
  models: string[];
  tokenizers: string[];
}

/** PYTORCH_CUDA_ALLOC_CONF as the addon leaves it, and why when it leaves expandable segments off. */
export interface AllocConf {
  value: string | null;
  note: string | null;
}

export interface NativeAddon {
  /** Lists devices with their free memory: creates a CUDA context on every visible device. */
  buildInfo(): BuildInfo;
  /** The allocator setting the addon applied when it loaded; creates no CUDA context. */
  allocConf(): AllocConf;
  /** The addon's allocator rule alone, for a libtorch version ('2.1') and the variable as a user set it. */
  allocConfFor(torchVersion: string, current: string | null): AllocConf;
  /** The CUDA devices this process sees (0 on a CPU build), without creating any CUDA context. */
  cudaDeviceCount(): number;
  setThreads(intraop: number): void;
  /** libtorch's deterministic algorithms (and cuBLAS's workspace setting on CUDA); before any model loads. */
  useDeterministicAlgorithms(): void;

  loadModel(name: string, path: string, options: LoadOptions): Promise<ModelInfo>;
  unloadModel(name: string): boolean;
  /** Runs an embedding module: forward(tokens [B,L] int64, mask [B,L]) -> hidden [B,L,D], pooled here. */
  forward(name: string, input: ForwardInput): Promise<ForwardOutput>;
  /**
   * Runs a classifier module on features [N,dim], one row at a time (so a row's scores depend on it
   * alone), and returns softmax probabilities [N,classes].
   */
  classify(name: string, input: FeaturesInput): Promise<ForwardOutput>;

  /** Empties the CUDA caching allocator's unused blocks (a counted no-op on CPU builds); returns cacheClears. */
  clearCache(): number;
  stats(): RegistryStats;
  /** Test-only: the next `count` forward() calls with at least `minRows` rows reject with ERR_OUT_OF_MEMORY. */
  injectOutOfMemory(count: number, minRows: number): void;

  /** kind 'esm': the ESM-2 alphabet (path ignored, may be ''); kind 'hf': a Hugging Face tokenizer.json file. */
  loadTokenizer(name: string, kind: 'esm' | 'hf', path: string): void;
  /** Token ids with the specials the tokenizer adds (<cls>..<eos> or [CLS]..[SEP]); runs off the JS thread. */
  tokenize(name: string, sequences: string[]): Promise<TokenizedBatch>;
  /** Special ids of a loaded tokenizer. */
  tokenizerInfo(name: string): { padId: number; vocabSize: number; kind: 'esm' | 'hf' };
}
