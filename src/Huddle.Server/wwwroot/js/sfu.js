// @ts-check
/**
 * The SFU transport: at most two RTCPeerConnections whatever the room size. The publish connection
 * sends our microphone and camera to the server once (we offer, the server answers); the subscribe
 * connection receives everyone else (the server offers, we answer, and it renegotiates as people come
 * and go). The `tracks` list of each subscribe offer says which participant each m-section carries.
 * Chat goes through the server. DOM-free; implements `Transport` (transport.js).
 */

/** @typedef {import('./signaling.js').Message} Message */
/** @typedef {import('./transport.js').TransportOptions} TransportOptions */
/** @typedef {{ mid: string, participant: string, kind: string }} SubscribedTrack */

const CHAT_MAX = 2000;

export class SfuTransport extends EventTarget {
  /** @param {TransportOptions} options */
  constructor({ selfId, iceServers, send, local }) {
    super();
    this.kind = 'sfu';
    this.selfId = selfId;
    this.send = send;
    this.local = local;
    this.closed = false;
    const config = { iceServers, bundlePolicy: /** @type {RTCBundlePolicy} */ ('max-bundle'), rtcpMuxPolicy: /** @type {RTCRtcpMuxPolicy} */ ('require') };
    this.publisher = new RTCPeerConnection(config);
    this.subscriber = new RTCPeerConnection(config);
    /** @type {Map<string, string>} subscribe mid → participant id */
    this.midOwners = new Map();
    /** @type {Map<string, MediaStream>} participant id → the stream of their tracks */
    this.streams = new Map();
    /** @type {Promise<void>} subscribe offers are applied one after another */
    this.subscribeQueue = Promise.resolve();
    /** @type {Set<string>} participants some of whose tracks the server holds back (no free section) */
    this.waiting = new Set();
    this.#setUpPublisher();
    this.#setUpSubscriber();
  }

  /** Both connections, keyed by role; tests count them. @returns {Map<string, RTCPeerConnection>} */
  get peerConnections() {
    return new Map([['publish', this.publisher], ['subscribe', this.subscriber]]);
  }

  // In an SFU room the server decides who receives whom: joins and leaves arrive as subscribe offers.
  /** @param {string} _id */
  addPeer(_id) {}

  /** @param {string} _id */
  expectPeer(_id) {}

  /** @param {string} id */
  removePeer(id) {
    this.streams.delete(id);
  }

  /** `publish-answer` and `subscribe` from the server. @param {Message} message */
  handleSignal(message) {
    if (message.type === 'publish-answer' && typeof message.sdp === 'string') {
      this.publisher.setRemoteDescription({ type: 'answer', sdp: message.sdp })
        .catch((error) => console.warn('huddle: the publish answer was refused', error));
    } else if (message.type === 'subscribe' && typeof message.sdp === 'string') {
      const sdp = message.sdp;
      const tracks = Array.isArray(message.tracks) ? /** @type {SubscribedTrack[]} */ (message.tracks) : [];
      const waiting = new Set(Array.isArray(message.waiting) ? message.waiting.filter((id) => typeof id === 'string') : []);
      this.subscribeQueue = this.subscribeQueue
        .then(() => this.#onSubscribeOffer(sdp, tracks, waiting))
        .catch((error) => console.warn('huddle: the subscribe offer failed', error));
    }
  }

  /** @param {'audio' | 'video'} kind @param {MediaStreamTrack | null} track */
  async replaceTrack(kind, track) {
    if (kind === 'audio') this.local.audio = track;
    else this.local.video = track;
    const transceiver = this.publisher.getTransceivers().find((t) => t.receiver.track.kind === kind);
    if (transceiver) await transceiver.sender.replaceTrack(track).catch((error) => console.warn('huddle: replaceTrack failed', error));
  }

  /** Through the server, to everyone. @param {string} text @param {number} _ts @returns {number} */
  sendChat(text, _ts) {
    return this.send({ type: 'chat', text: text.slice(0, CHAT_MAX) }) ? 1 : 0;
  }

  /** @param {string} id @returns {import('./stats.js').StatsSource} */
  statsSource(id) {
    return { pc: this.subscriber, mids: new Set([...this.midOwners].filter(([, owner]) => owner === id).map(([mid]) => mid)) };
  }

  /** @param {string} id */
  audioLevel(id) {
    const now = performance.timeOrigin + performance.now();
    for (const transceiver of this.subscriber.getTransceivers()) {
      if (!transceiver.mid || this.midOwners.get(transceiver.mid) !== id || transceiver.receiver.track.kind !== 'audio') continue;
      for (const source of transceiver.receiver.getSynchronizationSources()) {
        if (now - source.timestamp < 1000 && typeof source.audioLevel === 'number') return source.audioLevel;
      }
    }
    return 0;
  }

  /** Nothing to hand over: the server keeps forwarding for a while after the room leaves it. @returns {Promise<void>} */
  async handOver() {}

  close() {
    this.closed = true;
    this.publisher.close();
    this.subscriber.close();
  }

  #setUpPublisher() {
    const streams = [this.local.stream];
    // Both kinds always, so a device that appears later is only a replaceTrack.
    this.publisher.addTransceiver(this.local.audio ?? 'audio', { direction: 'sendonly', streams });
    this.publisher.addTransceiver(this.local.video ?? 'video', { direction: 'sendonly', streams });
    this.publisher.onconnectionstatechange = () => this.#state(this.publisher);
    (async () => {
      const offer = await this.publisher.createOffer();
      await this.publisher.setLocalDescription(offer);
      performance.mark('huddle:offer-sent');
      this.send({ type: 'publish', sdp: this.publisher.localDescription?.sdp ?? '' });
    })().catch((error) => console.warn('huddle: publishing failed', error));
  }

