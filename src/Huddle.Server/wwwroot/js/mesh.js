// @ts-check
/**
 * Mesh transport: one RTCPeerConnection per remote participant (docs/protocol.md, "Negotiation in
 * mesh rooms"). Each connection has a fixed shape (audio + video transceivers, one negotiated data
 * channel) so devices change through replaceTrack only; renegotiation (ICE restarts) follows the
 * perfect-negotiation pattern. DOM-free.
 */

/** @typedef {import('./signaling.js').Message} Message */
/** @typedef {import('./transport.js').LocalTracks} LocalTracks */
/** @typedef {import('./transport.js').TransportOptions} TransportOptions */

const CHAT_MAX = 2000;
/** Chat sent before a peer's data channel opens waits for it, up to this many messages. */
const CHAT_QUEUE_MAX = 50;
const DISCONNECTED_GRACE_MS = 3000;

class Peer {
  /** @param {string} id @param {RTCPeerConnection} pc @param {RTCDataChannel} channel @param {boolean} polite */
  constructor(id, pc, channel, polite) {
    this.id = id;
    this.pc = pc;
    this.channel = channel;
    this.polite = polite;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.settingRemoteAnswer = false;
    this.configured = false;
    /** @type {RTCIceCandidateInit[]} */
    this.pendingCandidates = [];
    this.stream = new MediaStream();
    /** Signals from this peer are handled one at a time, in order. */
    /** @type {Promise<void>} */
    this.queue = Promise.resolve();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.restartTimer = undefined;
    /** Chat payloads waiting for the data channel to open. @type {string[]} */
    this.chatQueue = [];
    /** The peer said it receives us through the server now (`moved`). */
    this.moved = false;
  }
}

/**
 * Implements `Transport` (see transport.js). Events: `remote-stream` (detail { peerId, stream }),
 * `chat` (detail { peerId, text, ts }), `peer-state` (detail { peerId, state }).
 */
export class MeshTransport extends EventTarget {
  /** @param {TransportOptions} options */
  constructor({ selfId, iceServers, send, local }) {
    super();
    this.kind = 'mesh';
    this.selfId = selfId;
    this.iceServers = iceServers;
    this.send = send;
    this.local = local;
    /** @type {Map<string, Peer>} */
    this.peers = new Map();
    this.closed = false;
    /** @type {(() => void) | null} wakes handOver() when a peer moves or goes */
    this.movedWaiter = null;
  }

  /** @returns {Map<string, RTCPeerConnection>} */
  get peerConnections() {
    return new Map([...this.peers].map(([id, peer]) => [id, peer.pc]));
  }

  /** The newcomer calls this for everyone already present: it makes the offer. @param {string} id */
  addPeer(id) {
    if (!this.peers.has(id)) this.#createPeer(id, true);
  }

  /**
   * Someone joined after us and will send an offer: build the connection now, while the offer is
   * on its way, instead of after it arrives.
   * @param {string} id
   */
  expectPeer(id) {
    if (!this.peers.has(id)) this.#createPeer(id, false);
  }

  /** @param {string} id */
  removePeer(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    clearTimeout(peer.restartTimer);
    peer.channel.close();
    peer.pc.close();
    this.#wakeHandOver();
  }

