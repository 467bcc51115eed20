import fs from 'node:fs';
import path from 'node:path';

/** The first of `names` found as a file in a directory of PATH, or undefined. */
export function findOnPath(names: readonly string[], pathVar = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVar.split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const file = path.join(dir, name);
      if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
    }
  }
  return undefined;
}

/**
 * Debian's `chromium` (apt-get install chromium), which the dashboard's browser test and bench drive
 * through playwright-core: KHAOS_CHROMIUM when set, else `chromium` or `chromium-browser` on PATH.
 */
export const findChromium = (): string | undefined => process.env.KHAOS_CHROMIUM ?? findOnPath(['chromium', 'chromium-browser']);
