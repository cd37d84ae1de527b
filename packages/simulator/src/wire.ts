import { encodeRecord, memberRecord } from '@meshbalancer/core/protocol'

/**
 * Bytes on the wire of each kind of message the simulator counts, one copy as its receiver reads it: the payload
 * plus libp2p's framing (noise: 2 bytes of length and a 16-byte tag per frame; yamux: a 12-byte header per frame;
 * a new stream: a yamux SYN, multistream-select's two lines and a FIN each way). Estimates from the message
 * layouts of docs/PROTOCOL.md, except the direct probe and gossipsub's overhead, which were measured.
 */
const NOISE_FRAME = 2 + 16
const YAMUX_FRAME = 12
const FRAME = NOISE_FRAME + YAMUX_FRAME
/** A peer id as bytes (Ed25519, identity multihash). */
const PEER_ID = 38
/**
 * What a gossipsub message costs on the wire beyond its data: from, seqno, topic, signature, protobuf tags, the RPC
 * frame, yamux and noise. Measured: 525 bytes for 300 of data, one copy between two libp2p 3 nodes over TCP on
 * 127.0.0.1 (a script counting /proc/self/io over 500 messages).
 */
const GOSSIP_OVERHEAD = 225
/** One side of a direct probe exchange, measured (see `WIRE_BYTES.directProbe`). */
const DIRECT_PROBE = 69
/** A new stream's overhead on one side: multistream-select's header and protocol lines, SYN/FIN frames. */
const STREAM_OPEN = 20 + 40 + 3 * FRAME

/** A typical record (1 group, 1 tag, 1 address), as core encodes it, signed by its origin (64 bytes and tags). */
export const RECORD_BYTES = encodeRecord(memberRecord({
  origin: `12D3KooW${'x'.repeat(44)}`,
  name: 'api-1',
  incarnation: 1_795_000_000_000,
  sequence: 1,
  status: 'active',
  groups: new Map([['ws', 512]]),
  weight: 1,
  tags: { zone: 'eu-west-1a' },
  eventLoopLagMs: 10,
  clientAddress: 'ws://10.0.0.1:8080',
  addresses: ['/ip4/10.0.0.1/tcp/4001']
})).byteLength + 64 + 6

/** Bytes each node receives, per copy, of every kind of message. */
export const WIRE_BYTES = {
  /**
   * One side of a direct probe (a probe request naming no target, and its ack) on the probe protocol's RPC stream,
   * open already. Measured: 138 bytes for the exchange, both ways, yamux window updates included, over TCP on
   * 127.0.0.1 (`bench/src/probe-cost.ts`: 500 probes counted through /proc/self/io).
   */
  directProbe: DIRECT_PROBE,
  /**
   * An indirect probe request or its answer on the same stream: a direct probe's, plus the request's target id
   * and timeout (the answer, ack or nack, is as long as a direct probe's): their mean.
   */
  indirectProbe: DIRECT_PROBE + Math.round((PEER_ID + 2 + 3) / 2),
  /** A record on the records topic. */
  record: GOSSIP_OVERHEAD + RECORD_BYTES,
  /** A claim on the claims topic: claimant, subject, incarnation, sequence. */
  claim: GOSSIP_OVERHEAD + 2 * (PEER_ID + 2) + 8 + 4,
  /** An IHAVE of `ids` message ids (from and seqno each) for one topic. */
  ihave: (ids: number): number => FRAME + 4 + 32 + ids * (PEER_ID + 8 + 2),
  /** One side of a push-pull exchange of `records` signed records. */
  sync: (records: number): number => STREAM_OPEN + 8 + records * (RECORD_BYTES + 3) + Math.ceil(records * RECORD_BYTES / 16_000) * FRAME
} as const
