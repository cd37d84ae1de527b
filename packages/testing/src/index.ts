/**
 * Test harnesses, `@meshbalancer/testing` for applications' own tests: real `meshbalancer node`
 * processes, and hosts in network namespaces whose links can be cut and healed.
 *
 * @packageDocumentation
 */
export * from './node-process.js'
export * from './netns.js'
export * from './ports.js'
