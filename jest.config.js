// One jest run over every package. Tests are ESM TypeScript compiled by swc; workspace packages resolve to their
// sources, so a test never runs against a stale build.
const swc = ['@swc/jest', {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'es6' },
  sourceMaps: 'inline'
}]

const packages = {
  '@meshbalancer/core/testing': 'packages/core/src/testing/index.ts',
  '@meshbalancer/core/options': 'packages/core/src/options.ts',
  '@meshbalancer/core/protocol': 'packages/core/src/protocol.ts',
  '@meshbalancer/core': 'packages/core/src/index.ts',
  '@meshbalancer/algorithms/compliance': 'packages/algorithms/src/compliance/index.ts',
  '@meshbalancer/algorithms': 'packages/algorithms/src/index.ts',
  '@meshbalancer/simulator': 'packages/simulator/src/index.ts',
  '@meshbalancer/metrics': 'packages/metrics/src/index.ts',
  '@meshbalancer/gossip': 'packages/gossip/src/index.ts',
  '@meshbalancer/testing': 'packages/testing/src/index.ts',
  '@meshbalancer/node-cluster': 'packages/node-cluster/src/index.ts',
  '@meshbalancer/example-websocket-service': 'examples/websocket-service/src/index.ts',
  '@meshbalancer/example-custom-algorithm': 'examples/custom-algorithm/src/index.ts'
}

/** @param {string} dir @param {Partial<import('jest').Config>} extra */
function project (dir, extra = {}) {
  return {
    displayName: dir.split('/').pop(),
    rootDir: `<rootDir>/${dir}`,
    testMatch: ['<rootDir>/test/**/*.spec.ts'],
    extensionsToTreatAsEsm: ['.ts'],
    transform: { '^.+\\.ts$': swc },
    moduleNameMapper: {
      ...Object.fromEntries(Object.entries(packages).map(([name, path]) => [`^${name}$`, `${import.meta.dirname}/${path}`])),
      '^(\\.{1,2}/.*)\\.js$': '$1'
    },
    ...extra
  }
}

/** @type {import('jest').Config} */
export default {
  projects: [
    project('packages/core'),
    project('packages/algorithms'),
    project('packages/simulator'),
    project('packages/metrics'),
    // Real node:cluster workers, which run the built package (a forked worker has no TypeScript loader).
    project('packages/node-cluster'),
    // Real libp2p nodes and processes: the Node 20 polyfill first, and time for processes to start on a busy machine.
    project('packages/gossip', { setupFiles: ['<rootDir>/src/polyfill.ts'], setupFilesAfterEnv: ['<rootDir>/test/setup.ts'] }),
    project('packages/cli', { setupFiles: ['<rootDir>/../gossip/src/polyfill.ts'], setupFilesAfterEnv: ['<rootDir>/../gossip/test/setup.ts'] }),
    project('packages/testing', { setupFiles: ['<rootDir>/../gossip/src/polyfill.ts'], setupFilesAfterEnv: ['<rootDir>/../gossip/test/setup.ts'] }),
    project('examples/custom-algorithm'),
    // Packs the library, installs it with npm from the registry into an empty folder, runs a two-node script there.
    project('examples/library-only'),
    project('examples/websocket-service', { setupFiles: ['<rootDir>/../../packages/gossip/src/polyfill.ts'], setupFilesAfterEnv: ['<rootDir>/../../packages/gossip/test/setup.ts'] }),
    // Runs the built example in its own processes, as a user would.
    project('examples/node-cluster', { displayName: 'node-cluster-example' }),
    // Runs the built example in its own processes, as a user would.
    project('examples/mesh', { setupFilesAfterEnv: ['<rootDir>/../../packages/gossip/test/setup.ts'] }),
    // The slow part of the fault suite, in network namespaces (root): pnpm test:faults.
    ...(process.env.MESHBALANCER_FAULTS === '1'
      ? [project('packages/testing', {
          displayName: 'faults',
          testMatch: ['<rootDir>/test-faults/**/*.spec.ts'],
          setupFiles: ['<rootDir>/../gossip/src/polyfill.ts'],
          setupFilesAfterEnv: ['<rootDir>/../gossip/test/setup.ts']
        })]
      : [])
  ]
}
