/** Small Markdown and number formatting helpers shared by the reports. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const mdRow = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
/** A Markdown table; `|` and newlines in cells are escaped. */
export const table = (header: readonly string[], rows: readonly (readonly string[])[]) => [mdRow(header), mdRow(header.map(() => '---')), ...rows.map(mdRow)].join('\n');
/** At most `digits` decimals, no trailing zeros. */
export const num = (v: number, digits: number) => String(Number(v.toFixed(digits)));
export const pct = (v: number) => `${num(v * 100, 2)} %`;
export const secs = (v: number) => `${num(v, 1)} s`;
export const count = (v: number) => num(v, 1);
