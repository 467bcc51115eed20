import type { z } from 'zod';
import { configSchema } from './schema.js';

/** docs/config.md, rendered from the schema: every option with its type, default and description. */
type Any = z.ZodType & { description?: string; _zod: { def: { type: string; innerType?: Any; defaultValue?: unknown; shape?: Record<string, Any>; options?: Any[]; entries?: Record<string, string>; element?: Any } } };

function unwrap(s: Any): { inner: Any; def?: unknown; optional: boolean; description?: string } {
  let inner = s;
  let def: unknown;
  let optional = false;
  const description = s.description;
  for (;;) {
    const d = inner._zod.def;
    if (d.type === 'default' || d.type === 'prefault') def = typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
    if (d.type === 'optional') optional = true;
    if (!['default', 'prefault', 'optional'].includes(d.type)) break;
    inner = d.innerType!;
  }
  return { inner, def, optional, description: description ?? inner.description };
}

function typeName(s: Any): string {
  const d = s._zod.def;
  if (d.type === 'enum') return Object.values(d.entries ?? {}).map((v) => `\`${v}\``).join(' \\| ');
  if (d.type === 'union') return (d.options ?? []).map(typeName).join(' or ');
  if (d.type === 'array') return `list of ${typeName(d.element!)}`;
  return d.type;
}

const row = (name: string, opt: Any) => {
  const u = unwrap(opt);
  const def = u.def === undefined ? (u.optional ? 'unset' : '—') : `\`${JSON.stringify(u.def)}\``;
  return `| \`${name}\` | ${typeName(u.inner)} | ${def} | ${(u.description ?? '').replaceAll('|', '\\|')} |`;
};
const HEAD = ['| option | type | default | description |', '|---|---|---|---|'];

export function renderConfigDocs(): string {
  const lines = ['# Configuration reference', '', 'Generated from `src/config/schema.ts` by `npx tsx scripts/gen-config-docs.ts`; do not edit by hand.', 'Durations are written like `500ms`, `30s`, `5min`, `2h` and resolved to milliseconds. Unknown keys are errors.', ''];
  const entries = Object.entries((configSchema as unknown as Any)._zod.def.shape!);
  const isSection = (s: Any) => unwrap(s).inner._zod.def.shape !== undefined;
  const top = entries.filter(([, s]) => !isSection(s));
  if (top.length > 0) lines.push('## Top level', '', ...HEAD, ...top.map(([key, s]) => row(key, s)), '');
  for (const [section, s] of entries.filter(([, x]) => isSection(x))) {
    lines.push(`## \`${section}\``, '', ...HEAD, ...Object.entries(unwrap(s).inner._zod.def.shape!).map(([key, opt]) => row(`${section}.${key}`, opt)), '');
  }
  return lines.join('\n');
}
