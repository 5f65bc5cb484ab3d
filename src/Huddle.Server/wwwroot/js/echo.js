// @ts-check
/**
 * The media self-test: one RTCPeerConnection to the Huddle media server, which sends every packet
 * straight back. Signaling is plain HTTP (offer in, answer out, like WHIP). DOM-free: the page
 * (echo-page.js) renders what this reports.
 *
 * Events (CustomEvent): `state` ({ state }), `track` ({ track, streams }), `stats` (EchoStats).
 */

/**
 * @typedef {object} EchoStats
 * @property {number | null} rttMs ICE round trip to the server
 * @property {number} sendKbps media bitrate sent
 * @property {number} receiveKbps media bitrate received back
 * @property {number} lossPercent share of returned packets lost
 * @property {number} framesDecoded returned video frames decoded so far
 * @property {number} audioPacketsReceived returned audio packets so far
 * @property {number} audioEnergy total energy of the returned audio
 * @property {string | null} srtpCipher negotiated SRTP profile
 * @property {number | null} connectMs from start to DTLS connected
 */

export class EchoTest extends EventTarget {
  /** @param {{ stream: MediaStream }} options */
  constructor({ stream }) {
    super();
    this.stream = stream;
    /** @type {string | null} session id on the server */
    this.id = null;
    /** @type {'idle' | 'connecting' | 'connected' | 'failed' | 'closed'} */
    this.state = 'idle';
    /** @type {string} */
    this.error = '';
    this.startedAt = 0;
    /** @type {number | null} */
    this.connectMs = null;
    this.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    /** @type {Promise<void>} renegotiations run one after another */
    this.negotiation = Promise.resolve();
    /** @type {Map<string, { bytes: number, at: number }>} */
    this.previous = new Map();
    /** @type {ReturnType<typeof setInterval> | null} */
    this.timer = null;
    this.pc.addEventListener('track', (e) => this.#emit('track', { track: e.track, streams: e.streams }));
    this.pc.addEventListener('connectionstatechange', () => this.#onConnectionState());
  }

  async start() {
    this.startedAt = performance.now();
    this.#setState('connecting');
    for (const track of this.stream.getTracks()) this.pc.addTrack(track, this.stream);
    await this.#negotiate();
    this.pc.addEventListener('negotiationneeded', () => { this.negotiation = this.negotiation.then(() => this.#negotiate()); });
    this.timer = setInterval(() => { this.collectStats().catch(() => {}); }, 1000);
  }

  /** Adds a track to the running test; the page renegotiates with the server. @param {MediaStreamTrack} track */
  async addTrack(track) {
    const stream = new MediaStream([track]);
    this.pc.addTrack(track, stream);
    // negotiationneeded fires asynchronously; wait for the renegotiation it starts.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await this.negotiation;
  }

  close() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.pc.close();
    if (this.id) {
      fetch(`/api/echo/${encodeURIComponent(this.id)}`, { method: 'DELETE', keepalive: true }).catch(() => {});
    }
    this.#setState('closed');
  }

  async #negotiate() {
    if (this.pc.signalingState === 'closed') return;
    try {
      const offer = await this.pc.createOffer();
      await this.pc.setLocalDescription(offer);
      const url = this.id ? `/api/echo/${encodeURIComponent(this.id)}` : '/api/echo';
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sdp: this.pc.localDescription?.sdp ?? '' }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(typeof body.message === 'string' ? body.message : `The server answered ${response.status}`);
      this.id = String(body.id);
      await this.pc.setRemoteDescription({ type: 'answer', sdp: String(body.sdp) });
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      this.#setState('failed');
    }
  }

  #onConnectionState() {
    const s = this.pc.connectionState;
    if (s === 'connected') {
      if (this.connectMs === null) this.connectMs = Math.round(performance.now() - this.startedAt);
      this.#setState('connected');
    } else if (s === 'failed') {
      this.error = 'The browser could not reach the media server over UDP.';
      this.#setState('failed');
    }
  }

  /** Reads getStats once and reports rates since the previous reading. @returns {Promise<EchoStats>} */
  async collectStats() {
    const report = await this.pc.getStats();
    const now = performance.now();
    /** @type {EchoStats} */
    const stats = {
      rttMs: null, sendKbps: 0, receiveKbps: 0, lossPercent: 0, framesDecoded: 0,
      audioPacketsReceived: 0, audioEnergy: 0, srtpCipher: null, connectMs: this.connectMs,
    };
    let received = 0;
    let lost = 0;
    report.forEach((s) => {
      if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number') {
        stats.rttMs = Math.round(s.currentRoundTripTime * 1000);
      } else if (s.type === 'transport' && typeof s.srtpCipher === 'string') {
        stats.srtpCipher = s.srtpCipher;
      } else if (s.type === 'outbound-rtp') {
        stats.sendKbps += this.#rate(s.id, s.bytesSent ?? 0, now);
      } else if (s.type === 'inbound-rtp') {
        stats.receiveKbps += this.#rate(s.id, s.bytesReceived ?? 0, now);
        received += s.packetsReceived ?? 0;
        lost += Math.max(0, s.packetsLost ?? 0);
        if (s.kind === 'video') stats.framesDecoded += s.framesDecoded ?? 0;
        if (s.kind === 'audio') {
          stats.audioPacketsReceived += s.packetsReceived ?? 0;
          stats.audioEnergy += s.totalAudioEnergy ?? 0;
        }
      }
    });
    stats.lossPercent = received + lost > 0 ? (100 * lost) / (received + lost) : 0;
    this.#emit('stats', stats);
    return stats;
  }

  /** @param {string} id @param {number} bytes @param {number} now @returns {number} kbit/s */
  #rate(id, bytes, now) {
    const before = this.previous.get(id);
    this.previous.set(id, { bytes, at: now });
    if (!before || now <= before.at) return 0;
    return ((bytes - before.bytes) * 8) / (now - before.at);
  }

  /** @param {'idle' | 'connecting' | 'connected' | 'failed' | 'closed'} state */
  #setState(state) {
    if (this.state === state || this.state === 'closed') return;
    this.state = state;
    this.#emit('state', { state });
  }

  /** @param {string} type @param {unknown} detail */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/**
 * How good the path is, in words a person understands.
 * @param {EchoStats} s
 * @returns {{ verdict: 'good' | 'fair' | 'poor' | 'testing', text: string }}
 */
export function judge(s) {
  if (s.framesDecoded === 0 && s.audioPacketsReceived === 0) return { verdict: 'testing', text: 'Connected. Waiting for your media to come back…' };
  const rtt = s.rttMs ?? 0;
  if (s.lossPercent > 5 || rtt > 400) return { verdict: 'poor', text: 'The media server is reachable, but the connection is poor: expect frozen video.' };
  if (s.lossPercent > 1 || rtt > 150) return { verdict: 'fair', text: 'The media server is reachable. The connection is fair: video may stutter.' };
  return { verdict: 'good', text: 'Your browser reaches the media server, and the connection is good.' };
}
