/**
 * Deterministic pseudo-random numbers written as SQL expressions, so the demo
 * data is generated inside the engine and is identical for the same seed on
 * any version: plain BIGINT arithmetic (multiply, xor-shift, modulo by the
 * prime 2^31 - 1), never the engine's own random() or hash().
 *
 * Every intermediate value stays below 2^63: inputs are reduced below 2^31
 * before each multiplication by a constant below 2^32.
 */

const PRIME = 2_147_483_647; // 2^31 - 1
const TERM_MULTIPLIERS = [1_103_515_245, 1_664_525_071, 2_038_074_743, 1_299_709_433];
const ROUND_MULTIPLIERS = [2_654_435_761, 2_246_822_519];

/** The seed and a per-use salt folded into one constant below 2^31 (exact in JS). */
function constantFor(seed: number, salt: number): number {
  let x = (Math.abs(Math.trunc(seed)) % PRIME) + 1;
  for (const m of [salt + 1, 97 + salt * 31]) {
    x = Number((BigInt(x) * BigInt(ROUND_MULTIPLIERS[0] as number) + BigInt(m)) % BigInt(PRIME));
  }
  return x;
}

/**
 * SQL for a pseudo-random integer in [0, 2^31 - 1) from non-negative integer
 * SQL expressions `terms` (each below 2^31), the seed and a salt that makes
 * independent streams for the same terms.
 */
export function randomInt(seed: number, salt: number, terms: readonly string[]): string {
  if (terms.length === 0 || terms.length > TERM_MULTIPLIERS.length)
    throw new Error(`randomInt takes 1 to ${TERM_MULTIPLIERS.length} terms`);
  const parts = terms.map((t, i) => `((CAST(${t} AS BIGINT) * ${TERM_MULTIPLIERS[i]}) % ${PRIME})`);
  let x = `((${parts.join(' + ')} + ${constantFor(seed, salt)}) % ${PRIME})`;
  for (const m of ROUND_MULTIPLIERS) x = `((xor(${x}, ${x} >> 15) * ${m}) % ${PRIME})`;
  return x;
}

/** SQL for a pseudo-random DOUBLE uniform in [0, 1). */
export function randomUnit(seed: number, salt: number, terms: readonly string[]): string {
  return `(CAST(${randomInt(seed, salt, terms)} AS DOUBLE) / ${PRIME})`;
}
