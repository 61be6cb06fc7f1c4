// What every measurement needs from the run that hosts it.
export interface BenchContext {
  /** inputs and outputs of this run; replaced on every run */
  workDir: string;
  /** exported random models, kept between runs */
  modelCacheDir: string;
  cores: number;
  seed: number;
  log: (line: string) => void;
}
