import fs from 'node:fs';
import { KhaosError } from '../../core/errors.js';

/** End of central directory record: its signature, and how far from the end of the file it may start (22 bytes + a comment of up to 65,535). */
const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const EOCD_MIN = 22;
const EOCD_SEARCH = EOCD_MIN + 0xffff;

/**
 * The names of the entries of a jar (a zip file), from its central directory: no unzip binary,
 * and nothing is decompressed. Throws KhaosError('bad-input') for a file that is not a zip, or a
 * ZIP64 jar (more than 65,535 entries or 4 GiB), which this reader does not follow.
 */
export function jarEntries(file: string): string[] {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const tailLength = Math.min(size, EOCD_SEARCH);
    const tail = Buffer.alloc(tailLength);
    fs.readSync(fd, tail, 0, tailLength, size - tailLength);
    let eocd = -1;
    for (let i = tailLength - EOCD_MIN; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new KhaosError('bad-input', `${file} is not a jar (no zip central directory found)`, 'give job.jar the path of your built job jar');
    const entries = tail.readUInt16LE(eocd + 10);
    const dirSize = tail.readUInt32LE(eocd + 12);
    const dirOffset = tail.readUInt32LE(eocd + 16);
    if (entries === 0xffff || dirOffset === 0xffffffff) throw new KhaosError('bad-input', `${file} is a ZIP64 jar, which Khaos cannot list`, 'check the entry class by hand (jar tf), or shrink the jar');
    const dir = Buffer.alloc(dirSize);
    fs.readSync(fd, dir, 0, dirSize, dirOffset);
    const names: string[] = [];
    for (let at = 0, n = 0; n < entries; n++) {
      if (dir.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new KhaosError('bad-input', `${file}: its zip central directory is damaged (entry ${n})`, 'rebuild the jar');
      const nameLength = dir.readUInt16LE(at + 28);
      const extraLength = dir.readUInt16LE(at + 30);
      const commentLength = dir.readUInt16LE(at + 32);
      names.push(dir.toString('utf8', at + 46, at + 46 + nameLength));
      at += 46 + nameLength + extraLength + commentLength;
    }
    return names;
  } finally {
    fs.closeSync(fd);
  }
}
