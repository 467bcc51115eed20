import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../core/errors.js';

/**
 * Checks, before long work starts, that its results can be written where the user asked: a
 * write that fails after an analysis or a whole simulation loses the results. These checks
 * create nothing; `flag` names where the path came from in the message.
 */

/** Throws `bad-input` unless this process may write into the existing directory `dir`. */
function writableDir(dir: string, flag: string, shown: string): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw badInput(`${shown}: the directory ${dir} is read-only`, `give ${flag} a path in a writable directory, or make it writable (chmod u+w ${dir})`);
  }
}

/** The deepest part of `p` that exists (`p` itself, a parent, …, the root). */
function existingAncestor(p: string): string {
  let at = path.resolve(p);
  while (!fs.existsSync(at)) at = path.dirname(at);
  return at;
}

/** A file to be written (a plot, say): its directory must exist and be writable, and it must not be a directory. `isDefault`: `flag` was not given, `file` is its default. */
export function checkOutputFile(file: string, flag: string, isDefault = false): void {
  const abs = path.resolve(file);
  const shown = `${flag} ${file}${isDefault ? ' (the default)' : ''}`;
  const dir = path.dirname(abs);
  if (fs.existsSync(abs) && !fs.statSync(abs).isFile()) throw badInput(`${shown} is a directory, not a file`, `name a file, e.g. ${path.join(file, path.basename(file) || 'out')}.svg`);
  if (!fs.existsSync(dir)) throw badInput(`${shown}: the directory ${dir} does not exist`, `create it first (mkdir -p ${dir}) or give another path`);
  if (!fs.statSync(dir).isDirectory()) throw badInput(`${shown}: ${dir} is a file, not a directory`, 'give a path in a directory');
  writableDir(dir, flag, shown);
  if (fs.existsSync(abs)) {
    try {
      fs.accessSync(abs, fs.constants.W_OK);
    } catch {
      throw badInput(`${shown} exists and is read-only`, `give another path, or make it writable (chmod u+w ${abs})`);
    }
  }
}

/** A directory to be created if absent and written into (`evaluate --out`): it, or what exists of its path, must be a writable directory. */
export function checkOutputDir(dir: string, flag: string): void {
  const at = existingAncestor(dir);
  if (!fs.statSync(at).isDirectory()) {
    throw badInput(
      at === path.resolve(dir) ? `${flag} ${dir} is a file, not a directory` : `${flag} ${dir}: ${at} is a file, so no directory can be made there`,
      `give ${flag} a directory (it is created if absent), e.g. ${flag} khaos-evaluate`,
    );
  }
  writableDir(at, flag, `${flag} ${dir}`);
}
