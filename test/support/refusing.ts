/**
 * A module whose functions `names` throw when called, each call noted in `started`: for a vi.mock
 * factory of src/compose.js, in a test that should start, open or reach nothing.
 */
export function refusing<M extends object>(real: M, names: readonly string[], started: string[], what: string): M {
  const refuse = (name: string) => () => {
    started.push(name);
    throw new Error(`${name} called by ${what}`);
  };
  return { ...real, ...Object.fromEntries(names.map((n) => [n, refuse(n)])) };
}