  /** Handles `offer`, `answer` and `candidate` from the server. @param {Message} message */
  handleSignal(message) {
    const from = message.from;
    if (typeof from !== 'string') return;
    let peer = this.peers.get(from);
    if (!peer) {
      if (message.type !== 'offer') return; // Stale signal of a peer we already dropped.
      peer = this.#createPeer(from, false);
    }
    const target = peer;
    peer.queue = peer.queue
      .then(() => this.#onSignal(target, message))
      .catch((error) => console.warn('huddle: signaling with', from, 'failed:', error));
  }

  /** @param {'audio' | 'video'} kind @param {MediaStreamTrack | null} track */
  async replaceTrack(kind, track) {
    if (kind === 'audio') this.local.audio = track;
    else this.local.video = track;
    const work = [];
    for (const peer of this.peers.values()) {
      for (const transceiver of peer.pc.getTransceivers()) {
        if (transceiver.receiver.track.kind !== kind || transceiver.currentDirection === 'stopped') continue;
        work.push(transceiver.sender.replaceTrack(track).catch((error) => console.warn('huddle: replaceTrack failed', error)));
      }
    }
    await Promise.all(work);
  }

  /**
   * Sends to every peer whose channel is open and queues for those still connecting.
   * @param {string} text @param {number} ts @returns {number} peers it was sent or queued to
   */
  sendChat(text, ts) {
    const payload = JSON.stringify({ type: 'chat', text: text.slice(0, CHAT_MAX), ts });
    let reached = 0;
    for (const peer of this.peers.values()) {
      const state = peer.channel.readyState;
      if (state === 'open') {
        try {
          peer.channel.send(payload);
          reached++;
        } catch (error) {
          console.warn('huddle: chat to', peer.id, 'failed', error);
        }
      } else if (state === 'connecting' && peer.chatQueue.length < CHAT_QUEUE_MAX) {
        peer.chatQueue.push(payload);
        reached++;
      }
    }
    return reached;
  }

  /**
   * How loud a peer is right now (0..1), from the audio receiver's RTP header extension; no audio
   * graph needed.
   * @param {string} id
   */
  /** @param {string} id @returns {import('./stats.js').StatsSource | null} */
  statsSource(id) {
    const peer = this.peers.get(id);
    return peer ? { pc: peer.pc, mids: null } : null;
  }

  /** @param {string} id */
  audioLevel(id) {
    const peer = this.peers.get(id);
    if (!peer) return 0;
    for (const receiver of peer.pc.getReceivers()) {
      if (receiver.track.kind !== 'audio') continue;
      const now = performance.timeOrigin + performance.now();
      for (const source of receiver.getSynchronizationSources()) {
        if (now - source.timestamp < 1000 && typeof source.audioLevel === 'number') return source.audioLevel;
      }
    }
    return 0;
  }

  /**
   * The room moved to the server and this page receives everyone there. Each connection also carries
   * what this page sends, so it tells every peer (`moved` on the data channel) and resolves once every
   * peer has said the same or gone: closing sooner would freeze our picture at a peer still waiting for
   * it through the server. The caller bounds the wait.
   * @returns {Promise<void>}
   */
  async handOver() {
    const payload = JSON.stringify({ type: 'moved' });
    for (const peer of this.peers.values()) {
      if (peer.channel.readyState !== 'open') continue;
      try {
        peer.channel.send(payload);
      } catch {
        // The channel closed meanwhile: that peer will not need us here.
      }
    }
    const waiting = () => [...this.peers.values()].some((p) => !p.moved && p.channel.readyState === 'open');
    while (!this.closed && waiting()) {
      await new Promise((resolve) => { this.movedWaiter = () => resolve(undefined); });
    }
  }

  close() {
    this.closed = true;
    for (const id of [...this.peers.keys()]) this.removePeer(id);
    this.#wakeHandOver();
  }

  #wakeHandOver() {
    const wake = this.movedWaiter;
    this.movedWaiter = null;
    wake?.();
  }

