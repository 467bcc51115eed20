import { expect } from 'vitest';

/** A rough well-formedness check of an SVG document: one root, every element closed in order, no stray `<` or `&`. */
export function expectWellFormedSvg(svg: string): void {
  expect(svg.startsWith('<svg ')).toBe(true);
  expect(svg.endsWith('</svg>')).toBe(true);
  const stack: string[] = [];
  const tags = svg.match(/<[^>]*>/g) ?? [];
  for (const t of tags) {
    const name = /^<\/?([A-Za-z][\w:-]*)/.exec(t)?.[1];
    expect(name, `tag ${t}`).toBeDefined();
    if (t.startsWith('</')) expect(stack.pop()).toBe(name);
    else if (!t.endsWith('/>')) stack.push(name!);
  }
  expect(stack).toEqual([]);
  const text = svg.replace(/<[^>]*>/g, '');
  expect(text).not.toMatch(/[<>]/);
  expect(text).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
}
