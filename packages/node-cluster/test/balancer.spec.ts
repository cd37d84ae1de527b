import cluster from 'node:cluster'
import { once } from 'node:events'
import * as http from 'node:http'
import { describe, expect, it, jest } from '@jest/globals'
import { createBalancer } from '../src/index.js'
import { balancerStarter, forkReady, load, request, until } from './helpers.js'
import type { WorkerMember } from '../src/index.js'

// Real node:cluster workers serving HTTP on connections the balancer hands over, and real clients, each request
// on a connection of its own so that every request is a balancing decision.
jest.setTimeout(120_000)

const start = balancerStarter()

describe('createBalancer with node:cluster workers', () => {
  it('answers every request, also while every worker is replaced by a rolling reload', async () => {
    const { balancer, port } = await start()
    const before = await forkReady(balancer, 4)
    let reloaded = false
    const traffic = load(port, 8, () => reloaded)
    await until('traffic flowing', () => balancer.connections() > 0 || reloaded, 10_000)
    await balancer.reload()
    const afterReload = balancer.selectable()
    // Requests on for a little longer, to see the new workers serve.
    await new Promise(resolve => setTimeout(resolve, 300))
    reloaded = true
    const { answers, failures } = await traffic

    expect(failures).toEqual([])
    expect(answers.length).toBeGreaterThan(50)
    expect(before.every(worker => worker.isDead())).toBe(true)
    expect(afterReload).toHaveLength(4)
    expect(afterReload.every(member => before.every(worker => worker.id !== member.workerId))).toBe(true)
    const fresh = new Set(afterReload.map(member => member.workerId))
    expect(answers.some(id => fresh.has(id))).toBe(true)
  })

  it('hands a killed worker no new connection, and its replacement connections once it is ready', async () => {
    const { balancer, port } = await start()
    const [victim, ...others] = await forkReady(balancer, 4)
    const handed: Array<{ id: number, at: number }> = []
    balancer.on('connection:handed', (member: WorkerMember) => { handed.push({ id: member.workerId, at: performance.now() }) })
    let stop = false
    const traffic = load(port, 4, () => stop)
    await until('the victim serving', () => handed.some(entry => entry.id === victim!.id))

    const exited = once(victim!, 'exit')
    victim!.process.kill('SIGKILL')
    await exited
    const exitedAt = performance.now()
    const replacement = cluster.fork({ READY_DELAY_MS: '500' })
    let readyAt = Number.POSITIVE_INFINITY
    balancer.on('worker:ready', member => { if (member.workerId === replacement.id) readyAt = performance.now() })
    await until('replacement ready', () => readyAt < Number.POSITIVE_INFINITY)
    await until('the replacement serving', () => handed.some(entry => entry.id === replacement.id))
    const stopAt = performance.now()
    stop = true
    const { failures } = await traffic

    expect(handed.filter(entry => entry.id === victim!.id && entry.at > exitedAt)).toEqual([])
    expect(handed.filter(entry => entry.id === replacement.id && entry.at < readyAt)).toEqual([])
    // The others served all along; requests may fail only if they were on the victim when it was killed.
    expect(handed.filter(entry => entry.at > exitedAt && entry.at < stopAt).length).toBeGreaterThan(0)
    expect(others.every(worker => handed.some(entry => entry.id === worker.id && entry.at > exitedAt))).toBe(true)
    expect(failures.length).toBeLessThanOrEqual(4)
    // Once the victim is gone, every request is answered.
    const answers = await Promise.all(Array.from({ length: 20 }, async () => await request(port)))
    expect(answers).not.toContain(victim!.id)
  })

  it('closes the connections a worker had not taken when it dies, and reports them dropped', async () => {
    const { balancer, port } = await start()
    const [worker] = await forkReady(balancer, 1)
    // Its pongs share the channel: wait for the answer to this message.
    const stalling = new Promise<void>(resolve => {
      const onMessage = (message: { test?: string } | undefined): void => {
        if (message?.test !== 'stalling') return
        worker!.off('message', onMessage)
        resolve()
      }
      worker!.on('message', onMessage)
    })
    worker!.send({ test: 'stall' })
    await stalling
    const dropped: string[] = []
    balancer.on('connection:dropped', reason => { dropped.push(reason) })
    // The stalled worker takes neither: the first waits in its channel, the second behind the first's handle.
    const requests = [request(port, 60_000), request(port, 60_000)].map(async pending => await pending.then(
      () => 'answered', (err: Error) => err.message))
    await until('both sent to the stalled worker', () => balancer.connections() === 2)
    const connectionsAtLeave: number[] = []
    balancer.on('worker:leave', () => { connectionsAtLeave.push(balancer.connections()) })
    const exited = once(worker!, 'exit')
    worker!.process.kill('SIGKILL')
    await exited

    expect(dropped).toEqual(['worker-gone', 'worker-gone'])
    // Not counted as its load from the moment it left: it never took them.
    expect(connectionsAtLeave).toEqual([0])
    // Closed by the balancer at once rather than left to time out.
    for (const outcome of await Promise.all(requests)) expect(outcome).not.toMatch(/answered|timed out/)
    // No worker that was handed a connection is left: close() must not wait for one to report its connections.
    await balancer.close()
    expect(balancer.server.listening).toBe(false)
  })

  it('close() stops listening at once and leaves the open connections to their workers', async () => {
    const { balancer, port } = await start()
    const [worker] = await forkReady(balancer, 1)
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    try {
      expect(await request(port, 10_000, agent)).toBe(worker!.id)
      await balancer.close()
      await expect(request(port)).rejects.toThrow(/ECONNREFUSED/)
      // The same connection, still served by its worker.
      expect(await request(port, 10_000, agent)).toBe(worker!.id)
      expect(agent.sockets[`127.0.0.1:${port}:`] ?? agent.freeSockets[`127.0.0.1:${port}:`]).toHaveLength(1)
    } finally {
      agent.destroy()
    }
  })

  it('sends a worker whose loop is blocked half of the time at most 10 % of new connections', async () => {
    const { balancer, port } = await start()
    const fast = await forkReady(balancer, 3)
    const [slow] = await forkReady(balancer, 1, { BLOCK_MS: '50' })
    // A worker cannot be known to be slow before it has been measured: wait until its pings say so.
    const latency = (id: number): number => balancer.selectable().find(member => member.workerId === id)?.latencyMs ?? Number.NaN
    await until('the slow worker measured as the slowest', () => fast.every(worker => latency(worker.id) < latency(slow!.id)))
    const target = 400
    const { answers, failures } = await load(port, 4, made => made >= target)
    expect(failures).toEqual([])
    const share = answers.filter(id => id === slow!.id).length / answers.length
    expect(answers.length).toBeGreaterThanOrEqual(target)
    expect(share).toBeLessThanOrEqual(0.1)
    expect(fast.every(worker => answers.includes(worker.id))).toBe(true)
  })
})
