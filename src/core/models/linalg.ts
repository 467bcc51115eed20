import { badInput, KhaosError } from '../errors.js';

/**
 * Small dense numerics for the models: least squares by Householder QR (no normal equations, so
 * the condition number is not squared), least squares under box bounds, and a deterministic 1-D
 * minimiser. Matrices are arrays of rows, at most a few columns; rows may be millions (see
 * {@link ReducedLeastSquares}).
 */

export type Matrix = readonly (readonly number[])[];

/** A solved least-squares problem: coefficients and the sum of squared residuals. */
export interface LeastSquaresFit {
  coef: number[];
  sse: number;
}

/** Either a solution, or the first column (in order) that is a linear combination of the ones before it. */
export type LeastSquaresOutcome = ({ ok: true } & LeastSquaresFit) | { ok: false; dependentColumn: number };

/** |R_kk| of a unit-norm column below this means the column adds nothing new. */
const RANK_TOL = 1e-9;

/**
 * A least-squares problem over n rows, reduced to p rows with the same solutions: X = Q·R gives
 * ‖X·b − y‖² = ‖R·b − Qᵀy‖² + rss, so `rows` = R (p × p, upper triangular), `rhs` = the first p
 * entries of Qᵀy and `rss` = what no b can explain. Built by Givens rotations streamed over the
 * rows, O(n·p²) time and O(p²) memory: every solve and every active set of
 * {@link boxLeastSquares} then costs O(p³), whatever n is. Orthogonal, so the columns keep their
 * norms (the rank test below sees the same scales) and the condition number is not squared.
 */
export interface ReducedLeastSquares {
  /** Rows of the original problem. */
  n: number;
  rows: number[][];
  rhs: number[];
  rss: number;
}

/**
 * Reduces the n × p problem whose row i is written into `row` by `fill(i, row)`, which returns
 * y_i. Taking rows through a callback spares the caller an n-row matrix of small arrays.
 */
export function reduceRows(n: number, p: number, fill: (i: number, row: Float64Array) => number): ReducedLeastSquares {
  // T is the (p+1) × (p+1) triangle of [X | y]; its last diagonal entry accumulates √rss.
  const T = Array.from({ length: p + 1 }, () => new Float64Array(p + 1));
  const row = new Float64Array(p + 1);
  for (let i = 0; i < n; i++) {
    row.fill(0);
    row[p] = fill(i, row);
    for (let k = 0; k <= p; k++) {
      const b = row[k]!;
      if (b === 0) continue;
      const Tk = T[k]!;
      const a = Tk[k]!;
      const h = Math.sqrt(a * a + b * b);
      if (!(h > 0) || !Number.isFinite(h)) {
        // NaN or ±Infinity: make the column unusable so the rank test reports it.
        Tk[k] = NaN;
        continue;
      }
      const c = a / h;
      const s = b / h;
      Tk[k] = h;
      for (let j = k + 1; j <= p; j++) {
        const t = Tk[j]!;
        Tk[j] = c * t + s * row[j]!;
        row[j] = c * row[j]! - s * t;
      }
    }
  }
  return { n, rows: T.slice(0, p).map((r) => Array.from(r.subarray(0, p))), rhs: T.slice(0, p).map((r) => r[p]!), rss: T[p]![p]! ** 2 };
}

/** {@link reduceRows} of a matrix given as rows. */
export function reduce(X: Matrix, y: readonly number[]): ReducedLeastSquares {
  const p = X.length === 0 ? 0 : X[0]!.length;
  return reduceRows(X.length, p, (i, row) => {
    const r = X[i]!;
    for (let j = 0; j < p; j++) row[j] = r[j]!;
    return y[i]!;
  });
}

/** Euclidean norm of column j, without spreading the column into Math.hypot (which overflows the stack at ~10⁵ rows). */
function columnNorm(X: Matrix, j: number): number {
  let max = 0;
  for (const r of X) max = Math.max(max, Math.abs(r[j]!));
  if (!(max > 0) || !Number.isFinite(max)) return max;
  let sum = 0;
  for (const r of X) sum += (r[j]! / max) ** 2;
  return max * Math.sqrt(sum);
}

/**
 * Minimises ‖X·b − y‖² by Householder QR on unit-norm-scaled columns. Never throws: a rank
 * deficient X (fewer rows than columns, a zero column, or a column dependent on earlier ones)
 * comes back as `{ok: false, dependentColumn}`. A {@link ReducedLeastSquares} may stand for X, y.
 */
