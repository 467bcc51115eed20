/** Writes docs/config.md from the config schema (src/config/schema.ts). Run: npx tsx scripts/gen-config-docs.ts */
import fs from 'node:fs';
import path from 'node:path';
import { renderConfigDocs } from '../src/config/docs.js';
import { repoRoot } from '../src/compose.js';

fs.writeFileSync(path.join(repoRoot, 'docs', 'config.md'), renderConfigDocs());
console.log('docs/config.md written');
