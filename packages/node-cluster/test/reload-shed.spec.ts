import cluster from 'node:cluster'
import { Agent, get } from 'node:http'
import { describe, expect, it, jest } from '@jest/globals'
import { WorkerStartTimeoutError } from '../src/index.js'
import { balancerStarter, forkReady, request, until } from './helpers.js'

jest.setTimeout(120_000)

const start = balancerStarter()

/** Opens `count` keep-alive connections and leaves them idle; resolves with the agent that holds them. */
async function hold (port: number, count: number): Promise<Agent> {
  const agent = new Agent({ keepAlive: true, maxSockets: count })
  await Promise.all(Array.from({ length: count }, async () => {
    await new Promise<void>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/', agent }, res => { res.resume(); res.on('end', resolve) }).on('error', reject)
    })
  }))
  return agent
}

describe('reload and shed with node:cluster workers', () => {
  it('keeps the old worker when its replacement is not ready in time, and says why', async () => {
    const { balancer, port } = await start({ readyTimeoutMs: 500 })
    const [old] = await forkReady(balancer, 1)
    const error = await balancer.reload({ fork: () => cluster.fork({ READY_DELAY_MS: '60000' }) }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(WorkerStartTimeoutError)
    expect((error as WorkerStartTimeoutError).code).toBe('WORKER_START_TIMEOUT')
    expect(balancer.selectable().map(member => member.workerId)).toEqual([old!.id])
    expect(await request(port)).toBe(old!.id)
  })

  it('lets a request in progress on a kept-alive connection finish through a reload, closing the connection after it', async () => {
    const { balancer, port } = await start()
    const [old] = await forkReady(balancer, 1)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const response = new Promise<{ body: string, connection: string | undefined }>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/?delay=1500', agent }, res => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => { body += chunk })
        res.on('end', () => { resolve({ body, connection: res.headers.connection }) })
      }).on('error', reject)
    })
    await until('the request reached the worker', () => balancer.connections() === 1)
    const reloaded = balancer.reload()
    const { body, connection } = await response
    await reloaded
    expect(body).toBe(String(old!.id))
    expect(connection).toBe('close')
    expect(old!.isDead()).toBe(true)
    expect(await request(port)).not.toBe(old!.id)
    agent.destroy()
  })

  it('counts the connections the workers hold and sheds the number asked for, most loaded first', async () => {
    const { balancer, port } = await start()
    await forkReady(balancer, 2)
    const agent = await hold(port, 10)
    await until('10 connections counted', () => balancer.connections() === 10)
    const implementation = balancer.shedImplementation()
    expect(await implementation.count()).toBe(10)
    const perWorker = balancer.members().map(member => member.load)
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(10)

    expect(await implementation.killProcesses(4, { targets: [] })).toBe(4)
    await until('6 connections left', () => balancer.connections() === 6)
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(6)
    agent.destroy()
    await until('every connection closed', () => balancer.connections() === 0)
  })

  it('never sheds more than the workers hold', async () => {
    const { balancer, port } = await start()
    await forkReady(balancer, 2)
    const agent = await hold(port, 3)
    await until('3 connections counted', () => balancer.connections() === 3)
    expect(await balancer.shed(10)).toBe(3)
    await until('none left', () => balancer.connections() === 0)
    agent.destroy()
  })
})