export function solveLeastSquares(X: Matrix | ReducedLeastSquares, y: readonly number[] = []): LeastSquaresOutcome {
  if (isReduced(X)) {
    if (X.n < X.rows.length) return { ok: false, dependentColumn: X.n };
    const r = solveSmall(X.rows, X.rhs);
    return r.ok ? { ...r, sse: r.sse + X.rss } : r;
  }
  const p = X.length === 0 ? 0 : X[0]!.length;
  if (X.length < p) return { ok: false, dependentColumn: X.length };
  // Above a few rows per column, solving the reduced problem is cheaper than QR of X itself.
  return X.length > 4 * p ? solveLeastSquares(reduce(X, y)) : solveSmall(X, y);
}

const isReduced = (X: Matrix | ReducedLeastSquares): X is ReducedLeastSquares => !Array.isArray(X);

function solveSmall(X: Matrix, y: readonly number[]): LeastSquaresOutcome {
  const n = X.length;
  const p = n === 0 ? 0 : X[0]!.length;
  if (n < p) return { ok: false, dependentColumn: n };
  const scale = Array.from({ length: p }, (_, j) => columnNorm(X, j));
  const zero = scale.findIndex((s) => !(s > 0) || !Number.isFinite(s));
  if (zero >= 0) return { ok: false, dependentColumn: zero };
  const A = X.map((r) => r.map((v, j) => v / scale[j]!));
  const qty = [...y];
  const diag: number[] = [];
  for (let k = 0; k < p; k++) {
    let norm = 0;
    for (let i = k; i < n; i++) norm += A[i]![k]! ** 2;
    norm = Math.sqrt(norm);
    if (norm <= RANK_TOL) return { ok: false, dependentColumn: k };
    const alpha = A[k]![k]! > 0 ? -norm : norm;
    const v: number[] = [];
    for (let i = k; i < n; i++) v.push(A[i]![k]!);
    v[0]! -= alpha;
    const vv = v.reduce((s, x) => s + x * x, 0);
    diag.push(alpha);
    if (vv === 0) continue;
    for (let j = k; j < p; j++) {
      let dot = 0;
      for (let i = k; i < n; i++) dot += v[i - k]! * A[i]![j]!;
      const f = (2 * dot) / vv;
      for (let i = k; i < n; i++) A[i]![j]! -= f * v[i - k]!;
    }
    let dot = 0;
    for (let i = k; i < n; i++) dot += v[i - k]! * qty[i]!;
    const f = (2 * dot) / vv;
    for (let i = k; i < n; i++) qty[i]! -= f * v[i - k]!;
  }
  const b = new Array<number>(p).fill(0);
  for (let k = p - 1; k >= 0; k--) {
    let s = qty[k]!;
    for (let j = k + 1; j < p; j++) s -= A[k]![j]! * b[j]!;
    b[k] = s / diag[k]!;
  }
  const coef = b.map((v, j) => v / scale[j]!);
  return { ok: true, coef, sse: sumSquaredResiduals(X, y, coef) };
}

function sumSquaredResiduals(X: Matrix, y: readonly number[], coef: readonly number[]): number {
  let sse = 0;
  for (let i = 0; i < X.length; i++) {
    let pred = 0;
    for (let j = 0; j < coef.length; j++) pred += X[i]![j]! * coef[j]!;
    sse += (y[i]! - pred) ** 2;
  }
  return sse;
}

/**
 * Ordinary least squares. Throws `bad-input` when the columns are linearly dependent, naming the
 * column (by `names`) that the data cannot tell apart from the others.
 */
export function leastSquares(X: Matrix, y: readonly number[], names?: readonly string[]): LeastSquaresFit {
  const r = solveLeastSquares(X, y);
  if (r.ok) return { coef: r.coef, sse: r.sse };
  const p = X[0]?.length ?? 0;
  if (X.length < p) throw badInput(`least squares: ${X.length} sample(s) cannot determine ${p} coefficients`, 'give more samples');
  const col = names?.[r.dependentColumn] ?? `column ${r.dependentColumn}`;
  throw badInput(`least squares is rank deficient: ${col} is (nearly) a linear combination of the other inputs in these samples`, 'the samples must vary every input independently, e.g. several throughputs at each of at least two checkpoint intervals');
}

/**
 * Least squares with each coefficient in [lower_j, upper_j] (±Infinity for no bound). Exact for
 * the small problems here: the optimum has some set of coefficients at a bound and the rest free,
 * so when the unconstrained solution is infeasible every such active set (3^p of them) is solved
 * and the best feasible one kept. Returns `{ok: false}` only when no feasible sub-problem has full rank.
 */
