import fs from 'node:fs/promises';
import path from 'node:path';
import { badInput } from '../../core/errors.js';
import { parseTraceCsv, type Trace } from '../../core/load/trace.js';
import type { RateSource } from '../../ports/rate-source.js';

/** A rate history from a two-column CSV trace file (see parseTraceCsv for the format). */
export class CsvRateSource implements RateSource {
  constructor(readonly file: string) {}

  describe(): string {
    return `CSV trace ${this.file}`;
  }

  async load(): Promise<Trace> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw badInput(`trace ${this.file} cannot be read: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`, 'give the path of a CSV trace, or a file name in shared/workloads');
    }
    return parseTraceCsv(text, path.basename(this.file));
  }
}
