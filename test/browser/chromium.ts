import fs from 'node:fs';
import path from 'node:path';

/**
 * The browser the browser tests drive: Debian's `chromium` package (apt-get install chromium), found
 * on PATH, or the one KHAOS_CHROMIUM names. Undefined when there is none.
 */
export function findChromium(): string | undefined {
  if (process.env.KHAOS_CHROMIUM) return process.env.KHAOS_CHROMIUM;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) return file;
    }
  }
  return undefined;
}
