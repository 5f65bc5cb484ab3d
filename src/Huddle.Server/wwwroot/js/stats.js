// @ts-check
/**
 * Connection figures per participant, read from getStats: what a person needs to see why a call is
 * bad (bitrate, packet loss, round trip). DOM-free.
 */

/** @typedef {{ pc: RTCPeerConnection, mids: Set<string> | null }} StatsSource */
/** @typedef {{ kbps: number, lossPercent: number, rttMs: number | null }} PeerStats */

/** Inbound bytes, packets and losses of one participant's streams, and the connection's round trip. */
export class StatsReader {
  constructor() {
    /** @type {Map<string, { bytes: number, at: number, received: number, lost: number }>} */
    this.previous = new Map();
  }

  /**
   * @param {string} id participant
   * @param {StatsSource} source the connection that carries them (and, on the SFU, which mids are theirs)
   * @returns {Promise<PeerStats>}
   */
  async read(id, { pc, mids }) {
    const report = await pc.getStats();
    let bytes = 0;
    let received = 0;
    let lost = 0;
    /** @type {number | null} */
    let rttMs = null;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp') {
        if (mids && !mids.has(s.mid)) return;
        bytes += s.bytesReceived ?? 0;
        received += s.packetsReceived ?? 0;
        lost += Math.max(0, s.packetsLost ?? 0);
      } else if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number') {
        rttMs = Math.round(s.currentRoundTripTime * 1000);
      }
    });
    const now = performance.now();
    const before = this.previous.get(id);
    this.previous.set(id, { bytes, at: now, received, lost });
    const kbps = before && now > before.at ? ((bytes - before.bytes) * 8) / (now - before.at) : 0;
    const newReceived = before ? received - before.received : received;
    const newLost = before ? lost - before.lost : lost;
    const lossPercent = newReceived + newLost > 0 ? (100 * Math.max(0, newLost)) / (newReceived + newLost) : 0;
    return { kbps: Math.max(0, kbps), lossPercent, rttMs };
  }

  /** @param {string} id */
  forget(id) {
    this.previous.delete(id);
  }
}

/**
 * Video frames decoded so far on a source (0 when the connection is gone): whether pictures arrive.
 * @param {StatsSource} source
 * @returns {Promise<number>}
 */
export async function framesDecoded({ pc, mids }) {
  let frames = 0;
  try {
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video' && (!mids || mids.has(s.mid))) frames += s.framesDecoded ?? 0;
    });
  } catch {
    return 0;
  }
  return frames;
}

/** "312 kbit/s · 0.0 % loss · 14 ms" @param {PeerStats} s */
export function describe(s) {
  const parts = [`${Math.round(s.kbps)} kbit/s`, `${s.lossPercent.toFixed(1)} % loss`];
  if (s.rttMs !== null) parts.push(`${s.rttMs} ms`);
  return parts.join(' · ');
}
