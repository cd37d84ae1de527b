/**
 * Test harnesses, exported as `@meshbalancer/gossip/testing` for applications' own tests: real `meshbalancer node`
 * processes, and hosts in network namespaces whose links can be cut and healed.
 *
 * @packageDocumentation
 */
export * from './node-process.js'
export * from './netns.js'
