// Lint enforces the import direction of the house style: core <- ports <- app <- cli, core <- ports <- adapters,
// report depends on core alone, and only src/compose.ts may pick adapters.
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const nodeBuiltins = [{ group: ['node:*', 'fs', 'path', 'child_process', 'os', 'net', 'http'], message: 'core is pure: no I/O' }];

export default tseslint.config(
  { ignores: ['node_modules/**', 'jobs/**', '.khaos/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      ...restrict([...nodeBuiltins, { group: ['**/ports/**', '**/app/**', '**/adapters/**', '**/cli/**', '**/config/**', '**/report/**', '**/compose'], message: 'core depends on nothing' }]),
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'time comes in as a Clock' }, { object: 'Math', property: 'random', message: 'randomness comes in as a seeded generator' }],
    },
  },
  {
    files: ['src/report/**/*.ts'],
    rules: restrict([...nodeBuiltins, { group: ['**/ports/**', '**/app/**', '**/adapters/**', '**/cli/**', '**/config/**', '**/compose'], message: 'reporting depends only on core: it turns records into documents, the caller writes them' }]),
  },
  {
    files: ['src/ports/**/*.ts'],
    rules: restrict([{ group: ['**/app/**', '**/adapters/**', '**/cli/**', '**/compose'], message: 'ports depend only on core' }]),
  },
  {
    files: ['src/app/**/*.ts', 'src/config/**/*.ts'],
    rules: restrict([{ group: ['**/adapters/**', '**/cli/**', '**/compose'], message: 'app gets adapters injected; only compose.ts picks them' }]),
  },
  {
    files: ['src/dashboard/**/*.ts'],
    rules: restrict([{ group: ['**/adapters/**', '**/cli/**', '**/compose'], message: 'the dashboard gets its data injected; only compose.ts picks adapters' }]),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: restrict([{ group: ['**/adapters/**'], message: 'commands get adapters from compose.ts, the only file that picks them' }]),
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: restrict([{ group: ['**/app/**', '**/config/**', '**/report/**', '**/dashboard/**', '**/cli/**', '**/compose'], message: 'adapters depend only on ports and core (and on one another)' }]),
  },
);
