import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { Cluster } from '@meshbalancer/core'
import { Libp2pTransport } from '../transport/libp2p-transport.js'
import { eventLoopLagSampler } from '../node/event-loop-lag.js'
import { ClusterLeftError } from './errors.js'
import { transportHost } from './host.js'
import { registerServiceMetrics } from './metrics.js'
import type { MeshbalancerComponents } from './components.js'
import type { ResolvedMeshbalancerInit } from './init.js'
import type { ComponentLogger, Startable } from '@libp2p/interface'
import type { Logger } from '@meshbalancer/core'

/** Longest wait for the node's first listener before the cluster joins. */
const LISTEN_WAIT_MS = 5000

/** Hooks of a service built by `createNode`, which owns the libp2p node around it. */
export interface ServiceHooks {
  /** Called when the cluster stops: `createNode` stops the libp2p node it made with it. */
  onStop?: () => Promise<void>
}

/**
 * A `Cluster` that runs as a libp2p service: built when the libp2p node is created, it joins the cluster once
 * every service of the node has started, and leaves it (announcing `left`) before any of them stops.
 */
export class MeshbalancerService extends Cluster implements Startable {
  readonly [Symbol.toStringTag] = '@meshbalancer/gossip'
  readonly [serviceCapabilities]: string[] = ['@meshbalancer/cluster']
  readonly [serviceDependencies]: string[] = ['@libp2p/pubsub', '@libp2p/ping']

  private readonly lag: ReturnType<typeof eventLoopLagSampler> | undefined
  private readonly components: MeshbalancerComponents
  /** True from libp2p's `afterStart` to its `beforeStop`. */
  private nodeStarted = false
  /** True once the cluster stopped: it announced `left`. */
  private left = false

  constructor (components: MeshbalancerComponents, init: ResolvedMeshbalancerInit, hooks: ServiceHooks = {}) {
    const logger = init.cluster.logger ?? libp2pLogger(components.logger)
    const lag = init.cluster.eventLoopLag === undefined ? eventLoopLagSampler() : undefined
    // The transport uses a few methods of a libp2p node; the host builds them on the components.
    const host = transportHost(components, hooks.onStop)
    super({
      ...init.cluster,
      logger,
      transport: new Libp2pTransport(host, { ...init.transport, logger, privateKey: components.privateKey }),
      eventLoopLag: init.cluster.eventLoopLag ?? (() => lag?.sample() ?? 0)
    })
    this.components = components
    this.lag = lag
    this.on('cluster:stop', () => {
      this.left = true
      this.lag?.stop()
    })
    // Read when scraped; registered once, here, as libp2p's metrics exist before its services.
    if (components.metrics !== undefined) registerServiceMetrics(components.metrics, this)
  }

  /**
   * libp2p calls this while its other services start, and gossipsub takes no subscription before it has started:
   * the cluster joins in {@link afterStart}. Once the node runs, this starts the cluster at once.
   */
  override async start (): Promise<void> {
    if (this.nodeStarted) await this.join()
  }

  /** Every service of the node has started: joins the cluster once the node listens. */
  async afterStart (): Promise<void> {
    this.nodeStarted = true
    this.lag?.start()
    await this.listening()
    await this.join()
  }

  private async join (): Promise<void> {
    if (this.left) throw new ClusterLeftError(`${this.name} left the cluster and cannot join again; create a new node`)
    await super.start()
  }

  /**
   * libp2p starts listening while this service's `afterStart` runs: the first record, and the addresses that
   * `self()` shows once the node has started, are to carry the listen address. Waits for the first listener (for
   * LISTEN_WAIT_MS at most: a node that cannot listen fails to start anyway) unless the node listens nowhere.
   */
  private async listening (): Promise<void> {
    const { addressManager, events } = this.components
    if (addressManager.getListenAddrs().length === 0 || addressManager.getAddresses().length > 0) return
    await new Promise<void>(resolve => {
      const done = (): void => {
        clearTimeout(timer)
        events.removeEventListener('transport:listening', done)
        resolve()
      }
      const timer = setTimeout(done, LISTEN_WAIT_MS)
      events.addEventListener('transport:listening', done)
    })
  }

  /** Leaves the cluster while gossipsub still runs, so that the `left` announcement goes out. */
  async beforeStop (): Promise<void> {
    this.nodeStarted = false
    await this.stop()
  }
}

/** The core's logger on libp2p's: debug output as trace, warnings in the component's log, errors as errors. */
function libp2pLogger (logger: ComponentLogger): Logger {
  const log = logger.forComponent('libp2p:meshbalancer')
  return {
    debug: message => { log.trace('%s', message) },
    warn: message => { log('%s', message) },
    error: message => { log.error('%s', message) }
  }
}
