/**
 * Hosts in Linux network namespaces, for tests that cut and heal links between nodes: every host has its own
 * network stack and address (10.213.0.N/24) on a bridge in a switch namespace, as if each node ran on a machine
 * of its own. Needs root and iproute2's `ip`.
 *
 * A partition moves the ports of each side's hosts onto a bridge of its own, as if the switch had split: frames
 * to the other side vanish on the way, so senders see no error, their TCP retransmissions back off as they would
 * across a failed link, and the ARP entries of the other side expire. Healing moves every port back.
 *
 * @packageDocumentation
 */
import { execFileSync } from 'node:child_process'
import { NodeProcess } from './node-process.js'
import type { NodeProcessOptions } from './node-process.js'

/** The subnet of the hosts: host N has 10.213.0.N. */
const SUBNET = '10.213.0'
/** Names of namespaces of this module: `mbl<pid>-<lab>-<host>`, so that leftovers of a dead run can be told apart. */
const PREFIX = 'mbl'

function ip (...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Whether this process may create network namespaces and links in them: tried, not guessed from the user id. */
export function canUseNetns (): boolean {
  const probe = `${PREFIX}${process.pid}-probe`
  try {
    ip('netns', 'add', probe)
    ip('-n', probe, 'link', 'add', 'br0', 'type', 'bridge')
    return true
  } catch {
    return false
  } finally {
    try { ip('netns', 'delete', probe) } catch {}
  }
}

/** One host of a {@link NetnsLab}. */
export interface LabHost {
  /** The host's number, from 1. */
  index: number
  /** Its namespace. */
  namespace: string
  /** Its address on the lab's network. */
  address: string
}

/** Network namespaces left by a run that died before it could remove them, and the processes still in them. */
function removeLeftovers (): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0] ?? ''
    const owner = new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1]
    if (owner === undefined || isAlive(Number(owner))) continue
    try {
      for (const pid of ip('netns', 'pids', name).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL')
    } catch {}
    try { ip('netns', 'delete', name) } catch {}
  }
}

/** Labs made by this process so far, so that each has names of its own. */
let labs = 0

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * A switch and `count` hosts. Create with {@link NetnsLab.create}; {@link NetnsLab.destroy} removes every
 * namespace (and with them every interface and route) and kills the nodes still running in them.
 */
export class NetnsLab {
  readonly hosts: LabHost[]
  private readonly switchNamespace: string
  /** The bridge each host's port is on, when it is not the main bridge `br0`. */
  private readonly moved = new Map<number, string>()
  private bridges = 1
  private readonly nodes: NodeProcess[] = []

  private constructor (id: string, count: number) {
    this.switchNamespace = `${id}-sw`
    this.hosts = Array.from({ length: count }, (_, i) => ({ index: i + 1, namespace: `${id}-h${i + 1}`, address: `${SUBNET}.${i + 1}` }))
  }

  /** Builds the namespaces, the bridge and one veth pair per host. */
  static create (count: number): NetnsLab {
    if (count < 1 || count > 250) throw new RangeError(`count must be between 1 and 250, got ${count}`)
    removeLeftovers()
    const lab = new NetnsLab(`${PREFIX}${process.pid}-${++labs}`, count)
    try {
      lab.build()
    } catch (err) {
      lab.removeNamespaces()
      throw err
    }
    return lab
  }

  private build (): void {
    const sw = this.switchNamespace
    ip('netns', 'add', sw)
    this.addBridge('br0')
    for (const host of this.hosts) {
      // The host's end is created in the switch, then moved: names only need to be unique per namespace.
      const port = `p${host.index}`
      ip('netns', 'add', host.namespace)
      ip('-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.namespace)
      ip('-n', sw, 'link', 'set', port, 'master', 'br0')
      ip('-n', sw, 'link', 'set', port, 'up')
      ip('-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0')
      ip('-n', host.namespace, 'link', 'set', 'eth0', 'up')
      ip('-n', host.namespace, 'link', 'set', 'lo', 'up')
    }
  }

  host (index: number): LabHost {
    const host = this.hosts[index - 1]
    if (host === undefined) throw new RangeError(`no host ${index} in a lab of ${this.hosts.length}`)
    return host
  }

  /**
   * Starts `meshbalancer node` on host `index`, listening on the host's address. The process is the node itself
   * (`ip netns exec` replaces itself with it), so signals reach the node.
   */
  start (index: number, name: string, args: string[] = [], options: NodeProcessOptions = {}): NodeProcess {
    const host = this.host(index)
    const node = new NodeProcess(name, ['--listen', `/ip4/${host.address}/tcp/0`, ...args], {
      ...options,
      wrap: ['ip', 'netns', 'exec', host.namespace]
    })
    this.nodes.push(node)
    return node
  }

  /**
   * Splits the network: each of `sides` gets a bridge of its own, and hosts in none of them stay together on the
   * main bridge. `partition([1, 2])` cuts hosts 1 and 2 off from the rest; `partition([1], [2])` makes three parts.
   */
  partition (...sides: ReadonlyArray<readonly number[]>): void {
    for (const side of sides) {
      const bridge = `br${this.bridges++}`
      this.addBridge(bridge)
      for (const index of side) this.attach(index, bridge)
    }
  }

  /** Cuts host `index` off from every other host. */
  isolate (index: number): void {
    this.partition([index])
  }

  /** Joins every part of the network again. */
  heal (): void {
    for (const index of [...this.moved.keys()]) this.attach(index, 'br0')
    for (let bridge = 1; bridge < this.bridges; bridge++) ip('-n', this.switchNamespace, 'link', 'delete', `br${bridge}`)
    this.bridges = 1
  }

  /** Kills the nodes still running and removes every namespace of the lab. Safe to call twice. */
  async destroy (): Promise<void> {
    await Promise.all(this.nodes.map(async node => { await node.kill() }))
    this.removeNamespaces()
  }

  private addBridge (bridge: string): void {
    ip('-n', this.switchNamespace, 'link', 'add', bridge, 'type', 'bridge')
    ip('-n', this.switchNamespace, 'link', 'set', bridge, 'up')
  }

  private attach (index: number, bridge: string): void {
    this.host(index)
    ip('-n', this.switchNamespace, 'link', 'set', `p${index}`, 'master', bridge)
    if (bridge === 'br0') this.moved.delete(index)
    else this.moved.set(index, bridge)
  }

  private removeNamespaces (): void {
    for (const namespace of [...this.hosts.map(host => host.namespace), this.switchNamespace]) {
      try { ip('netns', 'delete', namespace) } catch {}
    }
  }
}