export function boxLeastSquares(X: Matrix | ReducedLeastSquares, y: readonly number[], lower: readonly number[], upper: readonly number[]): LeastSquaresOutcome {
  const p = lower.length;
  if (p > 6) throw new KhaosError('bug', `boxLeastSquares enumerates active sets; ${p} coefficients is too many`);
  // Every active set is solved on the reduced p-row problem: one pass over the n rows in all.
  const { rows: R, rhs: z, rss, n } = isReduced(X) ? X : reduce(X, y);
  const feasible = (coef: readonly number[]) => coef.every((c, j) => c >= lower[j]! - 1e-12 * (1 + Math.abs(lower[j]!)) && c <= upper[j]! + 1e-12 * (1 + Math.abs(upper[j]!)));
  const clamp = (coef: number[]) => coef.map((c, j) => Math.min(upper[j]!, Math.max(lower[j]!, c)));
  const unconstrained = n < p ? ({ ok: false, dependentColumn: n } as const) : solveSmall(R, z);
  if (unconstrained.ok && feasible(unconstrained.coef)) return { ...unconstrained, coef: clamp(unconstrained.coef), sse: unconstrained.sse + rss };
  let best: LeastSquaresOutcome = unconstrained.ok ? { ok: false, dependentColumn: -1 } : unconstrained;
  for (let code = 1; code < 3 ** p; code++) {
    const state = Array.from({ length: p }, (_, j) => Math.floor(code / 3 ** j) % 3); // 0 free, 1 at lower, 2 at upper
    const fixed = state.map((s, j) => (s === 1 ? lower[j]! : s === 2 ? upper[j]! : NaN));
    if (fixed.some((v) => v === Infinity || v === -Infinity)) continue;
    const freeCols = state.flatMap((s, j) => (s === 0 ? [j] : []));
    const rhs = z.map((v, i) => v - state.reduce((acc, s, j) => (s === 0 ? acc : acc + R[i]![j]! * fixed[j]!), 0));
    let coef: number[];
    if (freeCols.length === 0) coef = fixed;
    else {
      if (n < freeCols.length) continue;
      const sub = solveSmall(R.map((r) => freeCols.map((j) => r[j]!)), rhs);
      if (!sub.ok) continue;
      coef = fixed.map((v, j) => (state[j] === 0 ? sub.coef[freeCols.indexOf(j)]! : v));
    }
    if (!feasible(coef)) continue;
    const sse = sumSquaredResiduals(R, z, coef) + rss;
    if (!best.ok || sse < best.sse) best = { ok: true, coef: clamp(coef), sse };
  }
  return best;
}

/** Where a scalar function was found smallest. */
export interface ScalarMinimum {
  x: number;
  fx: number;
}

/**
 * Minimises f over [lo, hi]: a uniform grid of `gridPoints` first (so a function with several
 * dips is not trapped in the wrong one), then golden-section search between the best grid point's
 * neighbours until the bracket is narrower than `tol`. Deterministic; NaN counts as +Infinity.
 */
export function minimiseScalar(f: (x: number) => number, lo: number, hi: number, opts: { gridPoints?: number; tol?: number } = {}): ScalarMinimum {
  const grid = Math.max(3, opts.gridPoints ?? 100);
  const tol = opts.tol ?? 1e-9;
  const g = (x: number) => {
    const v = f(x);
    return Number.isNaN(v) ? Infinity : v;
  };
  let best: ScalarMinimum = { x: lo, fx: g(lo) };
  let bestIdx = 0;
  for (let i = 1; i < grid; i++) {
    const x = lo + ((hi - lo) * i) / (grid - 1);
    const fx = g(x);
    if (fx < best.fx) {
      best = { x, fx };
      bestIdx = i;
    }
  }
  let a = lo + ((hi - lo) * Math.max(0, bestIdx - 1)) / (grid - 1);
  let b = lo + ((hi - lo) * Math.min(grid - 1, bestIdx + 1)) / (grid - 1);
  const r = (Math.sqrt(5) - 1) / 2;
  let c = b - r * (b - a);
  let d = a + r * (b - a);
  let fc = g(c);
  let fd = g(d);
  for (let it = 0; it < 200 && b - a > tol * (1 + Math.abs(a)); it++) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - r * (b - a);
      fc = g(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + r * (b - a);
      fd = g(d);
    }
  }
  for (const cand of [{ x: c, fx: fc }, { x: d, fx: fd }]) if (cand.fx < best.fx) best = cand;
  return best;
}