  /** @param {string} id @param {boolean} initiator */
  #createPeer(id, initiator) {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    if (initiator) {
      // The fixed shape of docs/protocol.md: audio, video, then the chat channel. With no device
      // the transceiver still sends (nothing) so a device added later is only a replaceTrack.
      const streams = [this.local.stream];
      pc.addTransceiver(this.local.audio ?? 'audio', { direction: 'sendrecv', streams });
      pc.addTransceiver(this.local.video ?? 'video', { direction: 'sendrecv', streams });
    }
    // The answering side creates the channel before it applies the offer, so the channel exists
    // the moment the offer's data section is accepted.
    const channel = pc.createDataChannel('chat', { negotiated: true, id: 0 });
    const peer = new Peer(id, pc, channel, this.selfId < id);
    peer.configured = initiator;
    this.peers.set(id, peer);

    pc.ontrack = ({ track }) => {
      if (!peer.stream.getTracks().includes(track)) peer.stream.addTrack(track);
      this.dispatchEvent(new CustomEvent('remote-stream', { detail: { peerId: id, stream: peer.stream } }));
    };
    pc.onnegotiationneeded = async () => {
      // A peer that joined after us makes the first offer; ours would only collide with it.
      if (this.peers.get(id) !== peer || !peer.configured) return;
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        const description = pc.localDescription;
        if (description) this.send({ type: description.type, to: id, sdp: description.sdp });
        performance.mark(`huddle:offer-sent:${id}`);
      } catch (error) {
        console.warn('huddle: creating an offer failed', error);
      } finally {
        peer.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate || !candidate.candidate) return;
      this.send({ type: 'candidate', to: id, candidate: candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => {
      this.dispatchEvent(new CustomEvent('peer-state', { detail: { peerId: id, state: pc.connectionState } }));
      if (pc.connectionState === 'connected') performance.mark(`huddle:connected:${id}`);
      if (pc.connectionState === 'failed') this.#restart(peer);
    };
    pc.oniceconnectionstatechange = () => {
      clearTimeout(peer.restartTimer);
      if (pc.iceConnectionState === 'disconnected') {
        // A network change often heals by itself; restart ICE only if it does not.
        peer.restartTimer = setTimeout(() => {
          if (pc.iceConnectionState === 'disconnected') this.#restart(peer);
        }, DISCONNECTED_GRACE_MS);
      }
    };
    channel.onopen = () => {
      for (const payload of peer.chatQueue.splice(0)) {
        try {
          channel.send(payload);
        } catch {
          break;
        }
      }
    };
    channel.onmessage = (event) => {
      if (typeof event.data !== 'string' || event.data.length > CHAT_MAX * 6 + 200) return;
      /** @type {any} */
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message?.type === 'moved') {
        peer.moved = true;
        this.#wakeHandOver();
        return;
      }
      if (!message || message.type !== 'chat' || typeof message.text !== 'string') return;
      const text = message.text.slice(0, CHAT_MAX);
      if (!text.trim()) return;
      const ts = typeof message.ts === 'number' && Number.isFinite(message.ts) ? message.ts : Date.now();
      this.dispatchEvent(new CustomEvent('chat', { detail: { peerId: id, text, ts } }));
    };
    return peer;
  }

  /** @param {Peer} peer */
  #restart(peer) {
    if (this.peers.get(peer.id) !== peer || peer.pc.signalingState === 'closed') return;
    peer.pc.restartIce();
  }

  /** @param {Peer} peer @param {Message} message */
  async #onSignal(peer, message) {
    const pc = peer.pc;
    if (this.peers.get(peer.id) !== peer || pc.signalingState === 'closed') return;
    if (message.type === 'candidate') {
      const candidate = /** @type {RTCIceCandidateInit} */ (message.candidate);
      if (!pc.remoteDescription) {
        peer.pendingCandidates.push(candidate);
        return;
      }
      try {
        await pc.addIceCandidate(candidate);
      } catch (error) {
        if (!peer.ignoreOffer) console.warn('huddle: bad ICE candidate', error);
      }
      return;
    }
    if (message.type !== 'offer' && message.type !== 'answer') return;
    if (typeof message.sdp !== 'string') return;
    /** @type {RTCSessionDescriptionInit} */
    const description = { type: message.type, sdp: message.sdp };

    // Perfect negotiation (W3C WebRTC §10.7 example).
    const readyForOffer = !peer.makingOffer && (pc.signalingState === 'stable' || peer.settingRemoteAnswer);
    const collision = description.type === 'offer' && !readyForOffer;
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer) return;
    peer.settingRemoteAnswer = description.type === 'answer';
    performance.mark(`huddle:${description.type}-received:${peer.id}`);
    try {
      await pc.setRemoteDescription(description); // An offer in have-local-offer rolls back first.
    } finally {
      peer.settingRemoteAnswer = false;
    }

    for (const candidate of peer.pendingCandidates.splice(0)) {
      await pc.addIceCandidate(candidate).catch(() => {});
    }
    if (description.type === 'offer') {
      if (!peer.configured) await this.#attachLocalTracks(peer);
      await pc.setLocalDescription();
      const answer = pc.localDescription;
      if (answer) this.send({ type: answer.type, to: peer.id, sdp: answer.sdp });
    }
  }

  /** The answering side sends on the transceivers the offer created. @param {Peer} peer */
  async #attachLocalTracks(peer) {
    peer.configured = true;
    const work = peer.pc.getTransceivers().map((transceiver) => {
      const kind = transceiver.receiver.track.kind;
      transceiver.direction = 'sendrecv';
      transceiver.sender.setStreams(this.local.stream);
      return transceiver.sender.replaceTrack(kind === 'audio' ? this.local.audio : this.local.video);
    });
    await Promise.all(work);
  }
}

/**
 * The first RTCPeerConnection of a page is slow to create and to make an offer (codec factories,
 * network threads). Pay that once while the page loads, not while someone waits for a picture.
 */
export async function warmUpWebRtc() {
  if (typeof RTCPeerConnection === 'undefined') return;
  const pc = new RTCPeerConnection();
  try {
    pc.addTransceiver('audio');
    pc.addTransceiver('video');
    pc.createDataChannel('warm-up');
    await pc.createOffer();
  } catch {
    // Only an optimisation.
  } finally {
    pc.close();
  }
}
