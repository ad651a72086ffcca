/**
 * The one-way house (../shared/architecture.md), checked on every `npm run lint`: faces → engine →
 * Okta client → state, all over `base`; commands are handed to the engine by entry/, never
 * imported by it; the sandbox stands alone. An import that runs back up, or any import circle
 * (type-only imports included), fails CI.
 */
const room = (name, mayImport) => ({
  name: `one-way: ${name}`,
  comment: `${name} may import ${mayImport.length ? mayImport.join(', ') : 'nothing of ours'} (architecture.md)`,
  severity: 'error',
  from: { path: `^${name}/` },
  to: { path: '^(entry|integration|commands|sandbox)/', pathNot: `^(${[name, ...mayImport].join('|')})/` },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import circle anywhere: each module can be read after what it imports.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    room('integration/base', []),
    room('integration/state', ['integration/base']),
    room('integration/okta', ['integration/state', 'integration/base']),
    room('integration/engine', ['integration/okta', 'integration/state', 'integration/base']),
    room('integration/fetch', ['integration/engine', 'integration/okta', 'integration/state', 'integration/base']),
    // A face may start the sandbox (`okta-soar sandbox`, `npm start` with no org).
    room('integration/faces', ['integration/fetch', 'integration/engine', 'integration/okta', 'integration/state', 'integration/base', 'sandbox']),
    room('commands', ['integration/engine', 'integration/okta', 'integration/base']),
    room('sandbox', []),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
