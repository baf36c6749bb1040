import { KiteError } from "../errors/kite-error.ts";

/**
 * A Kubernetes resource quantity, held exactly: the value is
 * `unscaled × 10^-scale`. Parsing follows apimachinery's resource.Quantity:
 * digits below the nano unit round up (away from zero), and values in the
 * SI formats are capped at the int64 maximum.
 */
export interface Quantity {
  readonly unscaled: bigint;
  readonly scale: number;
  readonly format: QuantityFormat;
}

/** The format a quantity was written in, which decides its canonical form. */
export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

const decimalSuffixes: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const binarySuffixes: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalByExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binaryByExponent = new Map(Object.entries(binarySuffixes).map(([s, e]) => [e, s]));
const suffixChars = "eEinumkKMGTP";
/** apimachinery rounds every parsed value to this many decimal places. */
const nanoScale = 9;
/** Exponents beyond this are refused (upstream would build enormous numbers). */
const maxExponent = 1000;
const int64Max = 9223372036854775807n;

export const zeroQuantity: Quantity = Object.freeze({ unscaled: 0n, scale: 0, format: "DecimalSI" });

function quantityError(input: string, why: string, field?: string): KiteError {
  return new KiteError("invalid_argument", `quantity ${JSON.stringify(input)} ${why}`, { field });
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/**
 * Parses a quantity string ("100Mi", "1.5Gi", "250m", "1e3", "0.1", "5n", "2Ei").
 * A number (as YAML readers produce for `cpu: 1`) is accepted too.
 * @param field the field path to name in the error, if any
 */
export function parseQuantity(input: string | number, field?: string): Quantity {
  const str = typeof input === "number" ? numberToQuantityString(input, field) : input;
  if (typeof str !== "string") throw quantityError(String(str), "is not a string", field);
  if (str.length === 0) throw quantityError(str, "is empty", field);
  let pos = 0;
  const end = str.length;
  let negative = false;
  if (str[0] === "-" || str[0] === "+") {
    negative = str[0] === "-";
    pos++;
  }
  const numStart = pos;
  while (isDigit(str[pos])) pos++;
  const whole = str.slice(numStart, pos);
  let fraction = "";
  if (str[pos] === ".") {
    pos++;
    const fracStart = pos;
    while (isDigit(str[pos])) pos++;
    fraction = str.slice(fracStart, pos);
  }
  if (whole.length === 0 && fraction.length === 0) {
    throw quantityError(str, "has no number", field);
  }
  const suffixStart = pos;
  while (pos < end && suffixChars.includes(str[pos]!)) pos++;
  if (str[pos] === "-" || str[pos] === "+") pos++;
  while (isDigit(str[pos])) pos++;
  if (pos < end) {
    throw quantityError(
      str,
      "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      field,
    );
  }
  const suffix = str.slice(suffixStart);

  let format: QuantityFormat;
  let base10Exponent = 0;
  let base2Exponent = 0;
  const dec = decimalSuffixes[suffix];
  const bin = binarySuffixes[suffix];
  if (dec !== undefined) {
    format = "DecimalSI";
    base10Exponent = dec;
  } else if (bin !== undefined) {
    format = "BinarySI";
    base2Exponent = bin;
  } else if (
    suffix.length > 1 &&
    (suffix[0] === "e" || suffix[0] === "E") &&
    /^[+-]?[0-9]+$/.test(suffix.slice(1))
  ) {
    format = "DecimalExponent";
    base10Exponent = Number(suffix.slice(1));
    if (!Number.isSafeInteger(base10Exponent) || Math.abs(base10Exponent) > maxExponent) {
      throw quantityError(str, `has an exponent beyond ±${maxExponent}`, field);
    }
  } else {
    throw quantityError(str, `has an unknown suffix ${JSON.stringify(suffix)}`, field);
  }

  let unscaled = BigInt((whole || "0") + fraction);
  let scale = fraction.length - base10Exponent;
  if (base2Exponent > 0) unscaled <<= BigInt(base2Exponent);
  if (scale > nanoScale && unscaled !== 0n) {
    const divisor = 10n ** BigInt(scale - nanoScale);
    const rounded = unscaled / divisor;
    unscaled = rounded * divisor === unscaled ? rounded : rounded + 1n;
    scale = nanoScale;
  }
  if (format !== "DecimalExponent" && compareMagnitude(unscaled, scale, int64Max) > 0) {
    unscaled = int64Max;
    scale = 0;
  }
  if (negative) unscaled = -unscaled;
  return normalize(unscaled, scale, format);
}

function numberToQuantityString(n: number, field?: string): string {
  if (!Number.isFinite(n)) throw quantityError(String(n), "is not a finite number", field);
  return String(n).replace("e+", "e");
}

/** |unscaled × 10^-scale| compared with a non-negative integer. */
function compareMagnitude(unscaled: bigint, scale: number, limit: bigint): number {
  const abs = unscaled < 0n ? -unscaled : unscaled;
  if (scale <= 0) {
    const v = abs * 10n ** BigInt(-scale);
    return v === limit ? 0 : v > limit ? 1 : -1;
  }
  const l = limit * 10n ** BigInt(scale);
  return abs === l ? 0 : abs > l ? 1 : -1;
}

/** Drops trailing zero digits of the unscaled value, so equal values share a shape. */
function normalize(unscaled: bigint, scale: number, format: QuantityFormat): Quantity {
  if (unscaled === 0n) return Object.freeze({ unscaled: 0n, scale: 0, format });
  while (unscaled % 10n === 0n) {
    unscaled /= 10n;
    scale--;
  }
  return Object.freeze({ unscaled, scale, format });
}

/** A quantity from an integer count of base units (bytes, cores, pods). */
export function quantityFromInt(value: number | bigint, format: QuantityFormat = "DecimalSI"): Quantity {
  return normalize(BigInt(value), 0, format);
}

/** A quantity from an integer count of thousandths (millicores). */
export function quantityFromMilli(milli: number | bigint, format: QuantityFormat = "DecimalSI"): Quantity {
  return normalize(BigInt(milli), 3, format);
}

/** The value scaled by 10^-targetScale, rounded up away from zero, as apimachinery's ScaledValue does. */
function scaledBig(q: Quantity, targetScale: number): bigint {
  const shift = q.scale - targetScale;
  if (shift <= 0) return q.unscaled * 10n ** BigInt(-shift);
  const divisor = 10n ** BigInt(shift);
  const quotient = q.unscaled / divisor;
  if (quotient * divisor === q.unscaled) return quotient;
  return q.unscaled > 0n ? quotient + 1n : quotient - 1n;
}

/** The value in base units, rounded up away from zero (Quantity.Value). */
export function quantityValueBig(q: Quantity): bigint {
  return scaledBig(q, 0);
}

/** The value in thousandths, rounded up away from zero (Quantity.MilliValue). */
export function quantityMilliValueBig(q: Quantity): bigint {
  return scaledBig(q, 3);
}

/** Quantity.Value as a number (exact up to 2^53). */
export function quantityValue(q: Quantity): number {
  return Number(scaledBig(q, 0));
}

/** Quantity.MilliValue as a number (exact up to 2^53). */
export function quantityMilliValue(q: Quantity): number {
  return Number(scaledBig(q, 3));
}

/** Quantity.ScaledValue: the value in units of 10^exponent, rounded up away from zero. */
export function quantityScaledValue(q: Quantity, exponent: number): number {
  return Number(scaledBig(q, -exponent));
}

/** Compares two quantities by value: -1, 0 or 1. */
export function compareQuantity(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const scale = Math.max(a.scale, b.scale);
  const av = a.unscaled * 10n ** BigInt(scale - a.scale);
  const bv = b.unscaled * 10n ** BigInt(scale - b.scale);
  return av === bv ? 0 : av < bv ? -1 : 1;
}

/** Sum of two quantities; keeps the format of `a` unless `a` is zero (as Quantity.Add). */
export function addQuantity(a: Quantity, b: Quantity): Quantity {
  const scale = Math.max(a.scale, b.scale);
  const sum = a.unscaled * 10n ** BigInt(scale - a.scale) + b.unscaled * 10n ** BigInt(scale - b.scale);
  return normalize(sum, scale, a.unscaled === 0n ? b.format : a.format);
}

/** Difference of two quantities; keeps the format of `a` unless `a` is zero (as Quantity.Sub). */
export function subtractQuantity(a: Quantity, b: Quantity): Quantity {
  return addQuantity(a, negateQuantity(b));
}

export function negateQuantity(q: Quantity): Quantity {
  return normalize(-q.unscaled, q.scale, q.format);
}

export function isZeroQuantity(q: Quantity): boolean {
  return q.unscaled === 0n;
}

/** The canonical string form, as apimachinery's Quantity.String prints it. */
export function formatQuantity(q: Quantity): string {
  if (q.unscaled === 0n) return "0";
  let format = q.format;
  if (format === "BinarySI") {
    const small = compareMagnitude(q.unscaled, q.scale, 1024n) < 0;
    if (small || q.scale > 0) format = "DecimalSI";
  }
  if (format === "BinarySI") {
    let amount = q.unscaled * 10n ** BigInt(-q.scale);
    let exponent = 0;
    while (amount % 1024n === 0n && binaryByExponent.has((exponent + 1) * 10)) {
      amount /= 1024n;
      exponent++;
    }
    return `${amount}${binaryByExponent.get(exponent * 10) ?? ""}`;
  }
  let amount = q.unscaled;
  let exponent = -q.scale;
  while (amount % 10n === 0n) {
    amount /= 10n;
    exponent++;
  }
  while (exponent % 3 !== 0) {
    amount *= 10n;
    exponent--;
  }
  if (format === "DecimalSI") {
    const suffix = decimalByExponent.get(exponent);
    if (suffix !== undefined) return `${amount}${suffix}`;
  }
  return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
}

/** Parses and prints back in canonical form. */
export function canonicalQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}
