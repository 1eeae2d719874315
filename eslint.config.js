import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layering of DESIGN.md, enforced: each layer imports only the ones below it.
 * cli -> app -> core/db/output/scrape; core is pure (no file system, none of the I/O layers nor
 * the top-level I/O helpers). A relative import that climbs into a forbidden folder is refused,
 * statically or by a dynamic import().
 */
const LAYER = (folders) => `^(\\.\\./)+(${folders.join('|')})/`;
// The same for esquery, whose regex literals cannot hold a `/`.
const LAYER_SELECTOR = (folders) => `/^([.][.]\\x2F)+(${folders.join('|')})\\x2F/`;
function layerRule(folders, extra = {}) {
  const message = `layering (DESIGN.md): this layer may not import ${folders.join('/')}`;
  return {
    'no-restricted-imports': [
      'error',
      { paths: extra.paths ?? [], patterns: [{ regex: LAYER(folders), message }, ...(extra.patterns ?? [])] },
    ],
    'no-restricted-syntax': [
      'error',
      { selector: `ImportExpression[source.value=${LAYER_SELECTOR(folders)}]`, message },
    ],
  };
}
const FS = ['node:fs', 'node:fs/promises', 'fs', 'fs/promises'].map((name) => ({
  name,
  message: 'layering (DESIGN.md): core is pure, no file system',
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'orders/**', 'data/**', 'bench/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: layerRule(['app', 'cli', 'db', 'output', 'scrape'], {
      paths: FS,
      patterns: [
        {
          regex: '^(\\.\\./)+(durable-fs|lockfile|process-identity)\\.js$',
          message: 'layering (DESIGN.md): core is pure, no file I/O helpers',
        },
      ],
    }),
  },
  { files: ['src/db/**/*.ts', 'src/output/**/*.ts', 'src/scrape/**/*.ts'], rules: layerRule(['app', 'cli']) },
  { files: ['src/app/**/*.ts'], rules: layerRule(['cli']) },
);