  #setUpSubscriber() {
    this.subscriber.ontrack = ({ track, transceiver }) => {
      const owner = transceiver.mid ? this.midOwners.get(transceiver.mid) : undefined;
      if (!owner) return;
      this.#attach(owner, track);
    };
    this.subscriber.onconnectionstatechange = () => this.#state(this.subscriber);
  }

  /** @param {string} sdp @param {SubscribedTrack[]} tracks @param {Set<string>} waiting */
  async #onSubscribeOffer(sdp, tracks, waiting) {
    if (this.closed) return;
    performance.mark('huddle:subscribe-offer-received');
    const owners = new Map(tracks.filter((t) => typeof t.mid === 'string' && typeof t.participant === 'string').map((t) => [t.mid, t.participant]));
    this.midOwners = owners;
    await this.subscriber.setRemoteDescription({ type: 'offer', sdp });
    const answer = await this.subscriber.createAnswer();
    await this.subscriber.setLocalDescription(answer);
    this.send({ type: 'subscribe-answer', sdp: this.subscriber.localDescription?.sdp ?? '' });
    performance.mark('huddle:subscribe-answer-sent');
    // A transceiver whose mid moved to someone else (never here: mids are not reused) or a track that
    // arrived before its owner was known is attached now.
    for (const transceiver of this.subscriber.getTransceivers()) {
      const owner = transceiver.mid ? owners.get(transceiver.mid) : undefined;
      if (owner && transceiver.currentDirection !== 'inactive') this.#attach(owner, transceiver.receiver.track);
    }
    // Tiles say who is held back (too many streams for one person in this room), and stop saying it
    // once their tracks come.
    const before = this.waiting;
    this.waiting = waiting;
    for (const id of waiting) this.dispatchEvent(new CustomEvent('peer-state', { detail: { peerId: id, state: 'waiting' } }));
    for (const id of before) {
      if (!waiting.has(id)) this.dispatchEvent(new CustomEvent('peer-state', { detail: { peerId: id, state: this.subscriber.connectionState } }));
    }
  }

  /** @param {string} owner @param {MediaStreamTrack} track */
  #attach(owner, track) {
    let stream = this.streams.get(owner);
    if (!stream) {
      stream = new MediaStream();
      this.streams.set(owner, stream);
    }
    for (const old of stream.getTracks()) {
      if (old.kind === track.kind && old !== track) stream.removeTrack(old);
    }
    if (!stream.getTracks().includes(track)) {
      stream.addTrack(track);
      performance.mark(`huddle:track:${track.kind}:${owner}`);
    }
    this.dispatchEvent(new CustomEvent('remote-stream', { detail: { peerId: owner, stream } }));
  }

  /** @param {RTCPeerConnection} pc */
  #state(pc) {
    if (pc.connectionState === 'connected') performance.mark(`huddle:connected:${pc === this.publisher ? 'publish' : 'subscribe'}`);
    // Report the subscribe connection's state for everyone: it carries all of them.
    if (pc !== this.subscriber) return;
    for (const id of new Set(this.midOwners.values())) {
      if (this.waiting.has(id)) continue;
      this.dispatchEvent(new CustomEvent('peer-state', { detail: { peerId: id, state: pc.connectionState } }));
    }
  }
}
