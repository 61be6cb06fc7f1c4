// Prints a float32 the way numpy's str() prints an np.float32 (the form VirNucPro's prediction files
// have): the shortest decimal that reads back as the same float32 (Steele-White/Dragon4 "unique"
// digits, the closer of two candidates, an exact tie to the even digit, interval edges included for
// an even mantissa), positional for
// 1e-4 <= |x| < 1e16 and scientific ('1e-05', '1.2345e-05') otherwise.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

interface Decimal {
  /** significant digits without trailing zeros */
  digits: string;
  /** power of ten of the first digit */
  exponent: number;
}

const POW10: bigint[] = [];
function pow10(n: number): bigint {
  return (POW10[n] ??= 10n ** BigInt(n));
}

/** Shortest digits that round-trip a positive finite float32, by exact integer arithmetic. */
function shortestDigits(value: number): Decimal {
  f32[0] = value;
  const bits = u32[0];
  const biased = (bits >>> 23) & 0xff;
  const fraction = bits & 0x7fffff;
  const m = biased === 0 ? fraction : fraction | 0x800000;
  const e = (biased === 0 ? 1 : biased) - 150;
  // value = 4m * 2^(e-2); the round-trip interval is (value - gapBelow/2, value + gapAbove/2), and the
  // gap below is half as wide when value is a power of two (the binade below is finer).
  const narrowBelow = fraction === 0 && biased > 1;
  const v = 4n * BigInt(m);
  const lowScaled = narrowBelow ? v - 1n : v - 2n;
  const highScaled = v + 2n;
  // a decimal exactly on the interval's edge reads back as value when value's mantissa is even
  // (round-half-even), which numpy counts
  const inclusive = m % 2 === 0;

  const log = Math.log10(value);
  let magnitude = Math.floor(log);
  // only a value within rounding of a power of ten needs the exact check of 10^magnitude <= value
  if (Math.abs(log - Math.round(log)) < 1e-9) {
    if (!atLeastPow10(value, magnitude)) magnitude--;
    else if (atLeastPow10(value, magnitude + 1)) magnitude++;
  }

  // The nearest p-digit decimal reads back (through a double) whenever any p-digit decimal lies in the
  // interval, unless the interval is lopsided; so the quick count is a safe start except at powers of two.
  for (let p = narrowBelow ? 1 : quickDigitCount(value); ; p++) {
    const k = magnitude - p + 1; // the last digit is worth 10^k
    let num = 1n;
    let den = 1n;
    const shift = e - 2;
    if (shift >= 0) num <<= BigInt(shift);
    else den <<= BigInt(-shift);
    if (k >= 0) den *= pow10(k);
    else num *= pow10(-k);
    const vNum = v * num;
    const below = vNum / den;
    const remainder = vNum - below * den;
    const belowOk = inclusive ? below * den >= lowScaled * num : below * den > lowScaled * num;
    const aboveHigh = (below + 1n) * den;
    const aboveOk = inclusive ? aboveHigh <= highScaled * num : aboveHigh < highScaled * num;
    if (!belowOk && !aboveOk) continue;
    let chosen: bigint;
    if (belowOk && aboveOk) {
      const twice = 2n * remainder;
      if (twice < den) chosen = below;
      else if (twice > den) chosen = below + 1n;
      else chosen = below % 2n === 0n ? below : below + 1n;
    } else chosen = belowOk ? below : below + 1n;
    const text = chosen.toString();
    const digits = text.replace(/0+$/, '');
    return { digits, exponent: k + text.length - 1 };
  }
}

/** Exactly whether value >= 10^n. */
function atLeastPow10(value: number, n: number): boolean {
  f32[0] = value;
  const bits = u32[0];
  const biased = (bits >>> 23) & 0xff;
  const m = BigInt(biased === 0 ? bits & 0x7fffff : (bits & 0x7fffff) | 0x800000);
  const e = (biased === 0 ? 1 : biased) - 150;
  let left = m;
  let right = 1n;
  if (e >= 0) left <<= BigInt(e);
  else right <<= BigInt(-e);
  if (n >= 0) right *= pow10(n);
  else left *= pow10(-n);
  return left >= right;
}

/** The fewest digits whose nearest decimal reads back as `value` through a double. */
function quickDigitCount(value: number): number {
  for (let p = 1; p < 9; p++) if (Math.fround(Number(value.toPrecision(p))) === value) return p;
  return 9;
}

export function formatFloat32(input: number): string {
  const value = Math.fround(input);
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const magnitude = Math.abs(value);
  if (magnitude === 0) return `${sign}0.0`;
  const { digits, exponent } = shortestDigits(magnitude);
  if (magnitude >= 1e-4 && magnitude < 1e16) return sign + positional(digits, exponent);
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exponentSign = exponent < 0 ? '-' : '+';
  return `${sign}${mantissa}e${exponentSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function positional(digits: string, exponent: number): string {
  if (exponent < 0) return `0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${whole}.${fraction === '' ? '0' : fraction}`;
}
